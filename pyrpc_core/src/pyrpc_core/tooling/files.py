"""Writing generated files so that nothing is ever half-written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Readers see the old file or the new one, never a part. A file that already holds
    ``data`` is left untouched (so watchers do not fire for nothing). Returns whether it wrote.
    """
    mode = 0o644  # mkstemp's 0600 would hide generated files from other users (a dev server, say)
    try:
        if path.read_bytes() == data:
            return False
        mode = path.stat().st_mode & 0o777
    except (FileNotFoundError, IsADirectoryError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return True


class UnsafeWriteError(ValueError):
    """Writing would land somewhere other than where it was asked to: nothing was written."""


def write_files(root: Path, files: Mapping[str, str]) -> list[Path]:
    """Write ``{relative path: text}`` (an emitter's output) under ``root``, each file atomically.

    ``root`` itself is resolved (a symlinked project folder is fine), but nothing below it
    may lead elsewhere: every path must be plain (no ``..``, no absolute path), every folder
    on the way a real folder and not a symlink, every file a regular file or absent. All of
    it is checked before anything is written, so a refusal (``UnsafeWriteError``) writes
    nothing. Folders are created when missing; files whose bytes are unchanged are left
    alone. Returns the files that changed.
    """
    base = root.resolve()
    targets = [(_checked_target(base, relative), text.encode()) for relative, text in sorted(files.items())]
    return [target for target, data in targets if write_atomic(target, data)]


def _checked_target(base: Path, relative: str) -> Path:
    parts = relative.split("/")
    if any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in parts):
        raise UnsafeWriteError(f"refusing to write {relative!r}: not a plain relative path")
    current = base
    for part in parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise UnsafeWriteError(f"{current} is a symlink; refusing to write through it")
        if current.exists() and not current.is_dir():
            raise UnsafeWriteError(f"{current} exists and is not a folder")
    target = current / parts[-1]
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise UnsafeWriteError(f"{target} is not a regular file")
    return target
