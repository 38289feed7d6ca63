"""The ``pyrpc_call`` hook: a pluggy wrapper around every procedure call, on every path.

A wrapper sees the procedure, its validated params by name (the ``Context`` left out), the
request's ``Context``, and then the result or the exception. The context variables it sets
are visible inside the procedure, sync or async, served by the async dispatcher (ASGI) or
the sync one (WSGI). Each call of a batch is wrapped on its own. With no plugin implementing
the hook, calls do not go through pluggy at all.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any

import flask
import pytest
from fastapi import FastAPI

import pyrpc_asgi
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import Context, Dispatcher, Endpoint, Headers, Limits, Procedure, Registry, RpcError, hookimpl
from pyrpc_core.endpoint import Accepted
from pyrpc_core.plugins import CORE_CALL, PluginManager, get_plugin_manager

span: ContextVar[str | None] = ContextVar("span", default=None)
"""What the test wrapper sets around each call, as a tracing plugin sets its current span."""


class Recorder:
    """A ``pyrpc_call`` wrapper that records what it sees and sets ``span`` around the call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @hookimpl(wrapper=True)
    def pyrpc_call(
        self, procedure: Procedure, params: Mapping[str, Any], context: Context
    ) -> Generator[None, Any, Any]:
        record: dict[str, Any] = {
            "procedure": procedure.name,
            "params": dict(params),
            "context": context,
            "thread": threading.current_thread(),
        }
        with self.lock:
            self.calls.append(record)
        token = span.set(f"span of {procedure.name}")
        try:
            result = yield
        except BaseException as exc:
            record["raised"] = exc
            raise
        finally:
            span.reset(token)
        record["result"] = result
        return result

    def by_procedure(self) -> dict[str, dict[str, Any]]:
        return {call["procedure"]: call for call in self.calls}


def make_registry() -> Registry:
    registry = Registry()

    @registry.rpc
    def add(a: int, b: int, ctx: Context) -> dict[str, Any]:
        return {"sum": a + b, "span": span.get(), "user": ctx.headers.get("x-user")}

    @registry.rpc
    async def add_async(a: int, ctx: Context, b: int = 10) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"sum": a + b, "span": span.get(), "user": ctx.headers.get("x-user")}

    @registry.rpc
    def refuse(code: int) -> None:
        raise RpcError(code, "refused", {"span": span.get()})

    @registry.rpc
    async def refuse_async(code: int) -> None:
        await asyncio.sleep(0)
        raise RpcError(code, "refused", {"span": span.get()})

    @registry.rpc
    def crash() -> None:
        raise RuntimeError("boom")

    @registry.rpc
    def positional(a: int, /, b: int = 2) -> int:
        return a * b

    return registry


def call(method: str, params: Any = None, request_id: Any = 1) -> dict[str, Any]:
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        request["params"] = params
    if request_id is not None:
        request["id"] = request_id
    return request


Send = Callable[[Any], Any]
"""Sends a JSON-RPC payload with ``X-User: ada`` and returns the parsed answer (None for 204)."""

TRANSPORTS = ["respond", "respond_sync", "asgi", "fastapi", "flask"]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A ``Recorder`` installed in the process's plugin manager (as an installed plugin is), for one test."""
    recorder = Recorder()
    manager = get_plugin_manager()
    manager.register(recorder, name="test-recorder")
    try:
        yield recorder
    finally:
        manager.unregister(recorder)


@pytest.fixture(params=TRANSPORTS)
def send(request: pytest.FixtureRequest, recorder: Recorder, asgi_request: Callable[..., Any]) -> Send:
    """One way a call reaches the dispatcher: the endpoint itself (async and sync), or an adapter in process."""
    registry = make_registry()
    headers = {"Content-Type": "application/json", "X-User": "ada"}

    def parsed(status: int, body: bytes) -> Any:
        if status == 204:
            assert body == b""
            return None
        assert status == 200, body
        return json.loads(body)

    if request.param in ("respond", "respond_sync"):
        endpoint = Endpoint(registry)
        context = Context(headers=Headers(headers), client=("127.0.0.1", 1))

        def through_endpoint(payload: Any) -> Any:
            step = endpoint.receive("POST", "/rpc", Headers(headers).get)
            assert isinstance(step, Accepted)
            body = json.dumps(payload).encode()
            if request.param == "respond":
                reply = asyncio.run(endpoint.respond(step, body, context))
            else:
                reply = endpoint.respond_sync(step, body, context)
            return parsed(reply.status, reply.body)

        return through_endpoint
    if request.param == "flask":
        flask_app = flask.Flask(__name__)
        pyrpc_flask.mount(flask_app, registry)
        client = flask_app.test_client()

        def through_flask(payload: Any) -> Any:
            response = client.post("/rpc", data=json.dumps(payload), headers=headers)
            return parsed(response.status_code, response.data)

        return through_flask
    if request.param == "fastapi":
        app: Any = FastAPI()
        pyrpc_fastapi.mount(app, registry)
    else:
        app = pyrpc_asgi.RpcApp(registry)

    def through_asgi(payload: Any) -> Any:
        status, _, body = asgi_request(app, "POST", "/rpc", json.dumps(payload).encode(), headers)
        return parsed(status, body)

    return through_asgi


# -- who implements it ----------------------------------------------------------------------


def test_without_a_plugin_there_is_no_wrapper() -> None:
    manager = PluginManager()
    assert manager.call_wrapper() is None
    assert Endpoint(make_registry(), plugins=manager).dispatcher.around_call is None
    assert Dispatcher(make_registry()).around_call is None
    # pyRPC's own innermost implementation is registered, and is no plugin.
    assert manager.has_plugin(CORE_CALL)
    assert [info.name for info in manager.plugin_infos()] == []


def test_a_plugin_implementing_it_makes_the_wrapper() -> None:
    manager = PluginManager()
    manager.register(Recorder(), name="recorder")
    assert manager.call_wrapper() is not None
    assert Endpoint(make_registry(), plugins=manager).dispatcher.around_call is not None
    assert [(info.name, info.hooks) for info in manager.plugin_infos()] == [("recorder", ("pyrpc_call",))]


# -- what a wrapper sees, on every path ---------------------------------------------------------


@pytest.mark.parametrize("method", ["add", "add_async"])
def test_a_wrapper_sees_the_call_and_its_result(send: Send, recorder: Recorder, method: str) -> None:
    answer = send(call(method, {"a": 1, "b": 2}))
    assert answer == {"jsonrpc": "2.0", "result": {"sum": 3, "span": f"span of {method}", "user": "ada"}, "id": 1}
    [seen] = recorder.calls
    assert seen["procedure"] == method
    assert seen["params"] == {"a": 1, "b": 2}  # by name, the Context left out
    assert isinstance(seen["context"], Context)
    assert seen["context"].headers.get("x-user") == "ada"
    assert seen["result"] == answer["result"]
    assert "raised" not in seen


def test_params_sent_by_position_and_defaults_reach_the_wrapper_by_name(send: Send, recorder: Recorder) -> None:
    assert send(call("add_async", [5]))["result"]["sum"] == 15
    assert send(call("positional", [3]))["result"] == 6
    assert [seen["params"] for seen in recorder.calls] == [{"a": 5, "b": 10}, {"a": 3, "b": 2}]


@pytest.mark.parametrize("method", ["refuse", "refuse_async"])
def test_a_wrapper_sees_an_rpc_error_which_still_reaches_the_client(
    send: Send, recorder: Recorder, method: str
) -> None:
    answer = send(call(method, [4004]))
    assert answer["error"] == {"code": 4004, "message": "refused", "data": {"span": f"span of {method}"}}
    [seen] = recorder.calls
    assert isinstance(seen["raised"], RpcError)
    assert seen["raised"].code == 4004
    assert "result" not in seen


def test_a_wrapper_sees_a_crash_which_the_client_gets_as_internal_error(
    send: Send, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    answer = send(call("crash"))
    assert answer["error"]["code"] == -32603
    assert set(answer["error"]["data"]) == {"request_id"}
    [seen] = recorder.calls
    assert isinstance(seen["raised"], RuntimeError)


def test_each_call_of_a_batch_gets_its_own_wrapper_call(send: Send, recorder: Recorder) -> None:
    batch = [
        call("add", [1, 2], 1),
        call("add_async", [3, 4], 2),
        call("add", [5, 6], None),  # a notification is wrapped too
        call("refuse_async", [4000], 3),
        call("positional", [7], 4),
    ]
    answers = send(batch)
    assert [answer["id"] for answer in answers] == [1, 2, 3, 4]
    assert answers[0]["result"] == {"sum": 3, "span": "span of add", "user": "ada"}
    assert answers[1]["result"] == {"sum": 7, "span": "span of add_async", "user": "ada"}
    assert answers[2]["error"]["data"] == {"span": "span of refuse_async"}
    assert answers[3]["result"] == 14
    seen = sorted((record["procedure"], json.dumps(record["params"])) for record in recorder.calls)
    assert seen == [
        ("add", '{"a": 1, "b": 2}'),
        ("add", '{"a": 5, "b": 6}'),
        ("add_async", '{"a": 3, "b": 4}'),
        ("positional", '{"a": 7, "b": 2}'),
        ("refuse_async", '{"code": 4000}'),
    ]
    # One request, one Context, shared by its calls.
    assert len({id(record["context"]) for record in recorder.calls}) == 1


def test_calls_that_never_run_are_not_wrapped(send: Send, recorder: Recorder) -> None:
    assert send(call("add", {"a": "x"}))["error"]["code"] == -32602
    assert send(call("missing"))["error"]["code"] == -32601
    assert send({"jsonrpc": "1.0", "method": "add", "id": 1})["error"]["code"] == -32600
    assert recorder.calls == []


def test_guards_run_before_the_wrapper_and_a_refused_call_is_not_wrapped() -> None:
    registry = make_registry()
    order: list[str] = []

    @registry.guard
    def only_add(procedure: Procedure, ctx: Context) -> None:
        order.append(f"guard {procedure.name}")
        if procedure.name != "add":
            raise RpcError(4003, "forbidden")

    class Order:
        @hookimpl(wrapper=True)
        def pyrpc_call(self, procedure: Procedure) -> Generator[None, Any, Any]:
            order.append(f"wrapper {procedure.name}")
            return (yield)

    manager = PluginManager()
    manager.register(Order())
    dispatcher = Endpoint(registry, plugins=manager).dispatcher
    assert json.loads(dispatcher.dispatch_sync(json.dumps(call("add", [1, 2])).encode()) or b"")["result"]["sum"] == 3
    refused = dispatcher.dispatch_sync(json.dumps(call("positional", [1])).encode())
    assert json.loads(refused or b"")["error"]["code"] == 4003
    assert order == ["guard add", "wrapper add", "guard positional"]


def test_wrappers_nest_in_pluggy_order() -> None:
    order: list[str] = []

    def wrapper(name: str) -> object:
        class Wrapper:
            @hookimpl(wrapper=True)
            def pyrpc_call(self) -> Generator[None, Any, Any]:
                order.append(f"{name} in")
                try:
                    return (yield)
                finally:
                    order.append(f"{name} out")

        return Wrapper()

    manager = PluginManager()
    manager.register(wrapper("first"), name="first")
    manager.register(wrapper("second"), name="second")
    dispatcher = Endpoint(make_registry(), plugins=manager).dispatcher
    assert dispatcher.dispatch_sync(json.dumps(call("positional", [2])).encode()) == (
        b'{"jsonrpc":"2.0","result":4,"id":1}'
    )
    assert order == ["second in", "first in", "first out", "second out"]  # the last registered is outermost


# -- threads and context variables ----------------------------------------------------------


@pytest.mark.parametrize("style", ["wrapper", "hookwrapper"])
def test_where_the_wrappers_of_an_async_procedure_run(style: str) -> None:
    """``wrapper=True`` generators run on the loop around the coroutine (no thread at all); an
    old-style ``hookwrapper`` can only run through pluggy, in a thread waiting for the loop."""
    registry = Registry()
    threads: dict[str, threading.Thread] = {}

    @registry.rpc
    async def where() -> None:
        threads["procedure"] = threading.current_thread()

    class Where:
        @hookimpl(**{style: True})
        def pyrpc_call(self) -> Generator[None, Any, Any]:
            threads["wrapper"] = threading.current_thread()
            return (yield)

    manager = PluginManager()
    manager.register(Where())
    dispatcher = Endpoint(registry, plugins=manager).dispatcher

    async def run() -> threading.Thread:
        answer = await dispatcher.dispatch(b'{"jsonrpc":"2.0","method":"where","id":1}')
        assert answer == b'{"jsonrpc":"2.0","result":null,"id":1}'
        return threading.current_thread()

    loop_thread = asyncio.run(run())
    assert threads["procedure"] is loop_thread  # the coroutine runs on the loop
    assert (threads["wrapper"] is loop_thread) == (style == "wrapper")


def test_the_wrappers_context_is_the_procedures_and_does_not_leak(recorder: Recorder) -> None:
    """Set in the wrapper, seen inside the call; after the call, the caller's own value again."""
    dispatcher = Endpoint(make_registry()).dispatcher
    token = span.set("the caller's")
    try:

        async def run() -> bytes | None:
            return await dispatcher.dispatch(json.dumps(call("add_async", [1])).encode(), Context())

        for answer in (
            asyncio.run(run()),
            dispatcher.dispatch_sync(json.dumps(call("add", [1, 2])).encode(), Context()),
            dispatcher.dispatch_sync(json.dumps(call("add_async", [1])).encode(), Context()),
        ):
            assert json.loads(answer or b"")["result"]["span"].startswith("span of add")
            assert span.get() == "the caller's"
    finally:
        span.reset(token)


def test_a_cancelled_async_call_cancels_the_coroutine(recorder: Recorder) -> None:
    registry = Registry()
    cancelled = threading.Event()

    @registry.rpc
    async def forever() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    dispatcher = Endpoint(registry).dispatcher

    async def run() -> None:
        task = asyncio.create_task(dispatcher.dispatch(b'{"jsonrpc":"2.0","method":"forever","id":1}'))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started = time.monotonic()
    asyncio.run(run())
    assert cancelled.wait(5)
    assert time.monotonic() - started < 5
    [seen] = recorder.calls
    deadline = time.monotonic() + 5  # the wrapper's thread learns of the end a moment later
    while "raised" not in seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert isinstance(seen["raised"], BaseException)  # the wrapper saw the call end


# -- a wrapper given to the dispatcher directly -----------------------------------------------


def test_around_call_given_to_the_dispatcher() -> None:
    seen: list[tuple[str, dict[str, Any], Context]] = []

    def around(procedure: Procedure, params: Mapping[str, Any], context: Context, run: Callable[[], Any]) -> Any:
        seen.append((procedure.name, dict(params), context))
        return run()

    context = Context()
    dispatcher = Dispatcher(make_registry(), around_call=around)
    assert dispatcher.around_call is around
    answer = dispatcher.dispatch_sync(json.dumps(call("add", [1, 2])).encode(), context)
    assert json.loads(answer or b"")["result"]["sum"] == 3
    assert seen == [("add", {"a": 1, "b": 2}, context)]


# -- wrapped async calls must not hold the worker threads ---------------------------------------


def dispatch_on_small_pool(dispatcher: Dispatcher, bodies: list[bytes], workers: int, timeout: float) -> list[Any]:
    """Dispatch ``bodies`` at once on a fresh loop whose default executor has ``workers`` threads."""

    async def run() -> list[Any]:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(workers))
        calls = [dispatcher.dispatch(body) for body in bodies]
        return await asyncio.wait_for(asyncio.gather(*calls), timeout)

    return asyncio.run(run())


@pytest.mark.parametrize("wrapped", [False, True])
def test_async_calls_that_use_worker_threads_do_not_deadlock(wrapped: bool) -> None:
    """More concurrent async calls than the loop's default threads, each awaiting ``asyncio.to_thread``.

    The wrappers of an async call wait in a worker thread while its coroutine runs; were that
    thread taken from the loop's default executor (as in 64c3b32, with ``asyncio.to_thread``),
    the coroutines' own ``to_thread`` calls would wait for threads that never come free, and
    the server would hang.
    """
    registry = Registry()

    @registry.rpc
    async def lookup(key: int) -> int:
        return await asyncio.to_thread(lambda: key * 2)

    manager = PluginManager()
    if wrapped:
        manager.register(Recorder())
    dispatcher = Endpoint(registry, plugins=manager).dispatcher
    bodies = [json.dumps(call("lookup", [index], index)).encode() for index in range(8)]
    answers = dispatch_on_small_pool(dispatcher, bodies, workers=4, timeout=10)
    assert [json.loads(answer)["result"] for answer in answers] == [index * 2 for index in range(8)]


@pytest.mark.parametrize("wrapped", [False, True])
def test_async_calls_do_not_wait_behind_sync_ones(wrapped: bool) -> None:
    """Every worker thread busy with a slow sync call: an async call still answers at once.

    Bug: with a ``pyrpc_call`` wrapper installed, the async call first needs a worker thread
    for its wrappers, the same threads the sync procedures run in, so it waits until a sync
    call ends (what tests/reliability/test_error_hygiene.py::test_sync_procedures_never_block_async_ones
    sees over HTTP with pyrpc-otel installed).
    """
    registry = Registry()
    quick_took: list[float] = []
    sync_calls = 48  # more than the worker threads, however many there are

    @registry.rpc
    def slow() -> None:
        time.sleep(1.0)

    @registry.rpc
    async def quick() -> str:
        return "quick"

    manager = PluginManager()
    if wrapped:
        manager.register(Recorder())
    dispatcher = Endpoint(registry, plugins=manager).dispatcher

    async def run() -> None:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(4))
        bodies = [json.dumps(call("slow", [], index)).encode() for index in range(sync_calls)]
        blocked = [asyncio.create_task(dispatcher.dispatch(body)) for body in bodies]
        await asyncio.sleep(0.2)  # every worker thread is now asleep in ``slow``
        started = time.monotonic()
        answer = await dispatcher.dispatch(b'{"jsonrpc":"2.0","method":"quick","id":"q"}')
        quick_took.append(time.monotonic() - started)
        assert answer == b'{"jsonrpc":"2.0","result":"quick","id":"q"}'
        await asyncio.gather(*blocked)

    asyncio.run(run())
    assert quick_took[0] < 0.3, f"an async call waited {quick_took[0]:.2f}s behind sync ones"


@pytest.mark.parametrize("wrapped", [False, True])
def test_async_calls_alone_never_overload_the_worker_threads(wrapped: bool) -> None:
    """Only async calls in flight, more than the worker threads: none is refused with 503.

    ``Limits.max_waiting`` counts sync calls waiting for a worker thread. Bug: with a
    ``pyrpc_call`` wrapper installed, the wrappers of each async call wait for a worker thread
    too, so async calls alone fill the queue and the endpoint answers 503 "overloaded".
    """
    registry = Registry()

    @registry.rpc
    async def nap() -> int:
        await asyncio.sleep(0.3)
        return 1

    manager = PluginManager()
    if wrapped:
        manager.register(Recorder())
    endpoint = Endpoint(registry, plugins=manager, limits=Limits(threads=2, max_waiting=2))
    header = Headers({"Content-Type": "application/json"}).get

    async def one() -> int:
        step = endpoint.receive("POST", "/rpc", header)
        if not isinstance(step, Accepted):
            return step.status
        reply = await endpoint.respond(step, b'{"jsonrpc":"2.0","method":"nap","id":1}')
        return reply.status

    async def run() -> list[int]:
        calls = []
        for _ in range(10):
            calls.append(asyncio.create_task(one()))
            await asyncio.sleep(0.01)
        return await asyncio.gather(*calls)

    assert asyncio.run(run()) == [200] * 10


SYS_EXIT_UNDER_A_WRAPPER = """
import asyncio, json, os, sys, threading
from pyrpc_core import Endpoint, Registry, hookimpl
from pyrpc_core.plugins import PluginManager

class Wrapper:
    @hookimpl(wrapper=True)
    def pyrpc_call(self):
        return (yield)

registry = Registry()

@registry.rpc
async def bye() -> None:
    sys.exit(3)

@registry.rpc
async def hello() -> str:
    return "hello"

manager = PluginManager()
manager.register(Wrapper())
BYE = b'{"jsonrpc":"2.0","method":"bye","id":1}'
HELLO = b'{"jsonrpc":"2.0","method":"hello","id":2}'
found = {}

def within(seconds, function):
    answers = []
    def run():
        try:
            answers.append(function().decode())
        except BaseException as exc:
            answers.append(f"raised {type(exc).__name__}")
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return answers[0] if answers else "no answer"

dispatcher = Endpoint(registry, plugins=manager).dispatcher

async def on_one_loop():
    return [await dispatcher.dispatch(BYE), await dispatcher.dispatch(HELLO)]

found["dispatch"] = within(3, lambda: b"|".join(asyncio.run(on_one_loop())))
found["dispatch_sync"] = within(3, lambda: dispatcher.dispatch_sync(BYE))
found["dispatch_sync after"] = within(3, lambda: dispatcher.dispatch_sync(HELLO))
print(json.dumps(found), flush=True)
os._exit(0)  # a thread stuck on the bug must not keep this interpreter alive
"""


def test_sys_exit_in_an_async_procedure_under_a_wrapper_is_an_internal_error() -> None:
    """Without a wrapper, ``sys.exit`` in a procedure is answered -32603 and the server lives on.

    Bug: under a ``pyrpc_call`` wrapper the coroutine runs as a task of its own
    (``run_coroutine_threadsafe`` in ``Dispatcher._around_async``), and asyncio re-raises a
    ``SystemExit`` of a task out of the event loop: ``dispatch`` raises SystemExit (uvicorn's
    loop stops), and under WSGI the dispatcher's loop thread dies, so that call and every
    later async call of the endpoint hang. Run in a fresh interpreter, which is killed when
    it hangs.
    """
    result = subprocess.run(
        [sys.executable, "-c", SYS_EXIT_UNDER_A_WRAPPER], capture_output=True, text=True, timeout=60, check=False
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    internal_error = '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"'
    hello = '{"jsonrpc":"2.0","result":"hello","id":2}'
    assert found["dispatch"].startswith(internal_error), found
    assert found["dispatch"].endswith("|" + hello), found
    assert found["dispatch_sync"].startswith(internal_error), found
    assert found["dispatch_sync after"] == hello, found
