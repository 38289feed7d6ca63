"""The worker threads that run sync procedures for an event loop: a queue, and threads woken one at a time.

``loop.run_in_executor`` on a ``ThreadPoolExecutor`` costs, per call, a concurrent ``Future``
(with its ``Condition``), a work item, and an asyncio future chained to it by callbacks on
both sides; for a sync ``add`` that was most of the call. Here a call is one asyncio future
and one append to a queue; its outcome goes back through the loop's outbox, which wakes the
loop once for however many outcomes arrive before it runs (``call_soon_threadsafe`` writes
to the loop's socket each time: under load, one write for many calls).

Which thread runs a job matters as much. Threads that all wait on one queue are woken in turn,
one per job: under load every thread of the pool is awake and wants the GIL, and the loop
has to win it back from each of them. Here an idle thread parks on a lock of its own, and the
most recently parked is woken first, one at a time: quick calls are run by one thread that
stays awake (the others stay asleep), while a thread that takes a job with more waiting wakes
the next, so calls that block (a database, a file) still spread over the threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

# A job: the future to settle, the context to run in, the function and its arguments, and the
# outbox of the loop that owns the future (None for a concurrent.futures.Future, settled from the thread).
_Job = tuple[Any, contextvars.Context, Callable[..., Any], tuple[Any, ...], dict[str, Any], "_Outbox | None"]


class Workers:
    """Up to ``size`` threads running the functions handed to them, in order.

    Threads are daemons: one still running a procedure past its deadline must not hold up the
    interpreter's exit (a ``ThreadPoolExecutor`` would wait for it).
    """

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._jobs: deque[_Job] = deque()
        self._lock = threading.Lock()
        self._parked: list[threading.Lock] = []
        """Each idle thread's own lock, held until it is woken; the most recently parked last."""
        self._started = 0
        self._waking = 0
        """Threads started or woken that have not looked at the jobs yet: they will take the next."""
        self._outboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox] = weakref.WeakKeyDictionary()

    @property
    def waiting(self) -> int:
        """Jobs handed over and not started yet (``Limits.max_waiting`` reads it)."""
        return len(self._jobs)

    async def run(self, context: contextvars.Context, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``context.run(function, *args, **kwargs)`` in a worker thread; its result, or its exception, here.

        Cancelled while it waits for a thread, the call never runs; once started, it runs on
        (a thread cannot be interrupted) and its outcome is dropped.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        outbox = self._outboxes.get(loop)
        if outbox is None:
            outbox = self._outboxes[loop] = _Outbox(loop)
        self._hand((future, context, function, args, kwargs, outbox))
        return await future

    def submit(self, context: contextvars.Context, function: Callable[..., T], /, *args: Any) -> Future[T]:
        """``run`` for a caller that is a thread: a ``concurrent.futures.Future`` (``cancel`` works until it starts)."""
        future: Future[T] = Future()
        self._hand((future, context, function, args, {}, None))
        return future

    def _hand(self, job: _Job) -> None:
        with self._lock:  # jobs are taken in the order they were handed over
            self._jobs.append(job)
            self._wake_one()

    def _wake_one(self) -> None:
        """With the lock held and jobs waiting: a thread for them, unless one is on its way already.

        The most recently parked thread, else a new one while the pool is not full; when every
        thread is busy, the next to finish takes the job.
        """
        if self._waking or not self._jobs:
            return
        if self._parked:
            self._waking += 1
            self._parked.pop().release()
        elif self._started < self._size:
            self._waking += 1
            self._started += 1
            threading.Thread(target=self._work, name=f"{self._name}_{self._started}", daemon=True).start()

    def _work(self) -> None:
        wake = threading.Lock()
        wake.acquire()
        waking = True  # started to take a job: counted in _waking until it looks at the queue
        while True:
            with self._lock:
                if waking:
                    self._waking -= 1
                    waking = False
                job = self._jobs.popleft() if self._jobs else None
                if job is None:
                    self._parked.append(wake)
                else:
                    self._wake_one()  # jobs left: the next thread, in case this job blocks for long
            if job is None:
                wake.acquire()  # parked until _wake_one releases it
                waking = True
                continue
            outcome = _outcome(job)
            if outcome is not None:
                # Counted as on its way before the caller learns the outcome: the caller's next
                # job is then this thread's, rather than a parked thread's woken for it.
                with self._lock:
                    self._waking += 1
                waking = True
                _settle(job, *outcome)
            del job, outcome  # drop the call's objects while idle


def _outcome(job: _Job) -> tuple[bool, Any] | None:
    """Run the job's function: ``(True, result)`` or ``(False, exception)``; None when it was cancelled before."""
    future, context, function, args, kwargs, outbox = job
    if outbox is None:
        if not future.set_running_or_notify_cancel():
            return None
    elif future.done():  # cancelled while it waited
        return None
    try:
        return True, context.run(function, *args, **kwargs)
    except BaseException as exc:
        return False, exc


def _settle(job: _Job, succeeded: bool, value: Any) -> None:
    """Give the job's caller its outcome: in this thread, or through the outbox of the caller's loop."""
    future, outbox = job[0], job[5]
    if outbox is not None:
        outbox.put(future, succeeded, value)
    elif succeeded:
        future.set_result(value)
    else:
        future.set_exception(value)


class _Outbox:
    """Outcomes on their way to one event loop: however many arrive before it runs, it is woken once."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)  # the loop's entry in Workers._outboxes must not keep it alive
        self._outcomes: deque[tuple[asyncio.Future[Any], bool, Any]] = deque()
        self._scheduled = False

    def put(self, future: asyncio.Future[Any], succeeded: bool, value: Any) -> None:
        """From a worker thread: hand the outcome to the loop."""
        self._outcomes.append((future, succeeded, value))  # first: a delivery already scheduled takes it
        if self._scheduled:
            return
        self._scheduled = True
        loop = self._loop()
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits for the answer
            if loop is not None:
                loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        """On the loop: settle every outcome handed over so far."""
        self._scheduled = False  # first: an outcome put from now on is taken here or schedules its own delivery
        outcomes = self._outcomes
        while outcomes:
            future, succeeded, value = outcomes.popleft()
            if future.done():  # cancelled while it ran
                continue
            if succeeded:
                future.set_result(value)
            else:
                future.set_exception(value)
