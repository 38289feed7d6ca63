"""What the emitter takes for a JSON object of the schema document."""

from __future__ import annotations

from collections.abc import Mapping

JSON_OBJECT = (dict, Mapping)
"""For ``isinstance``: documents are dicts (``json.loads``, ``build_schema``), so ``dict`` is
tried first; against the ``Mapping`` ABC alone each check costs several times more, and the
emitter makes some 200,000 on a large API. Any other mapping is taken all the same."""
