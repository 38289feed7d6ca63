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

SSE and not NDJSON: its ids and ``Last-Event-ID`` are the resumption protocol, comments are its
heart-beats, and every proxy and browser tool knows it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .errors import TIMEOUT, RpcError

if TYPE_CHECKING:
    from .dispatch import StreamCall

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


def tracked(id: str | int, item: T) -> Tracked[T]:
    """Yield ``tracked(id, item)`` to send ``item`` under your own event id.

    A client that reconnects after a dropped connection passes the last id it received, which
    the procedure reads as ``ctx.last_event_id`` to resume after it (tRPC's ``tracked``).
    """
    text = str(id)
    if not text or any(char in text for char in "\r\n\0"):
        raise ValueError(f"an event id is one line of text, not {text!r}")
    return Tracked(text, item)


async def events(
    stream: StreamCall, *, seconds: float | None = None, heartbeat: float = HEARTBEAT_SECONDS
) -> AsyncGenerator[bytes, None]:
    """The stream's events as bytes, ready to send; closing it stops the procedure (its ``finally`` runs).

    ``seconds`` bounds how long the stream lasts (``Limits.stream_seconds``).
    """
    number = _first_number(stream.context.last_event_id)
    deadline = None if seconds is None else time.monotonic() + seconds
    items = stream.items()
    waiting: asyncio.Task[Any] | None = None
    try:
        while True:
            # The next item is awaited in a task of its own, so that a ping can go out while the
            # procedure is idle without cancelling it.
            waiting = asyncio.ensure_future(anext(items))
            while True:
                limit = heartbeat if deadline is None else min(heartbeat, deadline - time.monotonic())
                done, _ = await asyncio.wait((waiting,), timeout=max(limit, 0))
                if done:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    raise _Expired(seconds or 0)
                yield PING
            try:
                item = waiting.result()
            except StopAsyncIteration:
                break
            finally:
                waiting = None
            if isinstance(item, Tracked):
                event_id, item = item.id, item.item
            else:
                event_id, number = str(number), number + 1
            yield b"id: " + event_id.encode() + b"\ndata: " + stream.encode(item) + b"\n\n"
        yield DONE
    except _Expired as expired:
        error = RpcError(TIMEOUT, f"Timeout: the stream ran past {expired.seconds:g} s", {"timeout": expired.seconds})
        yield b"event: error\ndata: " + stream.failure(error) + b"\n\n"
    except Exception as exc:  # the procedure raised, or an item does not fit its annotation
        yield b"event: error\ndata: " + stream.failure(exc) + b"\n\n"
    finally:
        if waiting is not None:
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
        await items.aclose()


class _Expired(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def _first_number(last_event_id: str | None) -> int:
    """Counted ids go on after the client's last one when it is a number (a resumed stream)."""
    if last_event_id is not None and last_event_id.isascii() and last_event_id.isdigit():
        return int(last_event_id) + 1
    return 0
