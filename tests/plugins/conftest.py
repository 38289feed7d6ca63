"""The example third-party plugins (examples/plugins/) importable in the development venv.

They are not installed there (the development venv's plugin set stays the repository's own);
their sources go on ``sys.path`` for the in-process tests, and the fresh-venv tests install
their wheels as users would.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "plugins"
EXAMPLE_SOURCES = [EXAMPLES / "pyrpc_starlette" / "src", EXAMPLES / "pyrpc_pyclient" / "src"]

for source in EXAMPLE_SOURCES:
    if str(source) not in sys.path:
        sys.path.insert(0, str(source))
