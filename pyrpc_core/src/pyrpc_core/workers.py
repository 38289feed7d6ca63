"""The worker threads that run sync procedures for an event loop: one queue, threads started as needed.

``loop.run_in_executor`` on a ``ThreadPoolExecutor`` costs, per call, a concurrent ``Future``
(with its ``Condition``), a work item, and an asyncio future chained to it by callbacks on
both sides; for a sync ``add`` that was most of the call. Here a call is one asyncio future,
one put on a ``SimpleQueue``, and one ``call_soon_threadsafe`` back to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

# A job: the future to settle, the context to run in, the function and its arguments, and the
# loop that owns the future (None for a concurrent.futures.Future, settled from the thread).
_Job = tuple[
    Any, contextvars.Context, Callable[..., Any], tuple[Any, ...], dict[str, Any], asyncio.AbstractEventLoop | None
]


class Workers:
    """Up to ``size`` threads running the functions handed to them, in order.

    Threads are daemons: one still running a procedure past its deadline must not hold up the
    interpreter's exit (a ``ThreadPoolExecutor`` would wait for it).
    """

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._idle = 0
        self.waiting = 0
        """Jobs handed over and not started yet (``Limits.max_waiting`` reads it)."""

    async def run(self, context: contextvars.Context, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``context.run(function, *args, **kwargs)`` in a worker thread; its result, or its exception, here.

        Cancelled while it waits for a thread, the call never runs; once started, it runs on
        (a thread cannot be interrupted) and its outcome is dropped.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._hand((future, context, function, args, kwargs, loop))
        return await future

    def submit(self, context: contextvars.Context, function: Callable[..., T], /, *args: Any) -> Future[T]:
        """``run`` for a caller that is a thread: a ``concurrent.futures.Future`` (``cancel`` works until it starts)."""
        future: Future[T] = Future()
        self._hand((future, context, function, args, {}, None))
        return future

    def _hand(self, job: _Job) -> None:
        with self._lock:  # jobs are taken in the order they were handed over
            self._jobs.put(job)
            self.waiting += 1
            start = self.waiting > self._idle and self._started < self._size
            if start:
                self._started += 1
                self._idle += 1
                name = f"{self._name}_{self._started}"
        if start:
            threading.Thread(target=self._work, name=name, daemon=True).start()

    def _work(self) -> None:
        take = self._jobs.get
        while True:
            future, context, function, args, kwargs, loop = take()
            with self._lock:
                self.waiting -= 1
                self._idle -= 1
            try:
                if loop is None:
                    if future.set_running_or_notify_cancel():
                        _settle_now(future, context, function, args)
                elif not future.done():  # not cancelled while it waited
                    _settle_later(loop, future, context, function, args, kwargs)
            finally:
                del future, context, function, args, kwargs, loop  # drop the call's objects while idle
                with self._lock:
                    self._idle += 1


def _settle_now(future: Future[Any], context: contextvars.Context, function: Callable[..., Any], args: Any) -> None:
    try:
        result = context.run(function, *args)
    except BaseException as exc:
        future.set_exception(exc)
    else:
        future.set_result(result)


def _settle_later(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    context: contextvars.Context,
    function: Callable[..., Any],
    args: Any,
    kwargs: dict[str, Any],
) -> None:
    try:
        result = context.run(function, *args, **kwargs)
    except BaseException as exc:
        settle: Callable[..., None] = _fail
        outcome: Any = exc
    else:
        settle, outcome = _succeed, result
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits for the answer
        loop.call_soon_threadsafe(settle, future, outcome)


def _succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():  # cancelled while it ran
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
