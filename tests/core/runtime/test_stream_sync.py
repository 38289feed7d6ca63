"""Streaming under WSGI, without a server: ``Endpoint.respond_sync`` answers a stream with
``Reply.stream_sync``, the same events as ``respond``'s, which a WSGI server iterates in its
thread and closes when the client leaves (the adapters over HTTP: tests/adapters/test_streaming.py)."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import Context, Headers, Limits, Procedure, Registry, RpcError
from pyrpc_core.dispatch import Dispatcher, StreamCall
from pyrpc_core.endpoint import Accepted, Endpoint, Reply
from pyrpc_core.plugins import PluginManager
from pyrpc_core.stream import SyncEvents, events, tracked
from pyrpc_core.testing import parse_events
from pyrpc_core.tooling.config import ConfigError, read_config
from pyrpc_core.tooling.loading import load_app

STREAM = Accepted(wants_body=True, stream=True)


def make_registry(log: list[str]) -> Registry:
    api = Registry()

    @api.rpc
    async def count(of: int, ctx: Context) -> AsyncIterator[int]:
        start = int(ctx.last_event_id) + 1 if ctx.last_event_id else 0
        try:
            for number in range(start, of):
                await asyncio.sleep(0.001)
                yield number
            if of == 13:
                raise RpcError(4013, "unlucky", {"of": of})
        finally:
            log.append(f"count {of} finally")

    @api.rpc
    def count_sync(of: int, ctx: Context) -> Iterator[int]:
        start = int(ctx.last_event_id) + 1 if ctx.last_event_id else 0
        try:
            yield from range(start, of)
            if of == 13:
                raise RpcError(4013, "unlucky", {"of": of})
        finally:
            log.append(f"count_sync {of} finally")

    @api.rpc
    async def forever() -> AsyncIterator[int]:
        try:
            number = 0
            while True:
                await asyncio.sleep(0.01)
                yield number
                number += 1
        finally:
            log.append("forever finally")

    @api.rpc
    def slow_sync(seconds: float) -> Iterator[int]:
        try:
            number = 0
            while True:
                time.sleep(seconds)
                yield number
                number += 1
        finally:
            log.append(f"slow_sync finally in {threading.current_thread().name}")

    @api.rpc
    async def labelled() -> AsyncIterator[str]:
        yield tracked("a", "first")  # type: ignore[misc]
        yield tracked(2, "second")  # type: ignore[misc]

    @api.rpc
    async def idle() -> AsyncIterator[int]:
        try:
            await asyncio.sleep(3600)
            yield 0
        finally:
            log.append("idle finally")

    @api.rpc(name="admin.stream")
    async def admin_stream() -> AsyncIterator[int]:
        yield 1

    @api.rpc
    def add(a: int, b: int) -> int:
        return a + b

    @api.guard
    async def only_admins(procedure: Procedure, ctx: Context) -> None:
        await asyncio.sleep(0)
        if procedure.name.startswith("admin.") and ctx.headers.get("x-role") != "admin":
            raise RpcError(4003, "forbidden")

    return api


def body(method: str, params: Any = None, request_id: Any = 1) -> bytes:
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": request_id}
    if params is not None:
        request["params"] = params
    return json.dumps(request).encode()


def endpoint(log: list[str], **limits: Any) -> Endpoint:
    return Endpoint(make_registry(log), plugins=PluginManager(), limits=Limits(**limits))


def context(last_event_id: str | None = None, **headers: str) -> Context:
    if last_event_id is not None:
        headers["last-event-id"] = last_event_id
    return Context(headers=Headers(headers))


def streamed(reply: Reply) -> SyncEvents:
    assert (reply.status, reply.body, reply.stream) == (200, b"", None)
    assert dict(reply.headers)["content-type"] == "text/event-stream; charset=utf-8"
    assert reply.stream_sync is not None
    return reply.stream_sync


def wait_until(condition: Any, seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


async def asgi_events(api: Registry, request: bytes, ctx: Context) -> bytes:
    opened = await Dispatcher(api).open_stream(request, ctx)
    assert isinstance(opened, StreamCall)
    return b"".join([chunk async for chunk in events(opened)])


@pytest.mark.parametrize(
    ("method", "params", "last_event_id"),
    [
        ("count", [3], None),
        ("count_sync", [3], None),
        ("count", [13], None),
        ("count_sync", [13], None),
        ("count", [5], "2"),
        ("count_sync", [5], "2"),
        ("labelled", None, None),
    ],
)
def test_the_events_are_those_of_the_asgi_path(method: str, params: Any, last_event_id: str | None) -> None:
    log: list[str] = []
    request = body(method, params, "x")
    chunks = list(streamed(endpoint(log).respond_sync(STREAM, request, context(last_event_id))))
    expected = asyncio.run(asgi_events(make_registry([]), request, context(last_event_id)))
    assert b"".join(chunks) == expected
    assert len(log) == (method != "labelled")  # the finally ran by the end of the stream


def test_items_then_done_and_a_json_rpc_error_event() -> None:
    reply = endpoint([]).respond_sync(STREAM, body("count_sync", [13], 7), context("10"))
    found = parse_events(b"".join(streamed(reply)))
    assert found[:2] == [{"id": "11", "data": "11"}, {"id": "12", "data": "12"}]
    assert found[2]["event"] == "error"
    error = {"jsonrpc": "2.0", "error": {"code": 4013, "message": "unlucky", "data": {"of": 13}}, "id": 7}
    assert json.loads(found[2]["data"]) == error


@pytest.mark.parametrize(
    ("request_body", "accepted"),
    [
        (body("count", [2]), Accepted(wants_body=True)),
        (b"[" + body("count", [2]) + b"]", STREAM),
    ],
    ids=["without-accept", "in-a-batch"],
)
def test_a_client_that_cannot_stream_gets_stream_only_and_nothing_runs(request_body: bytes, accepted: Accepted) -> None:
    log: list[str] = []
    reply = endpoint(log).respond_sync(accepted, request_body, context())
    if accepted.stream:  # a batch's answers stream, each as its call finishes
        chunks = b"".join(streamed(reply))
        assert chunks.endswith(b"\n\nevent: done\ndata: null\n\n")
        answer = json.loads(chunks.split(b"data: ", 1)[1].split(b"\n", 1)[0])
    else:
        answer = json.loads(reply.body)
    assert answer["error"]["code"] == -32003
    assert log == []


def test_plain_calls_notifications_and_refusals_are_answered_as_json() -> None:
    served = endpoint([])
    assert served.respond_sync(STREAM, body("add", [1, 2]), context()).body == b'{"jsonrpc":"2.0","result":3,"id":1}'
    assert served.respond_sync(STREAM, b'{"jsonrpc":"2.0","method":"count","params":[2]}', context()).status == 204
    refused = served.respond_sync(STREAM, body("admin.stream"), context())  # an async guard, on the sync path
    assert json.loads(refused.body)["error"] == {"code": 4003, "message": "forbidden"}
    allowed = served.respond_sync(STREAM, body("admin.stream"), context(**{"x-role": "admin"}))
    assert b"".join(streamed(allowed)) == b"id: 0\ndata: 1\n\nevent: done\ndata: null\n\n"
    assert served.streams == 0


def test_pings_while_idle_and_the_stream_seconds() -> None:
    log: list[str] = []
    served = endpoint(log, stream_heartbeat=0.02, stream_seconds=0.15)
    started = time.monotonic()
    chunks = list(streamed(served.respond_sync(STREAM, body("idle", None, 5), context())))
    assert 0.15 <= time.monotonic() - started < 1.0
    assert chunks.count(b": ping\n\n") >= 3
    error = json.loads(chunks[-1].removeprefix(b"event: error\ndata: "))
    assert error == {
        "jsonrpc": "2.0",
        "error": {"code": -32001, "message": "Timeout: the stream ran past 0.15 s", "data": {"timeout": 0.15}},
        "id": 5,
    }
    assert log == ["idle finally"]


def test_closing_stops_an_async_generator_before_close_returns() -> None:
    log: list[str] = []
    served = endpoint(log)
    stream = streamed(served.respond_sync(STREAM, body("forever"), context()))
    assert [next(stream), next(stream)] == [b"id: 0\ndata: 0\n\n", b"id: 1\ndata: 1\n\n"]
    assert served.streams == 1
    stream.close()
    assert log == ["forever finally"]
    assert served.streams == 0
    stream.close()  # idempotent
    assert list(stream) == []
    assert served.streams == 0


def test_closing_while_the_procedure_is_idle_stops_it() -> None:
    log: list[str] = []
    stream = streamed(endpoint(log, stream_heartbeat=0.01).respond_sync(STREAM, body("idle"), context()))
    assert next(stream) == b": ping\n\n"
    stream.close()
    assert log == ["idle finally"]


def test_a_sync_generator_runs_in_worker_threads_and_is_closed_after_its_step() -> None:
    log: list[str] = []
    served = endpoint(log, stream_heartbeat=0.05)
    stream = streamed(served.respond_sync(STREAM, body("slow_sync", [0.2]), context()))
    assert next(stream) == b": ping\n\n"  # the generator sleeps in a worker thread meanwhile
    started = time.monotonic()
    stream.close()  # a thread cannot be interrupted: the step ends, then the generator is closed
    assert time.monotonic() - started < 0.5
    wait_until(lambda: log)
    assert len(log) == 1
    assert log[0].startswith("slow_sync finally in pyrpc-sync")


def test_a_stream_never_iterated_gives_its_slot_back_when_closed() -> None:
    log: list[str] = []
    served = endpoint(log)
    stream = streamed(served.respond_sync(STREAM, body("forever"), context()))
    assert served.streams == 1
    stream.close()
    assert served.streams == 0
    assert log == []  # the procedure never started


def test_beyond_max_streams_a_stream_gets_503_until_one_closes() -> None:
    served = endpoint([], max_streams=1)
    first = streamed(served.respond_sync(STREAM, body("forever"), context()))
    refused = served.respond_sync(STREAM, body("forever"), context())
    assert (refused.status, refused.stream_sync) == (503, None)
    assert json.loads(refused.body)["error"]["code"] == -32002
    assert dict(refused.headers)["retry-after"] == "1"
    assert served.respond_sync(STREAM, body("add", [1, 1]), context()).status == 200  # calls go on
    first.close()
    again = streamed(served.respond_sync(STREAM, body("count", [1]), context()))
    assert b"".join(again).endswith(b"event: done\ndata: null\n\n")
    assert served.streams == 0


def test_a_client_the_server_sees_leaving_ends_the_stream_within_a_tick() -> None:
    log: list[str] = []
    gone = threading.Event()
    stream = streamed(endpoint(log).respond_sync(STREAM, body("idle"), context(), disconnected=gone.is_set))
    threading.Timer(0.05, gone.set).start()
    started = time.monotonic()
    assert list(stream) == []  # no ping in between: the heartbeat is 15 s
    assert time.monotonic() - started < 0.5
    assert log == ["idle finally"]


def test_a_stream_the_server_forgets_is_stopped_when_collected() -> None:
    log: list[str] = []
    served = endpoint(log)
    stream = streamed(served.respond_sync(STREAM, body("forever"), context()))
    next(stream)
    del stream
    gc.collect()
    assert served.streams == 0
    wait_until(lambda: log)
    assert log == ["forever finally"]


@pytest.mark.parametrize("heartbeat", [0, -1, None, True, float("inf"), "1"])
def test_the_heartbeat_is_a_positive_number_of_seconds(heartbeat: Any) -> None:
    with pytest.raises(ValueError, match=r"Limits\.stream_heartbeat must be a positive number of seconds"):
        Limits(stream_heartbeat=heartbeat)
    assert Limits().stream_heartbeat == 15.0


def test_pyrpc_json_sets_the_heartbeat(tmp_path: Path) -> None:
    (tmp_path / "heartbeat_main.py").write_text("from pyrpc_core import Registry\n\napi = Registry()\n")
    config = {"version": 1, "framework": "asgi", "entrypoint": "heartbeat_main", "client_root": "web"}
    config["distribution"] = "server"
    path = tmp_path / "pyrpc.json"
    try:
        path.write_text(json.dumps({**config, "endpoint": {"limits": {"stream_heartbeat": 2.5}}}))
        assert load_app(read_config(path)).endpoint.limits.stream_heartbeat == 2.5
        path.write_text(json.dumps({**config, "endpoint": {"limits": {"stream_heartbeat": 0}}}))
        with pytest.raises(ConfigError, match=r"field 'endpoint\.limits': Limits\.stream_heartbeat"):
            read_config(path)
    finally:
        sys.modules.pop("heartbeat_main", None)
