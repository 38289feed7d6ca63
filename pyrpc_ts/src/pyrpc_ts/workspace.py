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

from pyrpc_core.files import write_atomic

from .emit import generate

PACKAGE_PARTS = ("node_modules", "@pyrpc", "types")


class UnsafeTargetError(ValueError):
    """Writing the types would go somewhere other than ``<client_root>/node_modules/@pyrpc/types``."""


def types_dir(client_root: str | os.PathLike[str]) -> Path:
    """The folder the package goes to: ``<client_root, resolved>/node_modules/@pyrpc/types``."""
    return Path(client_root).resolve().joinpath(*PACKAGE_PARTS)


def _check_target(root: Path) -> Path:
    """The target folder, after refusing any symlink or non-folder on the way to it."""
    current = root
    for part in PACKAGE_PARTS:
        current = current / part
        if current.is_symlink():
            raise UnsafeTargetError(
                f"{current} is a symlink; pyrpc-ts writes only into a real {'/'.join(PACKAGE_PARTS)}"
            )
        if current.exists() and not current.is_dir():
            raise UnsafeTargetError(f"{current} exists and is not a folder")
    return current


def _check_name(name: str) -> str:
    """A file name of the package: one plain path component, nothing that climbs out."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise UnsafeTargetError(f"refusing to write {name!r}: not a plain file name")
    return name


def save_typescript_client(schema: Mapping[str, Any], client_root: str | os.PathLike[str]) -> list[Path]:
    """Write ``@pyrpc/types`` for ``schema`` under ``client_root``; return the files that changed.

    The folders are created when missing. Unchanged files are not touched (not even their
    modification time). Raises ``UnsafeTargetError`` when the target is a symlink or a file.
    """
    root = Path(client_root).resolve()
    target = _check_target(root)
    files = generate(schema)
    written: list[Path] = []
    for name in sorted(files):
        path = target / _check_name(name)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise UnsafeTargetError(f"{path} is not a regular file")
        if write_atomic(path, files[name].encode("utf-8")):
            written.append(path)
    return written
