"""Streaming procedures on the wire: a generator's items as Server-Sent Events (docs/streaming.md).

A client that takes ``text/event-stream`` (``Accept``) POSTs one JSON-RPC request; a streaming
procedure's answer is HTTP 200 ``text/event-stream``, an event per item, then an end::

    id: 0
    data: {"step": 1, "of": 3}

    : ping

    event: done
    data: null

``data`` is the item as the procedure's annotation serializes it; ``id`` counts up (or is the
procedure's own, ``tracked(id, item)``), and a client that reconnects sends the last one it saw
as ``Last-Event-ID``, which the procedure reads as ``ctx.last_event_id`` to resume after it. A
comment (``: ping``) goes out while the procedure is idle, so proxies keep the connection. When
the procedure raises, or runs past ``Limits.stream_seconds``, the stream ends with an error
event whose data is a JSON-RPC error response, as a call would have been answered::

    event: error
    data: {"jsonrpc":"2.0","error":{"code":4004,"message":"no such job"},"id":7}

A batch sent with that ``Accept`` is answered the same way, one JSON-RPC response per event in
the order its calls finish (``BatchStream`` in dispatch.py), so a fast call of a batch is never
held back by a slow one.

SSE and not NDJSON: its ids and ``Last-Event-ID`` are the resumption protocol, comments are its
heart-beats, and every proxy and browser tool knows it.

Under ASGI the endpoint sends ``events`` as they come. Under WSGI it hands the server a
``SyncEvents``, the same events made on the dispatcher's background event loop (so a ping can
go out while the procedure is idle) and waited for in the server's thread; a WSGI server closes
it when the response ends or the client leaves, which stops the procedure.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .errors import TIMEOUT, RpcError
from .timers import TICK

if TYPE_CHECKING:
    from .dispatch import EventSource

T = TypeVar("T")

HEARTBEAT_SECONDS = 15.0
"""How long a stream stays silent before a ``: ping`` comment."""

HEADERS: tuple[tuple[str, str], ...] = (
    ("content-type", "text/event-stream; charset=utf-8"),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),  # nginx: pass each event on at once
)

PING = b": ping\n\n"
DONE = b"event: done\ndata: null\n\n"


@dataclass(frozen=True, slots=True)
class Tracked(Generic[T]):
    """An item with the event id it goes out under (see ``tracked``)."""

    id: str
    item: T


def tracked(id: str | int, item: T) -> T:
    """Yield ``tracked(id, item)`` to send ``item`` under your own event id.

    A client that reconnects after a dropped connection passes the last id it received, which
    the procedure reads as ``ctx.last_event_id`` to resume after it (tRPC's ``tracked``). Typed
    as the item itself, so that a generator annotated ``-> AsyncIterator[Step]`` may yield it;
    what it makes is a ``Tracked``, which the stream unwraps.
    """
    text = str(id)
    if not text or any(char in text for char in "\r\n\0"):
        raise ValueError(f"an event id is one line of text, not {text!r}")
    return cast(T, Tracked(text, item))


BATCH_EVENTS = 64
"""At most this many events go out in one write (see ``events``)."""

BATCH_SECONDS = 0.0002
"""Items that come quicker than this, one after another, are written together (see ``events``)."""


async def events(
    stream: EventSource, *, seconds: float | None = None, heartbeat: float = HEARTBEAT_SECONDS
) -> AsyncGenerator[bytes, None]:
    """The stream's events as bytes, ready to send; closing it stops the procedure (its ``finally`` runs).

    ``seconds`` bounds how long the stream lasts (``Limits.stream_seconds``).

    The procedure runs in a task of its own, one for the whole stream, so that a ping can go
    out while it is idle without cancelling it. Each chunk is what is ready when the previous
    one has gone: an item goes out at once when it is the first, or when the procedure took
    ``BATCH_SECONDS`` or longer to make it (it awaited something, or computes for long); items
    it makes quicker than that, one after another, go out together, up to ``BATCH_EVENTS`` of
    them or as many as came within ``BATCH_SECONDS`` of asking for the first. A write costs
    several times what a small item does, so a fast stream is sent in few of them, and no
    item waits for the procedure to await anything.
    """
    loop = asyncio.get_running_loop()
    number = _first_number(stream.context.last_event_id)
    deadline = None if seconds is None else time.monotonic() + seconds
    items = stream.items()
    ready: list[bytes] = []  # events made and not yet taken
    idle: asyncio.Future[None] | None = None  # set while this side waits for events
    full: asyncio.Future[None] | None = None  # set while the procedure waits for the batch to be taken

    async def produce() -> None:
        nonlocal number, full
        clock = time.perf_counter
        asked = started = 0.0  # when the procedure was asked for the next item, and for the batch's first
        try:
            async for item in items:
                if isinstance(item, Tracked):
                    event_id, item = item.id, item.item
                else:
                    event_id, number = str(number), number + 1
                if not ready:
                    started = asked  # 0.0 for the first: it goes out at once
                ready.append(b"id: " + event_id.encode() + b"\ndata: " + stream.encode(item) + b"\n\n")
                if idle is not None:
                    _wake(idle)
                if len(ready) >= BATCH_EVENTS:
                    full = loop.create_future()
                    await full
                    asked = clock()
                elif (asked := clock()) - started >= BATCH_SECONDS:
                    await asyncio.sleep(0)  # the batch goes out before the next item is asked for
                    asked = clock()
        finally:
            try:
                await items.aclose()
            finally:
                if idle is not None:
                    _wake(idle)

    producer = loop.create_task(produce())
    try:
        await asyncio.sleep(0)  # the procedure starts: a first item that is ready at once goes out without a wait
        while True:
            if ready:
                chunk = ready[0] if len(ready) == 1 else b"".join(ready)
                ready.clear()
                if full is not None:
                    full.set_result(None)
                    full = None
                yield chunk
                continue
            if producer.done():
                break
            limit = heartbeat if deadline is None else min(heartbeat, deadline - time.monotonic())
            if limit <= 0:
                raise _Expired(seconds or 0)
            idle = loop.create_future()
            timer = loop.call_later(limit, _wake, idle)
            try:
                await idle
            finally:
                timer.cancel()
                idle = None
            if not ready and not producer.done():  # the procedure is idle: a ping, or the end
                if deadline is not None and time.monotonic() >= deadline:
                    raise _Expired(seconds or 0)
                yield PING
        producer.result()  # the procedure's exception, if it raised
        yield DONE
    except _Expired as expired:
        error = RpcError(TIMEOUT, f"Timeout: the stream ran past {expired.seconds:g} s", {"timeout": expired.seconds})
        yield b"event: error\ndata: " + stream.failure(error) + b"\n\n"
    except Exception as exc:  # the procedure raised, or an item does not fit its annotation
        yield b"event: error\ndata: " + stream.failure(exc) + b"\n\n"
    finally:
        if not producer.done():
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)
        elif not producer.cancelled():
            producer.exception()  # retrieved: it went out as an error event, or the client left
        await items.aclose()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class SyncEvents:
    """A stream's events for a WSGI server: iterate for the chunks (``events``' bytes, pings
    included), ``close()`` to stop the procedure (its ``finally`` has run when it returns).

    WSGI servers call ``close()`` on the response's iterable when it ends, and when the client
    has left (waitress finds that out at the next write: a ping at the latest). ``disconnected``,
    when given, is asked every ``TICK`` while a chunk is awaited and ends the stream when it says
    True (waitress's ``environ["waitress.client_disconnected"]``, which knows once waitress reads
    during requests: ``channel_request_lookahead``). ``closed`` is called once, on ``close()``.

    The events are made by ``events`` on the dispatcher's background loop: an async procedure
    runs there, a sync one in the dispatcher's worker threads (``Limits.threads``), one step
    at a time, exactly as under ASGI; this thread only waits for each chunk.
    """

    def __init__(
        self,
        stream: EventSource,
        *,
        seconds: float | None = None,
        heartbeat: float = HEARTBEAT_SECONDS,
        disconnected: Callable[[], bool] | None = None,
        closed: Callable[[], object] | None = None,
    ) -> None:
        self._stream = stream
        self._events = events(stream, seconds=seconds, heartbeat=heartbeat)
        self._disconnected = disconnected
        self._closed = closed
        self._task: asyncio.Task[Any] | None = None  # the step running on the loop
        self._lock = threading.Lock()
        self._done = False

    def __iter__(self) -> SyncEvents:
        return self

    def __next__(self) -> bytes:
        if self._done:
            raise StopIteration
        try:
            chunk = self._wait(self._stream.submit(self._step()))
        except concurrent.futures.CancelledError:  # closed from another thread meanwhile
            chunk = None
        except BaseException:
            self.close()
            raise
        if chunk is None:  # the stream ended (its done or error event went out), or its client left
            self.close()
            raise StopIteration
        return chunk

    def _wait(self, step: concurrent.futures.Future[bytes | None]) -> bytes | None:
        disconnected = self._disconnected
        if disconnected is None:
            return step.result()
        while True:
            try:
                return step.result(TICK)
            except TimeoutError:
                if disconnected():
                    return None

    async def _step(self) -> bytes | None:
        self._task = asyncio.current_task()
        try:
            return await anext(self._events)
        except StopAsyncIteration:
            return None

    async def _stop(self) -> None:
        task = self._task
        if task is not None and not task.done():  # a step still waits for the procedure
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._events.aclose()

    def close(self) -> None:
        """Stop the stream: the procedure's generator is closed and its ``finally`` runs. Idempotent."""
        self._close(wait=True)

    def _close(self, wait: bool) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        try:
            stopping = self._stream.submit(self._stop())
            if wait:
                stopping.result()
        finally:
            if self._closed is not None:
                self._closed()

    def __del__(self) -> None:
        # A server that never closes the iterable: the procedure is stopped all the same, without
        # waiting (this may run on any thread, the loop's own included).
        if getattr(self, "_done", True):
            return
        with contextlib.suppress(Exception):  # at interpreter exit the loop may be gone
            self._close(wait=False)


class _Expired(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def _first_number(last_event_id: str | None) -> int:
    """Counted ids go on after the client's last one when it is a number (a resumed stream)."""
    if last_event_id is not None and last_event_id.isascii() and last_event_id.isdigit():
        return int(last_event_id) + 1
    return 0
