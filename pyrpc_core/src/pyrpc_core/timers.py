"""Deadlines that cost nothing until they are due: one check per event loop, every ``TICK`` seconds.

A timer per call (``asyncio.timeout``) costs several microseconds on every call, most of which
finish long before any deadline. Here a call only puts an entry in a dict; one timer per loop
runs while there are entries, and fires the callbacks that are due. Deadlines are therefore
kept to within ``TICK`` seconds.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable

TICK = 0.1
"""Seconds between two checks: how late a deadline may fire at most."""


class Timers:
    """Callbacks due at a time, on one event loop. Use it from the loop's own thread only."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: dict[Hashable, tuple[float, Callable[[], object]]] = {}
        self._handle: asyncio.TimerHandle | None = None

    def add(self, key: Hashable, delay: float, callback: Callable[[], object]) -> None:
        """Call ``callback()`` about ``delay`` seconds from now, unless ``discard(key)`` comes first."""
        self._due[key] = (self._loop.time() + delay, callback)
        if self._handle is None:
            self._handle = self._loop.call_later(min(delay, TICK), self._check)

    def discard(self, key: Hashable) -> None:
        self._due.pop(key, None)

    def _check(self) -> None:
        self._handle = None
        now = self._loop.time()
        for key, (at, callback) in list(self._due.items()):
            if at <= now:
                del self._due[key]
                callback()
        if self._due:
            soonest = min(at for at, _ in self._due.values())
            self._handle = self._loop.call_later(max(0.0, min(soonest - now, TICK)), self._check)


_timers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Timers] = weakref.WeakKeyDictionary()


_last: Timers | None = None  # nearly always the one loop of the process: no dict look-up per call


def timers() -> Timers:
    """The ``Timers`` of the running event loop."""
    global _last
    loop = asyncio.get_running_loop()
    last = _last
    if last is not None and last._loop is loop:
        return last
    found = _timers.get(loop)
    if found is None:
        found = _timers[loop] = Timers(loop)
    _last = found
    return found
