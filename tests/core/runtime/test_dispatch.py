"""The dispatcher against JSON-RPC 2.0, in process: every rule, on both the async and the sync path."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, field_serializer, field_validator

from pyrpc_core import Context, Dispatcher, Headers, Limits, Registry, RpcError


class Color(Enum):
    red = "red"
    blue = "blue"


class Item(BaseModel):
    name: str
    price: Decimal
    tags: list[str] = []


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    log: list[Any] = []

    @registry.rpc
    def subtract(minuend: int, subtrahend: int) -> int:
        return minuend - subtrahend

    @registry.rpc
    def add(*, a: int, b: int = 10) -> int:
        return a + b

    @registry.rpc(name="sum")
    def total(numbers: list[int]) -> int:
        return sum(numbers)

    @registry.rpc
    def update(a: int, b: int, c: int, d: int, e: int) -> None:
        log.append(("update", a, b, c, d, e))

    @registry.rpc
    def notify_hello(n: int) -> None:
        log.append(("notify_hello", n))

    @registry.rpc
    def get_data() -> list[Any]:
        return ["hello", 5]

    @registry.rpc
    async def slow(ms: int) -> int:
        await asyncio.sleep(ms / 1000)
        return ms

    @registry.rpc
    def slow_sync(ms: int) -> int:
        time.sleep(ms / 1000)
        return ms

    @registry.rpc
    def fail() -> None:
        raise ValueError("secret database password in /etc/app.conf")

    @registry.rpc
    def refuse() -> None:
        raise RpcError(4004, "user not found", {"id": 7, "when": "now"})

    @registry.rpc
    def rich() -> dict[str, Any]:
        return {
            "when": datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
            "day": date(2024, 5, 1),
            "uuid": UUID("12345678-1234-5678-1234-567812345678"),
            "price": Decimal("1.10"),
            "color": Color.blue,
            "item": Item(name="pen", price=Decimal("2.5")),
        }

    @registry.rpc
    def echo_item(item: Item) -> Item:
        return item

    @registry.rpc
    def wrong_result() -> int:
        return "not a number"  # type: ignore[return-value]

    @registry.rpc
    def model_from_dict() -> Item:
        return {"name": "cup", "price": "3"}  # type: ignore[return-value]

    @registry.rpc
    def who(ctx: Context, greeting: str = "hi") -> str:
        return f"{greeting} {ctx.headers.get('X-User')} from {ctx.client}"

    @registry.rpc
    def position_only(a: int, b: int, /, c: int = 0) -> list[int]:
        return [a, b, c]

    registry.log = log  # type: ignore[attr-defined]
    return registry


@pytest.fixture(params=["async", "sync"])
def call(request: pytest.FixtureRequest, registry: Registry) -> Any:
    """Send raw bytes through one of the two paths; return the parsed answer (None for nothing)."""
    dispatcher = Dispatcher(registry)

    def send(body: bytes | str | Any, context: Context | None = None) -> Any:
        if not isinstance(body, bytes | str):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if request.param == "async":
            answer = asyncio.run(dispatcher.dispatch(body, context))
        else:
            answer = dispatcher.dispatch_sync(body, context)
        return None if answer is None else json.loads(answer)

    return send


def ok(result: Any, id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": result, "id": id}


def err(code: int, message: str, id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id}


def without_data(answer: dict[str, Any]) -> dict[str, Any]:
    return {**answer, "error": {k: v for k, v in answer["error"].items() if k != "data"}}


# -- the examples of section 7 of the JSON-RPC 2.0 specification ----------------------------


def test_spec_positional_parameters(call: Any) -> None:
    assert call('{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}') == ok(19, 1)
    assert call('{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}') == ok(-19, 2)


def test_spec_named_parameters(call: Any) -> None:
    body = '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}'
    assert call(body) == ok(19, 3)
    body = '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}'
    assert call(body) == ok(19, 4)


def test_spec_notifications(call: Any, registry: Registry) -> None:
    assert call('{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}') is None
    assert call('{"jsonrpc": "2.0", "method": "foobar"}') is None
    assert registry.log == [("update", 1, 2, 3, 4, 5)]  # type: ignore[attr-defined]


def test_spec_non_existent_method(call: Any) -> None:
    answer = call('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')
    assert without_data(answer) == err(-32601, "Method not found", "1")
    assert answer["error"]["data"] == "foobar"


def test_spec_invalid_json(call: Any) -> None:
    body = '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]'
    assert call(body) == err(-32700, "Parse error", None)


def test_spec_invalid_request_object(call: Any) -> None:
    answer = call('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')
    assert without_data(answer) == err(-32600, "Invalid Request", None)


def test_spec_batch_invalid_json(call: Any) -> None:
    body = """[
      {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
      {"jsonrpc": "2.0", "method"
    ]"""
    assert call(body) == err(-32700, "Parse error", None)


def test_spec_empty_array(call: Any) -> None:
    assert without_data(call("[]")) == err(-32600, "Invalid Request", None)


def test_spec_invalid_batch_but_not_empty(call: Any) -> None:
    assert [without_data(a) for a in call("[1]")] == [err(-32600, "Invalid Request", None)]


def test_spec_invalid_batch(call: Any) -> None:
    assert [without_data(a) for a in call("[1,2,3]")] == [err(-32600, "Invalid Request", None)] * 3


def test_spec_mixed_batch(call: Any) -> None:
    body = """[
        {"jsonrpc": "2.0", "method": "sum", "params": {"numbers": [1,2,4]}, "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]"""
    answer = call(body)
    assert [a if "result" in a else without_data(a) for a in answer] == [
        ok(7, "1"),
        ok(19, "2"),
        err(-32600, "Invalid Request", None),
        err(-32601, "Method not found", "5"),
        ok(["hello", 5], "9"),
    ]


def test_spec_all_notifications_batch(call: Any) -> None:
    body = """[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]"""
    assert call(body) is None


# -- the request object, to the letter ------------------------------------------------------


@pytest.mark.parametrize(
    "request_object",
    [
        {"method": "subtract", "params": [1, 2], "id": 1},
        {"jsonrpc": "1.0", "method": "subtract", "params": [1, 2], "id": 1},
        {"jsonrpc": 2.0, "method": "subtract", "params": [1, 2], "id": 1},
        {"jsonrpc": "2.0", "params": [1, 2], "id": 1},
        {"jsonrpc": "2.0", "method": "subtract", "params": "1, 2", "id": 1},
        {"jsonrpc": "2.0", "method": "subtract", "params": None, "id": 1},
        {"jsonrpc": "2.0", "method": "subtract", "params": 3, "id": 1},
    ],
)
def test_invalid_requests_echo_a_valid_id(call: Any, request_object: dict[str, Any]) -> None:
    answer = call(request_object)
    assert without_data(answer) == err(-32600, "Invalid Request", 1)
    assert isinstance(answer["error"]["data"], str)  # says what is wrong


@pytest.mark.parametrize("bad_id", [True, [1], {"a": 1}])
def test_an_id_of_the_wrong_type_is_invalid_and_answered_with_null(call: Any, bad_id: Any) -> None:
    answer = call({"jsonrpc": "2.0", "method": "subtract", "params": [1, 2], "id": bad_id})
    assert without_data(answer) == err(-32600, "Invalid Request", None)


@pytest.mark.parametrize("request_id", ["abc", "", 0, -5, 2**70, 1.5, None, "ünï"])
def test_id_is_echoed_exactly(call: Any, request_id: Any) -> None:
    assert call({"jsonrpc": "2.0", "method": "subtract", "params": [3, 1], "id": request_id}) == ok(2, request_id)


@pytest.mark.parametrize("body", [b"", b"   ", b"nul", b"\xff\xfe", b'{"a": NaN}', b"[1,", b'"just a string', b"{}}"])
def test_unparsable_bodies_are_parse_errors(call: Any, body: bytes) -> None:
    assert call(body) == err(-32700, "Parse error", None)


@pytest.mark.parametrize("body", [b'"a string"', b"42", b"null", b"true"])
def test_json_that_is_not_a_request_is_invalid(call: Any, body: bytes) -> None:
    assert without_data(call(body)) == err(-32600, "Invalid Request", None)


def test_params_may_be_omitted(call: Any) -> None:
    assert call({"jsonrpc": "2.0", "method": "get_data", "id": 1}) == ok(["hello", 5], 1)


def test_unknown_extra_members_are_ignored(call: Any) -> None:
    assert call({"jsonrpc": "2.0", "method": "get_data", "id": 1, "extra": True}) == ok(["hello", 5], 1)


# -- params ---------------------------------------------------------------------------------


def test_invalid_params_carry_pydantic_errors(call: Any) -> None:
    answer = call({"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": "x"}, "id": 1})
    assert answer["error"]["code"] == -32602
    assert answer["error"]["message"] == "Invalid params"
    errors = answer["error"]["data"]
    assert [(e["loc"], e["type"]) for e in errors] == [(["minuend"], "int_parsing"), (["subtrahend"], "missing")]
    assert all(isinstance(e["msg"], str) and e["msg"] for e in errors)


def test_unknown_named_params_are_invalid(call: Any) -> None:
    answer = call({"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 1, "subtrahend": 2, "x": 3}, "id": 1})
    assert answer["error"]["code"] == -32602
    assert [(e["loc"], e["type"]) for e in answer["error"]["data"]] == [(["x"], "extra_forbidden")]


def test_too_many_positional_params_are_invalid(call: Any) -> None:
    answer = call({"jsonrpc": "2.0", "method": "subtract", "params": [1, 2, 3], "id": 1})
    assert answer["error"]["code"] == -32602
    assert answer["error"]["data"][0]["loc"] == [2]


def test_too_few_positional_params_name_the_missing_one(call: Any) -> None:
    answer = call({"jsonrpc": "2.0", "method": "subtract", "params": [1], "id": 1})
    assert [(e["loc"], e["type"]) for e in answer["error"]["data"]] == [(["subtrahend"], "missing")]


def test_defaults_and_keyword_only_params(call: Any) -> None:
    assert call({"jsonrpc": "2.0", "method": "add", "params": {"a": 1}, "id": 1}) == ok(11, 1)
    assert call({"jsonrpc": "2.0", "method": "add", "params": [1, 2], "id": 1}) == ok(3, 1)


def test_positional_only_params(call: Any) -> None:
    assert call({"jsonrpc": "2.0", "method": "position_only", "params": [1, 2], "id": 1}) == ok([1, 2, 0], 1)
    assert call({"jsonrpc": "2.0", "method": "position_only", "params": {"a": 1, "b": 2, "c": 3}, "id": 1}) == ok(
        [1, 2, 3], 1
    )


def test_models_are_validated_and_returned(call: Any) -> None:
    item = {"name": "pen", "price": "2.50"}
    assert call({"jsonrpc": "2.0", "method": "echo_item", "params": [item], "id": 1}) == ok(
        {"name": "pen", "price": "2.50", "tags": []}, 1
    )
    answer = call({"jsonrpc": "2.0", "method": "echo_item", "params": [{"name": "pen"}], "id": 1})
    assert [(e["loc"], e["type"]) for e in answer["error"]["data"]] == [(["item", "price"], "missing")]


def test_invalid_params_in_a_notification_are_not_answered(call: Any) -> None:
    assert call({"jsonrpc": "2.0", "method": "subtract", "params": ["x"]}) is None


# -- results and errors ---------------------------------------------------------------------


def test_results_are_serialized_in_json_mode(call: Any) -> None:
    assert call({"jsonrpc": "2.0", "method": "rich", "id": 1}) == ok(
        {
            "when": "2024-05-01T12:30:00Z",
            "day": "2024-05-01",
            "uuid": "12345678-1234-5678-1234-567812345678",
            "price": "1.10",
            "color": "blue",
            "item": {"name": "pen", "price": "2.5", "tags": []},
        },
        1,
    )


def test_a_dict_returned_for_a_model_is_validated_into_it(call: Any) -> None:
    assert call({"jsonrpc": "2.0", "method": "model_from_dict", "id": 1}) == ok(
        {"name": "cup", "price": "3", "tags": []}, 1
    )


def test_a_result_that_breaks_its_annotation_is_an_internal_error(call: Any, caplog: Any) -> None:
    with caplog.at_level(logging.ERROR, logger="pyrpc"):
        answer = call({"jsonrpc": "2.0", "method": "wrong_result", "id": 1})
    assert without_data(answer) == err(-32603, "Internal error", 1)
    request_id = answer["error"]["data"]["request_id"]
    assert answer["error"]["data"] == {"request_id": request_id}
    assert "wrong_result" in caplog.text
    assert f"request_id={request_id}" in caplog.text


def test_rpc_error_reaches_the_client_as_raised(call: Any) -> None:
    answer = call({"jsonrpc": "2.0", "method": "refuse", "id": 1})
    assert answer == {
        "jsonrpc": "2.0",
        "error": {"code": 4004, "message": "user not found", "data": {"id": 7, "when": "now"}},
        "id": 1,
    }


def test_unexpected_exceptions_are_logged_and_hidden(call: Any, caplog: Any) -> None:
    with caplog.at_level(logging.ERROR, logger="pyrpc"):
        answer = call({"jsonrpc": "2.0", "method": "fail", "id": 1})
    assert without_data(answer) == err(-32603, "Internal error", 1)
    assert set(answer["error"]["data"]) == {"request_id"}  # the id under which the traceback was logged
    assert answer["error"]["data"]["request_id"] in caplog.text
    assert "secret" not in json.dumps(answer)
    assert "ValueError: secret database password" in caplog.text  # the traceback, on the server


def test_debug_shows_the_exception(registry: Registry) -> None:
    dispatcher = Dispatcher(registry, debug=True)
    answer = json.loads(dispatcher.dispatch_sync(b'{"jsonrpc": "2.0", "method": "fail", "id": 1}') or b"")
    data = answer["error"]["data"]
    assert data["type"] == "ValueError"
    assert "secret database password" in data["message"]
    assert any("raise ValueError" in line for line in data["traceback"])


# -- context and guards ---------------------------------------------------------------------


def test_context_is_injected(call: Any) -> None:
    context = Context(headers=Headers([("x-user", "ada")]), client=("10.0.0.1", 5000))
    answer = call({"jsonrpc": "2.0", "method": "who", "params": {"greeting": "hello"}, "id": 1}, context)
    assert answer == ok("hello ada from ('10.0.0.1', 5000)", 1)


def test_context_cannot_be_sent_as_a_param(call: Any) -> None:
    answer = call({"jsonrpc": "2.0", "method": "who", "params": {"ctx": {}}, "id": 1})
    assert answer["error"]["code"] == -32602


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_guards_run_before_calls_and_may_refuse(call: Any, registry: Registry, kind: str) -> None:
    seen: list[str] = []

    def check(procedure: Any, ctx: Context) -> None:
        seen.append(procedure.name)
        if ctx.headers.get("authorization") != "Bearer good":
            raise RpcError(4001, "unauthorized")
        ctx.state["user"] = "ada"

    async def async_check(procedure: Any, ctx: Context) -> None:
        await asyncio.sleep(0)
        check(procedure, ctx)

    registry.guard(check if kind == "sync" else async_check)
    refused = call({"jsonrpc": "2.0", "method": "subtract", "params": [2, 1], "id": 1})
    assert refused == err(4001, "unauthorized", 1)
    allowed = Context(headers=Headers({"Authorization": "Bearer good"}))
    assert call({"jsonrpc": "2.0", "method": "subtract", "params": [2, 1], "id": 2}, allowed) == ok(1, 2)
    assert allowed.state == {"user": "ada"}
    assert seen == ["subtract", "subtract"]


# -- batches --------------------------------------------------------------------------------


def test_batch_answers_in_order_and_runs_async_procedures_concurrently(call: Any) -> None:
    batch = [{"jsonrpc": "2.0", "method": "slow", "params": [100 - i], "id": i} for i in range(20)]
    started = time.perf_counter()
    answer = call(batch)
    elapsed = time.perf_counter() - started
    assert answer == [ok(100 - i, i) for i in range(20)]
    assert elapsed < 1.0  # 20 calls of ~100 ms each, one after the other, would take 1.9 s


def test_batch_runs_sync_procedures_alongside_async_ones(call: Any) -> None:
    batch = [
        {"jsonrpc": "2.0", "method": "slow", "params": [300], "id": 1},
        {"jsonrpc": "2.0", "method": "slow_sync", "params": [300], "id": 2},
    ]
    started = time.perf_counter()
    assert call(batch) == [ok(300, 1), ok(300, 2)]
    assert time.perf_counter() - started < 0.55


def test_sync_procedures_do_not_block_the_event_loop(registry: Registry) -> None:
    dispatcher = Dispatcher(registry)

    async def scenario() -> list[bytes | None]:
        blocking = asyncio.create_task(
            dispatcher.dispatch(b'{"jsonrpc": "2.0", "method": "slow_sync", "params": [400], "id": 1}')
        )
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        quick = await dispatcher.dispatch(b'{"jsonrpc": "2.0", "method": "slow", "params": [1], "id": 2}')
        assert time.perf_counter() - started < 0.2
        return [await blocking, quick]

    assert asyncio.run(scenario()) == [b'{"jsonrpc":"2.0","result":400,"id":1}', b'{"jsonrpc":"2.0","result":1,"id":2}']


def test_wsgi_path_uses_one_event_loop_for_all_requests(registry: Registry) -> None:
    loops: set[int] = set()

    @registry.rpc
    async def which_loop() -> int:
        loops.add(id(asyncio.get_running_loop()))
        return len(loops)

    dispatcher = Dispatcher(registry)
    before = threading.active_count()
    threads = [
        threading.Thread(target=dispatcher.dispatch_sync, args=(b'{"jsonrpc":"2.0","method":"which_loop","id":1}',))
        for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loops) == 1
    assert threading.active_count() <= before + 1  # at most the one loop thread


def test_a_batch_answer_is_compact_json() -> None:
    registry = Registry()

    @registry.rpc
    def one() -> int:
        return 1

    dispatcher = Dispatcher(registry)
    body = b'[{"jsonrpc":"2.0","method":"one","id":1},{"jsonrpc":"2.0","method":"one","id":"b"}]'
    assert dispatcher.dispatch_sync(body) == (
        b'[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","result":1,"id":"b"}]'
    )


# -- the dispatcher's own API: guards, internal errors, no plugins ------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_run_guards_refuses_with_the_guards_error(registry: Registry, kind: str) -> None:
    seen: list[str] = []

    def check(procedure: Any, ctx: Context) -> None:
        seen.append(procedure.name)
        if ctx.headers.get("authorization") != "Bearer good":
            raise RpcError(4001, "unauthorized")

    async def async_check(procedure: Any, ctx: Context) -> None:
        await asyncio.sleep(0)
        check(procedure, ctx)

    registry.guard(check if kind == "sync" else async_check)
    dispatcher = Dispatcher(registry)
    procedure = registry.get("subtract")
    assert procedure is not None
    allowed = Context(headers=Headers({"Authorization": "Bearer good"}))
    asyncio.run(dispatcher.run_guards(procedure, allowed))
    dispatcher.run_guards_sync(procedure, lambda: allowed)  # async guards run on the dispatcher's loop
    with pytest.raises(RpcError, match="unauthorized"):
        asyncio.run(dispatcher.run_guards(procedure, Context()))
    with pytest.raises(RpcError, match="unauthorized"):
        dispatcher.run_guards_sync(procedure)
    assert seen == ["subtract"] * 4


def test_run_guards_without_guards_makes_no_context(registry: Registry) -> None:
    dispatcher = Dispatcher(registry)
    procedure = registry.get("subtract")
    assert procedure is not None

    def never() -> Context:
        raise AssertionError("the context was made")

    asyncio.run(dispatcher.run_guards(procedure, never))
    dispatcher.run_guards_sync(procedure, never)


def test_internal_error_logs_under_a_new_request_id(registry: Registry, caplog: Any) -> None:
    with caplog.at_level(logging.ERROR, logger="pyrpc"):
        answer = json.loads(Dispatcher(registry).internal_error(b'"r-1"', KeyError("hidden"), "something failed"))
        debug = json.loads(Dispatcher(registry, debug=True).internal_error(b"null", KeyError("shown"), "again"))
    request_id = answer["error"]["data"]["request_id"]
    assert answer == {
        "jsonrpc": "2.0",
        "error": {"code": -32603, "message": "Internal error", "data": {"request_id": request_id}},
        "id": "r-1",
    }
    assert f"something failed [request_id={request_id}]" in caplog.text
    assert "KeyError: 'hidden'" in caplog.text  # the traceback, on the server only
    data = debug["error"]["data"]
    assert (debug["id"], data["type"], data["message"]) == (None, "KeyError", "'shown'")
    assert data["request_id"] != request_id


def test_a_dispatcher_alone_calls_procedures_directly(registry: Registry) -> None:
    """No plugins at all: the ``pyrpc_call`` hook comes from the endpoint, as ``around_call``."""
    dispatcher = Dispatcher(registry)
    assert dispatcher.around_call is None
    assert dispatcher.debug is False
    assert dispatcher.limits == Limits()
    assert not hasattr(dispatcher, "schema_json")  # introspection is the endpoint's


# -- deadlines ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["async", "sync"])
@pytest.mark.parametrize("kind", ["async", "sync"])
def test_a_call_past_its_deadline_is_answered_timeout(path: str, kind: str) -> None:
    """``@rpc(timeout=...)``: the caller gets -32001 at the deadline, not when the procedure ends.

    Bug (async path): ``Dispatcher._answer_by`` keys its timer with the ``_Call``, a dataclass
    with ``eq`` and so no hash (``TypeError: unhashable type: '_Call'``): every call with a
    deadline is answered -32603.
    """
    registry = Registry()

    @registry.rpc(timeout=0.2)
    async def slow_async() -> str:
        await asyncio.sleep(2)
        return "late"

    @registry.rpc(timeout=0.2)
    def slow_sync() -> str:
        time.sleep(1)
        return "late"

    @registry.rpc(timeout=1)
    async def in_time() -> str:
        return "in time"

    dispatcher = Dispatcher(registry)
    method = "slow_async" if kind == "async" else "slow_sync"
    body = json.dumps({"jsonrpc": "2.0", "method": method, "id": 1}).encode()
    started = time.perf_counter()
    answer = asyncio.run(dispatcher.dispatch(body)) if path == "async" else dispatcher.dispatch_sync(body)
    assert time.perf_counter() - started < 0.8
    error = json.loads(answer or b"")["error"]
    assert (error["code"], error["data"]) == (-32001, {"timeout": 0.2})
    quick = b'{"jsonrpc":"2.0","method":"in_time","id":2}'
    answer = asyncio.run(dispatcher.dispatch(quick)) if path == "async" else dispatcher.dispatch_sync(quick)
    assert answer == b'{"jsonrpc":"2.0","result":"in time","id":2}'


def test_a_sync_procedure_runs_in_a_worker_thread_unless_it_says_thread_false() -> None:
    registry = Registry()
    threads: dict[str, threading.Thread] = {}

    @registry.rpc
    def threaded() -> None:
        threads["threaded"] = threading.current_thread()

    @registry.rpc(thread=False)
    def inline() -> None:
        threads["inline"] = threading.current_thread()

    dispatcher = Dispatcher(registry)

    async def run() -> threading.Thread:
        for name in ("threaded", "inline"):
            body = b'{"jsonrpc":"2.0","method":"%s","id":1}' % name.encode()
            assert await dispatcher.dispatch(body) == b'{"jsonrpc":"2.0","result":null,"id":1}'
        return threading.current_thread()

    loop_thread = asyncio.run(run())
    assert threads["inline"] is loop_thread
    assert threads["threaded"] is not loop_thread
    assert threads["threaded"].name.startswith("pyrpc-sync")


class _Traced(BaseModel):
    """A param and a result that note the thread validating or serializing them."""

    n: int

    @field_validator("n")
    @classmethod
    def _validated(cls, n: int) -> int:
        _seen.append(("validated", threading.current_thread().name))
        return n

    @field_serializer("n")
    def _serialized(self, n: int) -> int:
        _seen.append(("serialized", threading.current_thread().name))
        return n


_seen: list[tuple[str, str]] = []


def _tracing_registry(async_guard: bool = False) -> tuple[Registry, dict[str, Any]]:
    """``echo`` (sync), ``echo_async``, ``slow_echo`` (sync, with a deadline), a sync guard and maybe an async one."""
    registry = Registry()
    loops: dict[str, Any] = {}

    @registry.rpc
    def echo(item: _Traced) -> _Traced:
        _seen.append(("called", threading.current_thread().name))
        return item

    @registry.rpc
    async def echo_async(item: _Traced) -> _Traced:
        _seen.append(("called", threading.current_thread().name))
        loops["procedure"] = asyncio.get_running_loop()
        return item

    @registry.rpc(timeout=5)
    def slow_echo(item: _Traced) -> _Traced:
        _seen.append(("called", threading.current_thread().name))
        return item

    @registry.guard
    def sync_guard(procedure: Any, ctx: Context) -> None:
        _seen.append(("sync guard", threading.current_thread().name))

    if async_guard:

        @registry.guard
        async def an_async_guard(procedure: Any, ctx: Context) -> None:
            _seen.append(("async guard", threading.current_thread().name))
            loops["guard"] = asyncio.get_running_loop()

    return registry, loops


def _request(method: str, request_id: int = 1, method_last: bool = False, padding: int = 0) -> dict[str, Any]:
    item: dict[str, Any] = {"n": request_id, "padding": "x" * padding} if padding else {"n": request_id}
    params = {"item": item}  # an unknown key of a model is ignored
    if method_last:
        return {"jsonrpc": "2.0", "params": params, "id": request_id, "method": method}
    return {"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}


def _dispatched(dispatcher: Dispatcher, body: bytes) -> tuple[Any, list[tuple[str, str]], str, Any]:
    """The answer, what ran in which thread, the loop's thread name, and the loop."""
    _seen.clear()

    async def run() -> tuple[bytes | None, str, Any]:
        answer = await dispatcher.dispatch(body)
        return answer, threading.current_thread().name, asyncio.get_running_loop()

    answer, loop_thread, loop = asyncio.run(run())
    return json.loads(answer or b"null"), list(_seen), loop_thread, loop


def test_a_single_sync_call_is_answered_whole_in_a_worker_thread() -> None:
    """Parsed, validated, guarded, run and serialized in its worker: the loop holds only the bytes
    (held by the loop across the hop, many requests' params kept the garbage collector busy)."""
    registry, _ = _tracing_registry()
    answer, seen, loop_thread, _ = _dispatched(Dispatcher(registry), json.dumps(_request("echo")).encode())
    assert answer == {"jsonrpc": "2.0", "result": {"n": 1}, "id": 1}
    assert [step for step, _ in seen] == ["validated", "sync guard", "called", "serialized"]
    threads = {thread for _, thread in seen}
    assert len(threads) == 1
    assert loop_thread not in threads
    assert threads.pop().startswith("pyrpc-sync")


@pytest.mark.parametrize("case", ["a batch", "a method named after a long params", "a deadline"])
def test_other_sync_calls_are_validated_on_the_loop_and_run_in_a_worker(case: str) -> None:
    """The usual path: checked on the loop, then the guards, the hook and the procedure in the worker thread."""
    registry, _ = _tracing_registry()
    if case == "a batch":
        body = json.dumps([_request("echo")]).encode()
    elif case == "a deadline":
        body = json.dumps(_request("slow_echo")).encode()
    else:
        body = json.dumps(_request("echo", method_last=True, padding=300)).encode()
    answer, seen, loop_thread, _ = _dispatched(Dispatcher(registry), body)
    result = answer[0] if case == "a batch" else answer
    assert result["result"] == {"n": 1}
    assert [step for step, _ in seen] == ["validated", "sync guard", "called", "serialized"]
    threads = dict(seen)
    assert threads["validated"] == threads["serialized"] == loop_thread
    assert threads["called"].startswith("pyrpc-sync")
    assert threads["sync guard"] == threads["called"]


def test_with_an_async_guard_the_guards_run_on_the_loop_before_the_call_takes_a_thread() -> None:
    """Waiting on an async guard (a session store, say) must not hold a worker thread."""
    registry, loops = _tracing_registry(async_guard=True)
    for body in (json.dumps(_request("echo")).encode(), json.dumps([_request("echo")]).encode()):
        answer, seen, loop_thread, loop = _dispatched(Dispatcher(registry), body)
        assert "error" not in (answer[0] if isinstance(answer, list) else answer)
        assert [step for step, _ in seen] == ["validated", "sync guard", "async guard", "called", "serialized"]
        threads = dict(seen)
        assert threads["validated"] == threads["sync guard"] == threads["async guard"] == loop_thread
        assert threads["called"].startswith("pyrpc-sync")
        assert loops["guard"] is loop


def test_the_whole_body_decides_when_its_first_bytes_misled() -> None:
    """A repeated "method" key: the first bytes name the sync procedure, the whole body (last key
    wins) the async one, which the worker hands back to the request's loop."""
    registry, loops = _tracing_registry()
    padding = "x" * 300  # past the first bytes read
    body = b'{"jsonrpc":"2.0","method":"echo","params":{"item":{"n":7,"p":"%s"}},"id":7,"method":"echo_async"}' % (
        padding.encode()
    )
    answer, seen, loop_thread, loop = _dispatched(Dispatcher(registry), body)
    assert answer == {"jsonrpc": "2.0", "result": {"n": 7}, "id": 7}
    threads = dict(seen)
    assert threads["validated"].startswith("pyrpc-sync")  # checked in the worker the first bytes chose
    assert threads["called"] == loop_thread
    assert loops["procedure"] is loop


@pytest.mark.parametrize(
    "body",
    [
        b'{"jsonrpc":"2.0","method":["echo"],"id":1}',
        b'{"jsonrpc":"2.0","method":{"a":1},"id":1}',
        b'{"jsonrpc":"2.0","method":"echo","params":{"item":{"n":"x"}},"id":1}',
        b'{"jsonrpc":"2.0","method":"echo","params":{"item":{"n":1}},"id":1',
        b'{"jsonrpc":"2.0","method":"echo"',
        b'{"jsonrpc":"2.0","method":"ech',
        b"[",
        b"\xff\xfe",
    ],
)
def test_bad_bodies_get_the_same_answer_on_both_paths(body: bytes) -> None:
    registry, _ = _tracing_registry()
    dispatcher = Dispatcher(registry)
    assert asyncio.run(dispatcher.dispatch(body)) == dispatcher.dispatch_sync(body)


def test_an_async_guard_added_later_changes_where_sync_calls_go() -> None:
    registry, _ = _tracing_registry()
    dispatcher = Dispatcher(registry)
    body = json.dumps(_request("echo")).encode()
    _, seen, loop_thread, _ = _dispatched(dispatcher, body)
    assert dict(seen)["validated"] != loop_thread  # answered whole in the worker

    @registry.guard
    async def later(procedure: Any, ctx: Context) -> None:
        _seen.append(("async guard", threading.current_thread().name))

    _, seen, loop_thread, _ = _dispatched(dispatcher, body)
    assert dict(seen)["validated"] == dict(seen)["async guard"] == loop_thread
