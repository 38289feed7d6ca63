"""Streaming procedures: items per second and time to the first item, against a hand-written SSE endpoint.

One uvicorn worker serves both targets (``app`` below), so they share the server, the event loop
and the HTTP implementation:

- ``POST /rpc``: pyrpc-asgi, calling an async generator procedure with ``Accept: text/event-stream``;
- ``POST /sse``: the floor, a hand-written ASGI handler that runs the same generator and writes
  each item as it comes (``id: <n>`` and ``data: <JSON>``, one ``send`` per event, then the same
  ``event: done``): the same bytes on the wire, with no validation, limits or pings.

The client, in its own process pinned to the other CPU, reads every stream to its end over one
keep-alive connection; both targets take turns in every round, so a slow spell of the machine
hits them alike.

    python -m bench.stream_bench URL ITEMS ROUNDS FIRSTS FIRST_ITEMS   # the client, printing JSON
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json

import pyrpc_asgi
from pyrpc_core import Registry
from pyrpc_core.plugins import PluginManager

from .harness import PYTHON, ROOT, pinned, server
from .servers.floor import read_body

# -- the procedures, and the two servers ------------------------------------------------------


class Tick(BaseModel):
    n: int


async def ticks(n: int) -> AsyncIterator[Tick]:
    """``n`` small models, each ready at once."""
    for i in range(n):
        yield Tick(n=i)


async def numbers(n: int) -> AsyncIterator[int]:
    """``n`` integers, each ready at once: the per-event cost with next to no serialization."""
    for i in range(n):
        yield i


registry = Registry()
registry.rpc(ticks)
registry.rpc(numbers)

CALLS = {"ticks": ticks, "numbers": numbers}
ITEMS = {"ticks": 'a model, `{"n": i}`', "numbers": "an int, `i`"}
"""How the report names each procedure's items."""

# Without the plugins installed where the bench runs (as bench.servers.pyrpc_apps).
pyrpc = pyrpc_asgi.create_app(registry, plugins=PluginManager())

_SSE_HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]


async def floor(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The hand-written SSE endpoint: the generator's items as events, one ``send`` each."""
    body = await read_body(receive)
    request = json.loads(body)
    items = CALLS[request["method"]](**request["params"])
    await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
    number = 0
    async for item in items:
        event = b"id: %d\ndata: %s\n\n" % (number, to_json(item))
        number += 1
        await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": b"event: done\ndata: null\n\n", "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """What the bench's uvicorn serves: ``/sse`` is the floor, anything else pyrpc-asgi."""
    if scope["type"] == "http" and scope["path"] == "/sse":
        await floor(scope, receive, send)
    else:
        await pyrpc(scope, receive, send)


FLOOR = "floor (hand-written SSE)"
TARGETS = {FLOOR: "/sse", "pyrpc-asgi": "/rpc"}

# -- the client ------------------------------------------------------------------------------


def request_bytes(path: str, method: str, items: int) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": {"n": items}, "id": 1}).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


_END = b"\r\n0\r\n\r\n"  # the last chunk of a chunked body, after the one before it


def read_stream(sock: socket.socket, request: bytes) -> tuple[float, float, bytes]:
    """Send ``request`` and read its streamed answer to the end: (seconds to the first item, in all, the bytes)."""
    started = time.perf_counter()
    sock.sendall(request)
    chunks: list[bytes] = []
    first = 0.0
    tail = b""
    while True:
        data = sock.recv(1 << 18)
        if not data:
            raise ConnectionError("the server closed the connection in the middle of a stream")
        chunks.append(data)
        seen = tail + data
        if not first and b"\ndata: " in seen:
            first = time.perf_counter() - started
        if seen.endswith(_END):
            return first, time.perf_counter() - started, b"".join(chunks)
        tail = seen[-16:]


def check_stream(answer: bytes, method: str, items: int) -> None:
    """The whole answer, checked: a 200 event stream, every item in order, then done."""
    head, _, chunked = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200") or b"text/event-stream" not in head:
        raise AssertionError(f"not an event stream: {head!r:.300}")
    body = b""
    while True:
        size_line, _, chunked = chunked.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        body += chunked[:size]
        chunked = chunked[size + 2 :]
    events = body.decode().split("\n\n")
    expected = [
        f"id: {i}\ndata: " + (json.dumps({"n": i}, separators=(",", ":")) if method == "ticks" else str(i))
        for i in range(items)
    ]
    if events != [*expected, "event: done\ndata: null", ""]:
        raise AssertionError(f"wrong events for {method}({items}): {body!r:.300}")


def client(url: str, items: int, rounds: int, firsts: int, first_items: int) -> dict[str, Any]:
    """{target: {method: {"items_per_second": [...], "first_ms": [...]}}}, both targets in turns."""
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    results: dict[str, Any] = {
        name: {method: {"items_per_second": [], "first_ms": []} for method in CALLS} for name in TARGETS
    }
    with sock:
        for method in CALLS:
            for path in TARGETS.values():  # checked, and warmed up
                check_stream(read_stream(sock, request_bytes(path, method, items))[2], method, items)
                check_stream(read_stream(sock, request_bytes(path, method, first_items))[2], method, first_items)
        for turn in range(rounds):
            for method in CALLS:
                for name, path in _turns(turn):
                    _, took, answer = read_stream(sock, request_bytes(path, method, items))
                    if answer.count(b"\ndata: ") != items + 1:
                        raise AssertionError(f"{name} sent a wrong number of events")
                    results[name][method]["items_per_second"].append(items / took)
        for turn in range(firsts):
            for method in CALLS:
                for name, path in _turns(turn):
                    first, _, _ = read_stream(sock, request_bytes(path, method, first_items))
                    results[name][method]["first_ms"].append(first * 1000)
    return results


def _turns(turn: int) -> list[tuple[str, str]]:
    """The targets in this turn's order: each goes first every other turn."""
    order = list(TARGETS.items())
    return order if turn % 2 == 0 else order[::-1]


# -- measuring -------------------------------------------------------------------------------


@dataclass
class StreamResult:
    items_per_second: float
    """The median over the rounds."""
    first_ms: float
    """Time from the request to the first item, the median over the streams."""
    items_vs_floor: float
    """Items/s over the floor's in the same round, the median over the rounds (1 for the floor)."""
    first_vs_floor: float
    """Time to the first item over the floor's in the same turn, the median over the turns."""


FIRST_ITEMS = 100
"""The length of the streams whose first item is timed."""


def measure(items: int, rounds: int, firsts: int, first_items: int = FIRST_ITEMS) -> dict[str, dict[str, StreamResult]]:
    """{target: {method: StreamResult}} from one uvicorn worker serving both targets."""
    with server("bench.stream_bench:app", "asgi") as running:
        print(f"  stream: {rounds} rounds of {items:,} items, {firsts} first items", file=sys.stderr, flush=True)
        command = [
            PYTHON,
            "-m",
            "bench.stream_bench",
            running.url,
            str(items),
            str(rounds),
            str(firsts),
            str(first_items),
        ]
        completed = subprocess.run(pinned(command, 1), cwd=ROOT, capture_output=True, text=True)
        if completed.returncode != 0:
            raise RuntimeError(f"the stream client failed:\n{completed.stderr}")
        raw = json.loads(completed.stdout)
    floor = raw[FLOOR]
    return {
        name: {
            method: StreamResult(
                statistics.median(runs["items_per_second"]),
                statistics.median(runs["first_ms"]),
                _paired(runs["items_per_second"], floor[method]["items_per_second"]),
                _paired(runs["first_ms"], floor[method]["first_ms"]),
            )
            for method, runs in methods.items()
        }
        for name, methods in raw.items()
    }


def _paired(values: list[float], floor: list[float]) -> float:
    """The median of the ratios of measurements taken side by side: a slow spell of the machine
    (other work on it) moves both of a pair, and the median leaves it out."""
    return statistics.median(value / reference for value, reference in zip(values, floor, strict=True))


if __name__ == "__main__":
    url, items, rounds, firsts, first_items = sys.argv[1], *map(int, sys.argv[2:6])
    print(json.dumps(client(url, items, rounds, firsts, first_items)))
