"""The streaming kit: streaming procedures (docs/streaming.md) held alike on every adapter.

An adapter sends a stream's events as they come (``Reply.stream`` from ``respond``,
``Reply.stream_sync`` from ``respond_sync``) and stops when the client leaves. The suite needs
the ``serve_rpc`` fixture of ``HardeningConformance``: a function that serves a registry at
``/rpc`` with the adapter's keyword options (``limits=``) on a real server in the test's
process, and returns the endpoint's URL::

    class TestMyAdapterStreaming(StreamingConformance):
        @pytest.fixture(scope="class")
        @classmethod
        def serve_rpc(cls):
            with ExitStack() as stack:
                yield lambda registry, **options: stack.enter_context(
                    serve_asgi(my_adapter.create_app(registry, "/rpc", **options))
                ) + "/rpc"
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from ..context import Context
from ..errors import RpcError
from ..limits import Limits
from ..procedure import Procedure
from ..registry import Registry
from ..stream import tracked
from .adapters import FORBIDDEN, SECRET
from .hardening import call, wait_for
from .wire import Event, EventReader, post, read_events

STREAM_HEARTBEAT = 0.05
"""The ``Limits.stream_heartbeat`` the suite serves with: an idle stream pings 20 times a second."""

STREAM_LIMITS = Limits(stream_heartbeat=STREAM_HEARTBEAT)

STREAM_SECONDS = 0.6
"""The ``Limits.stream_seconds`` of the suite's limited server, which sends one stream at a time."""

LIMITED_STREAM_LIMITS = Limits(max_streams=1, stream_seconds=STREAM_SECONDS, stream_heartbeat=STREAM_HEARTBEAT)

LEFT_WITHIN = 1.0
"""Seconds within which a procedure is stopped (its ``finally`` run) once its client has left."""

HOLD_SECONDS = 5.0
"""How long ``hold`` waits for its ``release`` at most."""

TICK_SECONDS = 0.02
"""How often ``ticks``/``ticks_sync`` yield in the suite's calls."""


class Step(BaseModel):
    """The item of ``count`` and ``count_sync``."""

    done: int
    of: int


def _resumed(ctx: Context) -> int:
    """Where a counting stream starts: after the client's ``Last-Event-ID``."""
    last = ctx.last_event_id
    return int(last) + 1 if last is not None and last.isdigit() else 0


def streaming_registry() -> Registry:
    """A fresh registry of streaming procedures, async and sync alike, for the streaming kit.

    - ``count(of)``/``count_sync(of)``: ``Step(done, of)`` for ``done`` from 0 (or after the
      ``Last-Event-ID``) to ``of - 1``;
    - ``fail_after(items, code, message, data)`` (and ``_sync``): ``items`` integers, then ``RpcError``;
    - ``crash_stream()``: one item, then an unexpected exception whose text must not leak;
    - ``labelled()``: two items under their own ids (``tracked``);
    - ``ticks(key, seconds)``/``ticks_sync``: an integer every ``seconds`` for ever, recording
      ``"started"`` and ``"finally"`` under ``key``; ``idle(key)``: one item, then nothing for an
      hour (pings), recording the same; ``recall(key)`` reads the record back;
    - ``admin.stream()``, which the guard refuses without ``X-Role: admin``; ``echo(text)``, a plain call;
    - ``hold(key)``, a plain call that returns ``"released"`` once ``release(key)`` is called
      (``"never released"`` after ``HOLD_SECONDS``), recording ``"started"`` and ``"finally"``.
    """
    registry = Registry()
    memory: dict[str, list[str]] = {}
    lock = threading.Lock()
    released: set[str] = set()

    def record(key: str, event: str) -> None:
        with lock:
            memory.setdefault(key, []).append(event)

    @registry.rpc
    async def recall(key: str) -> list[str]:
        with lock:
            return list(memory.get(key, []))

    @registry.rpc
    def echo(text: str) -> str:
        return text

    @registry.rpc
    async def hold(key: str) -> str:
        record(key, "started")
        try:
            deadline = time.monotonic() + HOLD_SECONDS
            while time.monotonic() < deadline:
                with lock:
                    if key in released:
                        return "released"
                await asyncio.sleep(0.005)
            return "never released"
        finally:
            record(key, "finally")

    @registry.rpc
    async def release(key: str) -> None:
        with lock:
            released.add(key)

    @registry.rpc
    async def count(of: int, ctx: Context) -> AsyncIterator[Step]:
        for done in range(_resumed(ctx), of):
            await asyncio.sleep(0.001)
            yield Step(done=done, of=of)

    @registry.rpc
    def count_sync(of: int, ctx: Context) -> Iterator[Step]:
        for done in range(_resumed(ctx), of):
            time.sleep(0.001)
            yield Step(done=done, of=of)

    @registry.rpc
    async def fail_after(items: int, code: int, message: str, data: Any = None) -> AsyncIterator[int]:
        for item in range(items):
            yield item
        raise RpcError(code, message, data)

    @registry.rpc
    def fail_after_sync(items: int, code: int, message: str, data: Any = None) -> Iterator[int]:
        yield from range(items)
        raise RpcError(code, message, data)

    @registry.rpc
    async def crash_stream() -> AsyncIterator[int]:
        yield 1
        raise RuntimeError(SECRET)

    @registry.rpc
    async def labelled() -> AsyncIterator[str]:
        yield tracked("a-1", "first")  # an item under its own id
        yield tracked(7, "second")

    @registry.rpc
    async def ticks(key: str, seconds: float) -> AsyncIterator[int]:
        record(key, "started")
        try:
            number = 0
            while True:
                await asyncio.sleep(seconds)
                yield number
                number += 1
        finally:
            record(key, "finally")

    @registry.rpc
    def ticks_sync(key: str, seconds: float) -> Iterator[int]:
        record(key, "started")
        try:
            number = 0
            while True:
                time.sleep(seconds)
                yield number
                number += 1
        finally:
            record(key, "finally")

    @registry.rpc
    async def idle(key: str) -> AsyncIterator[int]:
        record(key, "started")
        try:
            yield 0
            await asyncio.sleep(3600)
        finally:
            record(key, "finally")

    @registry.rpc(name="admin.stream")
    async def admin_stream() -> AsyncIterator[str]:
        yield "the secret"

    @registry.guard
    def only_admins(procedure: Procedure, ctx: Context) -> None:
        if procedure.name.startswith("admin.") and ctx.headers.get("x-role") != "admin":
            raise RpcError(FORBIDDEN, "forbidden", {"procedure": procedure.name})

    return registry


def _request(method: str, params: Any = None, request_id: Any = 1) -> dict[str, Any]:
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": request_id}
    if params is not None:
        request["params"] = params
    return request


def _steps(of: int, start: int = 0) -> list[Event]:
    return [{"id": str(done), "data": f'{{"done":{done},"of":{of}}}'} for done in range(start, of)]


DONE: Event = {"event": "done", "data": "null"}


class StreamingConformance:
    """The streaming suite; subclass it (as ``Test...``) and provide the ``serve_rpc`` fixture
    (see ``HardeningConformance``)."""

    @pytest.fixture(scope="class")
    @classmethod
    def stream_url(cls, serve_rpc: Any) -> str:
        """``streaming_registry()`` with ``STREAM_LIMITS`` (a heartbeat of ``STREAM_HEARTBEAT``)."""
        url: str = serve_rpc(streaming_registry(), limits=STREAM_LIMITS)
        return url

    @pytest.fixture(scope="class")
    @classmethod
    def limited_stream_url(cls, serve_rpc: Any) -> str:
        """``streaming_registry()`` with ``LIMITED_STREAM_LIMITS``: one stream at a time, ``STREAM_SECONDS`` at most."""
        url: str = serve_rpc(streaming_registry(), limits=LIMITED_STREAM_LIMITS)
        return url

    def recall(self, url: str, key: str) -> list[str]:
        record: list[str] = call(url, "recall", [key])["result"]
        return record

    def assert_stopped(self, url: str, key: str, within: float = LEFT_WITHIN) -> None:
        """The procedure recording under ``key`` ran its ``finally`` within ``within`` seconds."""
        wait_for(lambda: "finally" in self.recall(url, key), within, 0.02)
        record = self.recall(url, key)
        assert record == ["started", "finally"], f"{key}: {record} {within} s after the client left"

    def assert_stream(self, reader: EventReader) -> None:
        assert reader.status == 200, reader.status
        assert reader.headers.get("content-type") == "text/event-stream; charset=utf-8"
        assert reader.headers.get("cache-control") == "no-cache"
        assert "content-length" not in reader.headers

    # -- items, errors, ids --------------------------------------------------------------------

    @pytest.mark.parametrize("method", ["count", "count_sync"])
    def test_items_arrive_as_events_then_done(self, stream_url: str, method: str) -> None:
        reader, events = read_events(stream_url, _request(method, [3]))
        self.assert_stream(reader)
        assert events == [*_steps(3), DONE]

    def test_each_event_goes_out_as_it_comes_and_pings_while_idle(self, stream_url: str) -> None:
        # idle yields one item and then nothing: a server holding events back until the end
        # would never send it.
        with EventReader(stream_url, _request("idle", ["as-it-comes"]), timeout=5) as reader:
            self.assert_stream(reader)
            assert reader.next_event(comments=False) == {"id": "0", "data": "0"}
            started = time.monotonic()
            assert reader.next_event() == {"comment": "ping"}
            assert reader.next_event() == {"comment": "ping"}
            assert time.monotonic() - started < 1.0
        self.assert_stopped(stream_url, "as-it-comes")

    @pytest.mark.parametrize("method", ["fail_after", "fail_after_sync"])
    def test_an_error_ends_the_stream_with_a_json_rpc_error_event(self, stream_url: str, method: str) -> None:
        reader, events = read_events(stream_url, _request(method, [2, 4004, "no such job", {"job": "x"}], "e1"))
        self.assert_stream(reader)
        assert events[:2] == [{"id": "0", "data": "0"}, {"id": "1", "data": "1"}]
        assert events[2]["event"] == "error"
        assert json.loads(events[2]["data"]) == {
            "jsonrpc": "2.0",
            "error": {"code": 4004, "message": "no such job", "data": {"job": "x"}},
            "id": "e1",
        }
        assert len(events) == 3

    def test_a_crash_ends_the_stream_with_an_internal_error_that_leaks_nothing(self, stream_url: str) -> None:
        _, events = read_events(stream_url, _request("crash_stream", None, 9))
        assert events[0] == {"id": "0", "data": "1"}
        assert events[1]["event"] == "error"
        answer = json.loads(events[1]["data"])
        request_id = answer["error"]["data"]["request_id"]
        assert re.fullmatch(r"[0-9a-f]{16}", request_id)
        assert answer == {
            "jsonrpc": "2.0",
            "error": {"code": -32603, "message": "Internal error", "data": {"request_id": request_id}},
            "id": 9,
        }
        assert SECRET not in events[1]["data"]

    @pytest.mark.parametrize("method", ["count", "count_sync"])
    def test_a_resumed_stream_goes_on_after_the_last_event_id(self, stream_url: str, method: str) -> None:
        reader, events = read_events(stream_url, _request(method, [4]), {"Last-Event-ID": "1"})
        self.assert_stream(reader)
        assert events == [*_steps(4, start=2), DONE]

    def test_tracked_items_go_out_under_their_own_ids(self, stream_url: str) -> None:
        _, events = read_events(stream_url, _request("labelled"))
        assert events == [{"id": "a-1", "data": '"first"'}, {"id": "7", "data": '"second"'}, DONE]

    # -- clients that cannot stream: a clear error, never a hang --------------------------------

    @pytest.mark.parametrize("accept", ["application/json", None])
    def test_without_the_accept_header_a_stream_is_refused_and_never_runs(
        self, stream_url: str, accept: str | None
    ) -> None:
        key = f"no-accept-{accept}"
        headers = {"Accept": accept} if accept else {}
        response = post(stream_url, _request("ticks", [key, TICK_SECONDS], "n1"), headers)
        assert response.status == 200
        assert response.headers.get("content-type", "").startswith("application/json")
        error = response.json()["error"]
        assert error["code"] == -32003
        assert "Accept: text/event-stream" in error["message"]
        assert response.json()["id"] == "n1"
        assert self.recall(stream_url, key) == []

    def test_in_a_batch_a_stream_is_refused_and_the_rest_answered(self, stream_url: str) -> None:
        batch = [_request("ticks", ["in-a-batch", TICK_SECONDS], 1), _request("echo", ["x"], 2)]
        with EventReader(stream_url, batch, {"Accept": "application/json"}) as reader:
            assert (reader.status, reader.is_stream) == (200, False)
            answers = reader.json()
        assert answers[0]["error"]["code"] == -32003
        assert answers[1] == {"jsonrpc": "2.0", "result": "x", "id": 2}
        reader, events = read_events(stream_url, batch)
        self.assert_stream(reader)
        answers = sorted((json.loads(event["data"]) for event in events[:-1]), key=lambda answer: answer["id"])
        assert answers[0]["error"]["code"] == -32003
        assert answers[1] == {"jsonrpc": "2.0", "result": "x", "id": 2}
        assert events[-1] == DONE
        assert self.recall(stream_url, "in-a-batch") == []

    # -- batches that do not wait: each answer as its call finishes -----------------------------

    def test_a_batch_sends_each_answer_as_its_call_finishes(self, stream_url: str) -> None:
        # hold answers only once released, and the test releases it only after the other
        # answers have arrived: a server holding them back for the slowest would answer hold
        # "never released".
        batch = [
            _request("hold", ["slow-call"], "slow"),
            _request("echo", ["fast"], "fast"),
            {"jsonrpc": "2.0", "method": "echo", "params": ["a notification"]},
            _request("no.such.procedure", None, "unknown"),
        ]
        with EventReader(stream_url, batch, timeout=10) as reader:
            self.assert_stream(reader)
            first = [reader.next_event(comments=False), reader.next_event(comments=False)]
            answers = {answer["id"]: answer for answer in (json.loads(event["data"]) for event in first if event)}
            assert answers == {
                "unknown": {
                    "jsonrpc": "2.0",
                    "error": {"code": -32601, "message": "Method not found", "data": "no.such.procedure"},
                    "id": "unknown",
                },
                "fast": {"jsonrpc": "2.0", "result": "fast", "id": "fast"},
            }
            assert self.recall(stream_url, "slow-call") == ["started"]
            call(stream_url, "release", ["slow-call"])
            rest = reader.events()
        assert [json.loads(event["data"]) for event in rest[:-1]] == [
            {"jsonrpc": "2.0", "result": "released", "id": "slow"}
        ]
        assert rest[-1] == DONE

    def test_a_batch_of_notifications_is_204_to_a_streaming_client(self, stream_url: str) -> None:
        batch = [{"jsonrpc": "2.0", "method": "echo", "params": ["a"]}, {"jsonrpc": "2.0", "method": "echo"}]
        with EventReader(stream_url, batch) as reader:
            assert reader.status == 204

    def test_a_client_that_leaves_a_batch_stops_its_calls(self, stream_url: str) -> None:
        batch = [_request("hold", ["left-batch"], 1), _request("echo", ["fast"], 2)]
        with EventReader(stream_url, batch) as reader:
            self.assert_stream(reader)
            event = reader.next_event(comments=False)
            assert event is not None
            assert json.loads(event["data"])["id"] == 2
            assert self.recall(stream_url, "left-batch") == ["started"]
        self.assert_stopped(stream_url, "left-batch")

    def test_a_stream_called_as_a_notification_never_runs(self, stream_url: str) -> None:
        notification = {"jsonrpc": "2.0", "method": "ticks", "params": ["notified", TICK_SECONDS]}
        with EventReader(stream_url, notification) as reader:
            assert reader.status == 204
        assert self.recall(stream_url, "notified") == []

    def test_plain_calls_are_answered_as_json_to_a_streaming_client(self, stream_url: str) -> None:
        with EventReader(stream_url, _request("echo", ["plain"], 3)) as reader:
            assert reader.status == 200
            assert reader.headers.get("content-type", "").startswith("application/json")
            assert reader.body() == b'{"jsonrpc":"2.0","result":"plain","id":3}'

    def test_a_guard_refuses_a_stream_with_a_json_error(self, stream_url: str) -> None:
        with EventReader(stream_url, _request("admin.stream", None, 4)) as reader:
            assert (reader.status, reader.is_stream) == (200, False)
            assert reader.json() == {
                "jsonrpc": "2.0",
                "error": {"code": FORBIDDEN, "message": "forbidden", "data": {"procedure": "admin.stream"}},
                "id": 4,
            }
        _, events = read_events(stream_url, _request("admin.stream", None, 5), {"X-Role": "admin"})
        assert events == [{"id": "0", "data": '"the secret"'}, DONE]

    # -- ending: the client leaves, a limit -----------------------------------------------------

    @pytest.mark.parametrize("method", ["ticks", "ticks_sync"])
    def test_a_client_that_leaves_stops_the_procedure(self, stream_url: str, method: str) -> None:
        key = f"left-{method}"
        with EventReader(stream_url, _request(method, [key, TICK_SECONDS])) as reader:
            self.assert_stream(reader)
            assert reader.next_event(comments=False) == {"id": "0", "data": "0"}
            assert self.recall(stream_url, key) == ["started"]
        self.assert_stopped(stream_url, key)

    def test_beyond_max_streams_a_stream_gets_503(self, limited_stream_url: str) -> None:
        with EventReader(limited_stream_url, _request("idle", ["holds-the-slot"])) as first:
            self.assert_stream(first)
            assert first.next_event(comments=False) == {"id": "0", "data": "0"}
            with EventReader(limited_stream_url, _request("idle", ["refused"])) as second:
                assert second.status == 503
                assert second.headers.get("retry-after") == "1"
                assert second.json()["error"]["code"] == -32002
        assert self.recall(limited_stream_url, "refused") == []
        self.assert_stopped(limited_stream_url, "holds-the-slot")
        # The slot is given back: streams are served again.
        self.open_when_free(limited_stream_url, _request("count", [1])).close()

    def open_when_free(self, url: str, payload: Any, within: float = 3.0) -> EventReader:
        """A stream on the limited server, once the stream before it has given its slot back."""
        deadline = time.monotonic() + within
        while True:
            reader = EventReader(url, payload)
            if reader.status != 503 or time.monotonic() > deadline:
                self.assert_stream(reader)
                return reader
            reader.close()
            time.sleep(0.05)

    def test_a_stream_past_stream_seconds_ends_with_a_timeout_event(self, limited_stream_url: str) -> None:
        started = time.monotonic()
        with self.open_when_free(limited_stream_url, _request("idle", ["too-long"], "t1")) as reader:
            events = reader.events()
        elapsed = time.monotonic() - started
        assert events[0] == {"id": "0", "data": "0"}
        assert events[1]["event"] == "error"
        assert json.loads(events[1]["data"]) == {
            "jsonrpc": "2.0",
            "error": {
                "code": -32001,
                "message": f"Timeout: the stream ran past {STREAM_SECONDS:g} s",
                "data": {"timeout": STREAM_SECONDS},
            },
            "id": "t1",
        }
        assert len(events) == 2
        assert STREAM_SECONDS <= elapsed < STREAM_SECONDS + 3.0
        self.assert_stopped(limited_stream_url, "too-long")

    def test_a_batch_past_stream_seconds_ends_with_a_timeout_event(self, limited_stream_url: str) -> None:
        batch = [_request("hold", ["batch-too-long"], 1), _request("echo", ["fast"], 2)]
        with self.open_when_free(limited_stream_url, batch) as reader:
            events = reader.events()
        assert [json.loads(event["data"]) for event in events] == [
            {"jsonrpc": "2.0", "result": "fast", "id": 2},
            {
                "jsonrpc": "2.0",
                "error": {
                    "code": -32001,
                    "message": f"Timeout: the stream ran past {STREAM_SECONDS:g} s",
                    "data": {"timeout": STREAM_SECONDS},
                },
                "id": None,
            },
        ]
        assert events[1]["event"] == "error"
        self.assert_stopped(limited_stream_url, "batch-too-long")
