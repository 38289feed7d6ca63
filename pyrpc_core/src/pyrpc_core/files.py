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


def write_files(folder: Path, files: Mapping[str, str]) -> list[Path]:
    """Write an emitter's ``{relative path: text}`` into ``folder``, each file atomically.

    A relative path that would land outside ``folder`` (``..``, an absolute path) is refused
    before anything is written. Returns the files that changed.
    """
    root = folder.resolve()
    targets: list[tuple[Path, bytes]] = []
    for relative, text in sorted(files.items()):
        target = (root / relative).resolve()
        if not target.is_relative_to(root) or target == root:
            raise ValueError(f"refusing to write {relative!r}: it is outside {root}")
        targets.append((target, text.encode()))
    return [target for target, data in targets if write_atomic(target, data)]
