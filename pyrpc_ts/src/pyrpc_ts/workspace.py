"""Workspace distribution: the generated package written into the frontend's ``node_modules``.

Only ``<client_root>/node_modules/@pyrpc/types`` is ever written, whatever ``client_root``
says: ``..`` in it is resolved first, and a symlink (or a file) where one of the folders
``node_modules``, ``@pyrpc`` or ``types`` should be is refused, since writing through it
would land the files somewhere else. Each file goes through ``write_atomic`` (a temporary
file, then a rename) and is left alone when its bytes are unchanged, so a dev server
watching ``node_modules`` reloads only when the API really changed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyrpc_core.tooling.config import TYPES_PACKAGE
from pyrpc_core.tooling.files import write_files

from .emit import generate


def types_dir(client_root: str | os.PathLike[str]) -> Path:
    """The folder the package goes to: ``<client_root, resolved>/node_modules/@pyrpc/types``."""
    return Path(client_root).resolve() / TYPES_PACKAGE


def save_typescript_client(schema: Mapping[str, Any], client_root: str | os.PathLike[str]) -> list[Path]:
    """Write ``@pyrpc/types`` for ``schema`` under ``client_root``; return the files that changed.

    The folders are created when missing. Unchanged files are not touched (not even their
    modification time). Raises ``pyrpc_core.tooling.files.UnsafeWriteError`` when a symlink or a
    file stands where one of the package's folders or files should be.
    """
    package = TYPES_PACKAGE.as_posix()
    return write_files(Path(client_root), {f"{package}/{name}": text for name, text in generate(schema).items()})
