"""The options of the TypeScript emitter: pyrpc.json's ``emitter_options``, checked by this model.

``{"calls": "named"}`` makes every procedure take its params as one object, sent by name
(``client.add({ a: 1, b: 2 })``), so that reordering two parameters of the same type in
Python cannot silently swap a caller's arguments; the default, ``"positional"``, takes them
in the Python order (``client.add(1, 2)``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Calls = Literal["positional", "named"]


class Options(BaseModel):
    """``emitter_options`` of the ``typescript`` emitter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: Calls = "positional"
    """How the generated procedures take their params: by position, or as one object by name."""
