"""Streaming procedures: generators registered with their item type, sent as Server-Sent Events."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from pyrpc_asgi import create_app
from pyrpc_core import Context, Limits, RegistrationError, Registry, RpcError, build_schema
from pyrpc_core.dispatch import Dispatcher, StreamCall
from pyrpc_core.plugins import PluginManager
from pyrpc_core.stream import events, tracked
from pyrpc_core.testing import serve_asgi


class Step(BaseModel):
    done: int
    of: int


def make_registry(log: list[str]) -> Registry:
    api = Registry()

    @api.rpc
    async def progress(of: int, ctx: Context) -> AsyncIterator[Step]:
        start = int(ctx.last_event_id) + 1 if ctx.last_event_id else 0
        try:
            for done in range(start, of):
                await asyncio.sleep(0.005)
                yield Step(done=done, of=of)
            if of == 13:
                raise RpcError(4013, "unlucky", {"of": of})
        finally:
            log.append(f"progress {of} finally")

    @api.rpc
    def words(text: str) -> Iterator[str]:
        try:
            yield from text.split()
        finally:
            log.append("words finally")

    @api.rpc
    async def forever() -> AsyncIterator[int]:
        try:
            number = 0
            while True:
                await asyncio.sleep(0.02)
                number += 1
                yield number
        finally:
            log.append("forever finally")

    @api.rpc
    async def labelled() -> AsyncIterator[str]:
        yield tracked("a-1", "first")
        yield tracked(7, "second")

    @api.rpc
    def add(a: int, b: int) -> int:
        return a + b

    return api


def parse(text: str) -> list[dict[str, str]]:
    """The events of an SSE body: each a dict of its fields (comments as {"comment": ...})."""
    found = []
    for block in text.split("\n\n"):
        if not block:
            continue
        event: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            event["comment" if name == "" else name] = value
        found.append(event)
    return found


def stream(url: str, call: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    all_headers = {"Content-Type": "application/json", "Accept": "text/event-stream", **(headers or {})}
    connection.request("POST", parts.path, json.dumps(call), all_headers)
    response = connection.getresponse()
    return response.status, response.getheader("content-type", ""), response.read().decode()


@pytest.fixture(scope="module")
def log() -> list[str]:
    return []


@pytest.fixture(scope="module")
def url(log: list[str]) -> Iterator[str]:
    with serve_asgi(create_app(make_registry(log), plugins=PluginManager())) as base:
        yield base + "/rpc"


def test_a_generator_is_registered_as_a_stream_of_its_item_type() -> None:
    schema = build_schema(make_registry([]), PluginManager())
    progress = schema["procedures"]["progress"]
    assert progress["stream"] is True
    assert progress["result"] == {"$ref": "#/$defs/Step"}
    assert schema["procedures"]["words"]["result"] == {"type": "string"}
    assert "stream" not in schema["procedures"]["add"]


def test_a_generator_annotated_with_something_else_is_refused() -> None:
    api = Registry()
    with pytest.raises(RegistrationError, match=r"is a generator, so it streams: .*-> AsyncIterator\[Step\]"):

        @api.rpc
        async def wrong() -> int:  # type: ignore[misc]
            yield 1


def test_items_arrive_as_events_then_done(url: str, log: list[str]) -> None:
    status, kind, body = stream(url, {"jsonrpc": "2.0", "method": "progress", "params": [3], "id": 1})
    assert (status, kind) == (200, "text/event-stream; charset=utf-8")
    assert parse(body) == [
        {"id": "0", "data": '{"done":0,"of":3}'},
        {"id": "1", "data": '{"done":1,"of":3}'},
        {"id": "2", "data": '{"done":2,"of":3}'},
        {"event": "done", "data": "null"},
    ]
    assert "progress 3 finally" in log


def test_a_sync_generator_streams_from_worker_threads(url: str, log: list[str]) -> None:
    _, _, body = stream(url, {"jsonrpc": "2.0", "method": "words", "params": ["to be or"], "id": 2})
    assert [event.get("data") for event in parse(body)] == ['"to"', '"be"', '"or"', "null"]
    assert "words finally" in log


def test_an_error_ends_the_stream_with_a_json_rpc_error(url: str) -> None:
    _, _, body = stream(url, {"jsonrpc": "2.0", "method": "progress", "params": [13], "id": "x"})
    last = parse(body)[-1]
    assert last["event"] == "error"
    error = {"jsonrpc": "2.0", "error": {"code": 4013, "message": "unlucky", "data": {"of": 13}}, "id": "x"}
    assert json.loads(last["data"]) == error
    assert len(parse(body)) == 14


def test_a_resumed_stream_goes_on_after_the_last_event_id(url: str) -> None:
    _, _, body = stream(url, {"jsonrpc": "2.0", "method": "progress", "params": [4], "id": 3}, {"Last-Event-ID": "1"})
    assert [(event.get("id"), event["data"]) for event in parse(body)] == [
        ("2", '{"done":2,"of":4}'),
        ("3", '{"done":3,"of":4}'),
        (None, "null"),
    ]


def test_tracked_items_go_out_under_their_own_ids(url: str) -> None:
    _, _, body = stream(url, {"jsonrpc": "2.0", "method": "labelled", "id": 4})
    assert [(event.get("id"), event["data"]) for event in parse(body)[:2]] == [("a-1", '"first"'), ("7", '"second"')]
    with pytest.raises(ValueError, match="one line"):
        tracked("a\nb", 1)


@pytest.mark.parametrize(
    ("call", "accept"),
    [
        ({"jsonrpc": "2.0", "method": "progress", "params": [2], "id": 5}, "application/json"),
        ([{"jsonrpc": "2.0", "method": "progress", "params": [2], "id": 5}], "text/event-stream"),
    ],
)
def test_a_client_that_cannot_stream_gets_a_clear_error_and_nothing_runs(
    url: str, log: list[str], call: Any, accept: str
) -> None:
    before = list(log)
    status, kind, body = stream(url, call, {"Accept": accept})
    if isinstance(call, list):  # a batch's answers stream, each as its call finishes
        assert (status, kind) == (200, "text/event-stream; charset=utf-8")
        answer, done = (event["data"] for event in parse(body))
        assert done == "null"
    else:
        assert (status, kind) == (200, "application/json")
        answer = body
    error = json.loads(answer)["error"]
    assert error["code"] == -32003
    assert "Accept: text/event-stream" in error["message"]
    assert log == before


def test_plain_calls_keep_working_for_a_streaming_client(url: str) -> None:
    status, kind, body = stream(url, {"jsonrpc": "2.0", "method": "add", "params": [1, 2], "id": 6})
    assert (status, kind, json.loads(body)) == (200, "application/json", {"jsonrpc": "2.0", "result": 3, "id": 6})


def test_a_client_that_leaves_stops_the_generator_within_a_second(url: str, log: list[str]) -> None:
    parts = urllib.parse.urlsplit(url)
    body = json.dumps({"jsonrpc": "2.0", "method": "forever", "id": 7}).encode()
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(
            b"POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
            + b"Content-Length: %d\r\n\r\n" % len(body)
            + body
        )
        assert b"200 OK" in sock.recv(4096)
        time.sleep(0.2)
    deadline = time.monotonic() + 1
    while "forever finally" not in log and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "forever finally" in log


def test_idle_streams_send_pings_and_a_long_one_ends_with_a_timeout() -> None:
    log: list[str] = []
    dispatcher = Dispatcher(make_registry(log))

    async def run() -> list[bytes]:
        opened = await dispatcher.open_stream(b'{"jsonrpc":"2.0","method":"forever","id":1}')
        assert isinstance(opened, StreamCall)
        return [chunk async for chunk in events(opened, seconds=0.15, heartbeat=0.01)]

    chunks = asyncio.run(run())
    assert b": ping\n\n" in chunks
    assert chunks[-1].startswith(b"event: error\ndata: ")
    error = json.loads(chunks[-1].split(b"data: ", 1)[1])["error"]
    assert (error["code"], error["data"]) == (-32001, {"timeout": 0.15})
    assert log == ["forever finally"]


def test_beyond_max_streams_a_stream_gets_503() -> None:
    log: list[str] = []
    app = create_app(make_registry(log), plugins=PluginManager(), limits=Limits(max_streams=1))
    with serve_asgi(app) as base:
        parts = urllib.parse.urlsplit(base)
        body = json.dumps({"jsonrpc": "2.0", "method": "forever", "id": 1}).encode()
        with socket.create_connection((parts.hostname, parts.port)) as sock:
            sock.sendall(
                b"POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
                + b"Content-Length: %d\r\n\r\n" % len(body)
                + body
            )
            assert b"200 OK" in sock.recv(4096)
            status, _, answer = stream(base + "/rpc", {"jsonrpc": "2.0", "method": "forever", "id": 2})
            assert status == 503
            assert json.loads(answer)["error"]["code"] == -32002


def run_events(registry: Registry, method: str, **options: Any) -> list[bytes]:
    dispatcher = Dispatcher(registry)

    async def run() -> list[bytes]:
        opened = await dispatcher.open_stream(b'{"jsonrpc":"2.0","method":"%s","id":1}' % method.encode())
        assert isinstance(opened, StreamCall)
        return [chunk async for chunk in events(opened, **options)]

    return asyncio.run(run())


def test_items_made_at_once_go_out_together_but_never_wait_for_a_later_one() -> None:
    api = Registry()

    @api.rpc
    async def instant() -> AsyncIterator[int]:
        for number in range(200):
            yield number

    @api.rpc
    async def awaiting() -> AsyncIterator[int]:
        for number in range(5):
            await asyncio.sleep(0.01)
            yield number

    chunks = run_events(api, "instant")
    assert chunks[0].count(b"\ndata: ") == 1  # the first item at once, alone
    assert len(chunks) < 20  # the rest in few writes
    assert b"".join(chunks).count(b"\ndata: ") == 201  # 200 items and done
    chunks = run_events(api, "awaiting")
    assert [chunk.count(b"\ndata: ") for chunk in chunks] == [1, 1, 1, 1, 1, 1]  # each item as it comes


def test_the_procedure_keeps_its_context_from_one_item_to_the_next() -> None:
    import contextvars

    seen: contextvars.ContextVar[int] = contextvars.ContextVar("seen", default=0)
    api = Registry()

    @api.rpc
    async def counting() -> AsyncIterator[int]:
        for _ in range(3):
            seen.set(seen.get() + 1)
            await asyncio.sleep(0)
            yield seen.get()

    data = [line for line in b"".join(run_events(api, "counting")).split(b"\n") if line.startswith(b"data: ")]
    assert data == [b"data: 1", b"data: 2", b"data: 3", b"data: null"]


def test_a_fast_endless_stream_ends_at_stream_seconds_and_stops_the_procedure() -> None:
    stopped: list[str] = []
    api = Registry()

    @api.rpc
    async def endless() -> AsyncIterator[int]:
        try:
            number = 0
            while True:
                number += 1
                yield number
                await asyncio.sleep(0)
        finally:
            stopped.append("finally")

    chunks = run_events(api, "endless", seconds=0.05)
    assert chunks[-1].startswith(b"event: error")
    assert stopped == ["finally"]
