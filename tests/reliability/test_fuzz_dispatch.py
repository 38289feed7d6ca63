"""Property-based tests of the dispatcher: whatever arrives, the answer is well-formed JSON-RPC.

Arbitrary bytes, arbitrary JSON, and arbitrary (mostly valid) requests against a registry of
assorted signatures go through both ``dispatch`` (ASGI) and ``dispatch_sync`` (WSGI). Every
answer must be a JSON-RPC response (or a batch of them), or nothing for notifications only;
never an exception, never a hang, never an error whose text leaks from inside.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import json
import logging
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, field_validator

from pyrpc_core import Context, Dispatcher, Limits, Procedure, Registry, RpcError
from pyrpc_core.limits import PARSER_MAX_DEPTH

SETTINGS = settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

LIMITS = Limits(max_body_bytes=256 * 1024, max_batch=20, max_depth=12, max_string=2000)

INTERNAL = "an-internal-secret"


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []

    @field_validator("name")
    @classmethod
    def no_bombs(cls, value: str) -> str:
        if value == "bomb":
            raise TypeError(INTERNAL)  # not a ValueError: pydantic lets it escape validation
        return value


def make_registry() -> Registry:
    registry = Registry()

    @registry.rpc
    def add(a: int, b: int) -> int:
        return a + b

    @registry.rpc
    async def concat(parts: list[str], sep: str = "") -> str:
        await asyncio.sleep(0)
        return sep.join(parts)

    @registry.rpc
    def describe(item: Item, color: Color = Color.RED, when: datetime.date | None = None) -> dict[str, Any]:
        return {"item": item.model_dump(), "color": color.value, "when": when}

    @registry.rpc
    def pick(mode: Literal["a", "b"], /, count: int = 1) -> list[str]:
        return [mode] * count

    @registry.rpc
    def anything(value: Any = None) -> Any:
        return value

    @registry.rpc
    def lies(value: int) -> int:
        return "not an int"  # type: ignore[return-value]

    @registry.rpc
    def crash(value: int = 0) -> int:
        raise RuntimeError(f"{INTERNAL} {value}")

    @registry.rpc
    async def crash_async() -> None:
        raise KeyError(INTERNAL)

    @registry.rpc
    def refuse(code: int, data: Any = None) -> None:
        raise RpcError(code, "refused", data)

    @registry.rpc
    def whoami(ctx: Context, greeting: str = "hi") -> str:
        return f"{greeting} {ctx.state.get('user')}"

    @registry.guard
    async def guard(procedure: Procedure, ctx: Context) -> None:
        if procedure.name == "refuse" and ctx.headers.get("x-deny"):
            raise RpcError(4003, "denied")
        ctx.state["user"] = "ada"

    return registry


@pytest.fixture(scope="module")
def dispatcher() -> Dispatcher:
    return Dispatcher(make_registry(), limits=LIMITS)


@pytest.fixture(scope="module")
def loop() -> Any:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def check_response(response: Any) -> None:
    """One JSON-RPC response object, by the specification's rules and ours."""
    assert isinstance(response, dict), response
    assert response["jsonrpc"] == "2.0"
    assert set(response) in ({"jsonrpc", "result", "id"}, {"jsonrpc", "error", "id"}), response
    assert response["id"] is None or isinstance(response["id"], str | int | float)
    assert not isinstance(response["id"], bool)
    if "error" in response:
        error = response["error"]
        assert set(error) <= {"code", "message", "data"}
        assert isinstance(error["code"], int)
        assert not isinstance(error["code"], bool)
        assert isinstance(error["message"], str)
        if error["code"] == -32603 and error["message"] == "Internal error":  # not an RpcError("refused")
            assert set(error["data"]) == {"request_id"}, error  # nothing from inside, debug being off
    assert INTERNAL not in json.dumps(response)


def answer_both_ways(dispatcher: Dispatcher, loop: Any, body: bytes) -> Any:
    """The answer of ``dispatch`` and of ``dispatch_sync`` (they must agree), parsed; None for nothing."""
    logging.disable(logging.ERROR)  # the crashes log tracebacks on purpose
    try:
        async_answer = loop.run_until_complete(asyncio.wait_for(dispatcher.dispatch(body, Context()), 10))
        sync_answer = dispatcher.dispatch_sync(body, Context())
    finally:
        logging.disable(logging.NOTSET)
    assert (async_answer is None) == (sync_answer is None)
    if async_answer is None:
        return None
    parsed = json.loads(async_answer)
    assert _without_request_ids(parsed) == _without_request_ids(json.loads(sync_answer))
    if isinstance(parsed, list):
        assert parsed, "an empty batch answer must be no answer"
        for response in parsed:
            check_response(response)
    else:
        check_response(parsed)
    return parsed


def _without_request_ids(answer: Any) -> Any:
    if isinstance(answer, list):
        return [_without_request_ids(item) for item in answer]
    if answer.get("error", {}).get("code") == -32603:
        return {**answer, "error": {**answer["error"], "data": None}}
    return answer


# -- strategies ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)

ids = st.none() | st.integers() | st.text(max_size=10) | st.floats(allow_nan=False, allow_infinity=False)

METHODS = ["add", "concat", "describe", "pick", "anything", "lies", "crash", "crash_async", "refuse", "whoami"]

params_for = {
    "add": st.fixed_dictionaries({"a": st.integers(), "b": st.integers()})
    | st.tuples(st.integers(), st.integers()).map(list),
    "concat": st.fixed_dictionaries({"parts": st.lists(st.text(max_size=5), max_size=4)}, optional={"sep": st.text()}),
    "describe": st.fixed_dictionaries(
        {
            "item": st.fixed_dictionaries(
                {"name": st.sampled_from(["pen", "bomb", "cup"]) | st.text(max_size=5), "price": st.floats(-1e6, 1e6)},
                optional={"tags": st.lists(st.text(max_size=4), max_size=3)},
            )
        },
        optional={"color": st.sampled_from(["red", "blue", "green"]), "when": st.dates().map(str) | st.none()},
    ),
    "pick": st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 3)).map(list),
    "anything": st.fixed_dictionaries({}, optional={"value": json_values}),
    "lies": st.tuples(st.integers()).map(list),
    "crash": st.fixed_dictionaries({}, optional={"value": st.integers()}),
    "crash_async": st.just([]),
    "refuse": st.fixed_dictionaries({"code": st.integers(-(2**40), 2**40)}, optional={"data": json_values}),
    "whoami": st.fixed_dictionaries({}, optional={"greeting": st.text(max_size=10)}),
}


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A request object, mostly valid; sometimes with a wrong member, unknown method or params."""
    method = draw(st.sampled_from([*METHODS, "missing", "rpc.discover"]))
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if method in params_for and draw(st.integers(0, 9)) > 0:
        request["params"] = draw(params_for[method])
    elif draw(st.booleans()):
        request["params"] = draw(json_values)
    if draw(st.integers(0, 4)) > 0:
        request["id"] = draw(ids)
    if draw(st.integers(0, 9)) == 0:  # break one member
        key = draw(st.sampled_from(["jsonrpc", "method", "id", "params"]))
        request[key] = draw(json_values)
    return request


# -- properties ------------------------------------------------------------------------------


@SETTINGS
@given(body=st.binary(max_size=2000))
def test_arbitrary_bytes(dispatcher: Dispatcher, loop: Any, body: bytes) -> None:
    answer_both_ways(dispatcher, loop, body)


@SETTINGS
@given(value=json_values)
def test_arbitrary_json(dispatcher: Dispatcher, loop: Any, value: Any) -> None:
    answer = answer_both_ways(dispatcher, loop, json.dumps(value).encode())
    if not isinstance(value, list | dict) or value in ([], {}):
        assert answer is not None
        assert answer["error"]["code"] == -32600


@SETTINGS
@given(request=requests())
def test_arbitrary_requests(dispatcher: Dispatcher, loop: Any, request: dict[str, Any]) -> None:
    answer = answer_both_ways(dispatcher, loop, json.dumps(request).encode())
    valid = request.get("jsonrpc") == "2.0" and isinstance(request.get("method"), str)
    valid = valid and ("params" not in request or isinstance(request["params"], list | dict))
    valid = valid and (request.get("id") is None or isinstance(request.get("id"), str | int | float))
    valid = valid and not isinstance(request.get("id"), bool)
    if valid and "id" not in request:
        assert answer is None  # a notification is never answered, whatever happened
    elif valid:
        assert answer is not None
        assert answer["id"] == request["id"]
        if "result" in answer:
            assert request["method"] not in ("lies", "crash", "crash_async", "refuse")


@SETTINGS
@given(batch=st.lists(requests(), min_size=1, max_size=LIMITS.max_batch + 3))
def test_arbitrary_batches(dispatcher: Dispatcher, loop: Any, batch: list[dict[str, Any]]) -> None:
    answer = answer_both_ways(dispatcher, loop, json.dumps(batch).encode())
    if len(batch) > LIMITS.max_batch:
        assert answer["error"]["data"] == {"limit": "max_batch", "max": LIMITS.max_batch}
        return
    # Every id answered was asked, and every call with an id of a valid kind got its answer.
    sent = [item["id"] for item in batch if isinstance(item.get("id"), str | int | float)]
    sent = [request_id for request_id in sent if not isinstance(request_id, bool)]
    got = [response["id"] for response in (answer or []) if response["id"] is not None]
    assert sorted(map(json.dumps, got)) == sorted(map(json.dumps, sent))


@SETTINGS
@given(depth=st.integers(1, 400), string=st.integers(0, 4000), wrap=st.booleans())
def test_limits_hold_for_any_size(dispatcher: Dispatcher, loop: Any, depth: int, string: int, wrap: bool) -> None:
    nested = "[" * depth + json.dumps("x" * string) + "]" * depth
    body = f'{{"jsonrpc": "2.0", "method": "anything", "params": [{nested}], "id": 1}}'
    if wrap:
        body = f"[{body}]"
    answer = answer_both_ways(dispatcher, loop, body.encode())
    total_depth = depth + 2 + wrap  # the request object and its params array, and the batch
    # Deeper than the parser goes, the body is refused whole: one answer, not a batch.
    assert isinstance(answer, list) == (wrap and total_depth <= PARSER_MAX_DEPTH)
    response = answer[0] if isinstance(answer, list) else answer
    if total_depth > LIMITS.max_depth:
        assert response["error"]["data"] == {"limit": "max_depth", "max": LIMITS.max_depth}
    elif string > LIMITS.max_string:
        assert response["error"]["data"] == {"limit": "max_string", "max": LIMITS.max_string}
    else:
        assert "result" in response
