"""Watching a project's Python files, with a debounce: one callback per burst of saves, given the burst's paths."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent

DEBOUNCE_SECONDS = 0.3

# Folders whose files are never the project's own sources.
IGNORED_PARTS = frozenset({"__pycache__", "node_modules", ".git", ".venv", "venv", "site-packages", ".mypy_cache"})


class Debouncer:
    """Calls ``callback(paths)`` once, ``delay`` seconds after the last ``poke``.

    ``paths`` are all the paths poked since the previous call.
    """

    def __init__(self, callback: Callable[[frozenset[Path]], None], delay: float = DEBOUNCE_SECONDS) -> None:
        self._callback = callback
        self._delay = delay
        self._timer: threading.Timer | None = None
        self._paths: set[Path] = set()
        self._pokes = 0
        self._lock = threading.Lock()

    def poke(self, *paths: Path) -> None:
        with self._lock:
            self._paths.update(paths)
            self._pokes += 1
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self._delay, self._fire, args=(self._pokes,))
            self._timer.daemon = True
            self._timer.start()

    def _fire(self, poke: int) -> None:
        with self._lock:
            if poke != self._pokes:  # a later poke came as this timer went off: its own timer delivers
                return
            paths = frozenset(self._paths)
            self._paths.clear()
            self._timer = None
        self._callback(paths)

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._paths.clear()


def in_project(path: Path, root: Path) -> bool:
    """Whether ``path`` is one of the project's own files under ``root`` (not a venv, cache or dependency)."""
    try:
        parts = path.resolve().relative_to(root).parts
    except ValueError:
        return False
    return not any(part in IGNORED_PARTS or part.startswith(".") for part in parts[:-1])


def is_source(path: str | bytes, root: Path) -> bool:
    """Whether a changed path is one of the project's Python files."""
    candidate = Path(path.decode() if isinstance(path, bytes) else path)
    return candidate.suffix == ".py" and in_project(candidate, root)


class _Handler:
    """What watchdog's observer calls for each event (its ``dispatch``); watchdog itself is imported only to watch."""

    def __init__(self, root: Path, debouncer: Debouncer, ignored: tuple[Path, ...] = ()) -> None:
        self._root = root
        self._debouncer = debouncer
        self._ignored = ignored

    def _watched(self, path: str | bytes) -> Path | None:
        if not path or not is_source(path, self._root):
            return None
        resolved = Path(path.decode() if isinstance(path, bytes) else path).resolve()
        return None if any(resolved.is_relative_to(folder) for folder in self._ignored) else resolved

    def dispatch(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [self._watched(path) for path in (event.src_path, getattr(event, "dest_path", ""))]
        watched = [path for path in paths if path is not None]
        if watched:
            self._debouncer.poke(*watched)


class SourceWatcher:
    """Watches ``root`` recursively and calls ``on_change(paths)`` 300 ms after the last change to a .py file.

    ``paths`` are the changed files of the burst, resolved (both ends of a rename). Files under
    the ``ignored`` folders (where generated code goes) never count.
    """

    def __init__(
        self,
        root: Path,
        on_change: Callable[[frozenset[Path]], None],
        delay: float = DEBOUNCE_SECONDS,
        ignored: Iterable[Path] = (),
    ) -> None:
        from watchdog.observers import Observer  # the dev extra; pyrpc serve never imports it

        self.root = root.resolve()
        self.debouncer = Debouncer(on_change, delay)
        self._observer = Observer()
        handler = _Handler(self.root, self.debouncer, tuple(folder.resolve() for folder in ignored))
        self._observer.schedule(handler, str(self.root), recursive=True)  # type: ignore[arg-type]

    def start(self) -> None:
        self._observer.start()

    def stop(self) -> None:
        self.debouncer.cancel()
        self._observer.stop()
        self._observer.join(timeout=5)
