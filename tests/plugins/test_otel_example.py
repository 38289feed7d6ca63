"""The example OpenTelemetry plugin (examples/plugins/pyrpc_otel), on real servers.

The plugin goes in a fresh ``PluginManager`` given to the app; the spans go to the global
TracerProvider (the OpenTelemetry SDK's, set up here as an application would) and are read
from an ``InMemorySpanExporter``. A middleware opens a server span around each HTTP request,
as OpenTelemetry's ASGI and WSGI middleware do, so that the calls' parent can be checked.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect
import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from adapters.servers import serve_wsgi
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import pyrpc_asgi
import pyrpc_flask
import pyrpc_otel
from pyrpc_core import Context, Procedure, Registry, RpcError, hookimpl
from pyrpc_core.endpoint import Endpoint
from pyrpc_core.plugins import PluginManager
from pyrpc_core.testing import post, serve_asgi
from pyrpc_otel import plugin

from .conftest import REPO

EXPORTER = InMemorySpanExporter()
TRACER = trace.get_tracer("tests.otel")
HTTP_SPAN = "POST /rpc"
ATTRIBUTES = {"rpc.system": "jsonrpc", "rpc.jsonrpc.version": "2.0"}

api = Registry()


@api.rpc
def add(a: int, b: int) -> int:
    return a + b


@api.rpc(name="users.get")
async def get_user(id: int) -> dict[str, Any]:
    with TRACER.start_as_current_span("db.query"):  # the procedure's own span
        await asyncio.sleep(0)
    return {"id": id, "name": "Ada"}


@api.rpc(name="users.find")
def find_user(name: str) -> dict[str, Any]:
    raise RpcError(code=4004, message="user not found", data={"name": name})


@api.rpc
async def crash() -> int:
    raise ValueError("boom")


@api.rpc
def forbidden() -> int:
    return 0


@api.guard
def refuse_forbidden(procedure: Procedure, context: Context) -> None:
    if procedure.name == "forbidden":
        raise RpcError(code=4003, message="forbidden")


@pytest.fixture(scope="module", autouse=True)
def tracer_provider() -> Iterator[None]:
    """The SDK's TracerProvider, as an application sets it up (once per process: add to it if set)."""
    processor = SimpleSpanProcessor(EXPORTER)  # exports as each span ends, before the answer is sent
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.add_span_processor(processor)
    else:
        provider = TracerProvider()
        provider.add_span_processor(processor)
        trace.set_tracer_provider(provider)
    yield
    EXPORTER.shutdown()  # keeps nothing from later tests' calls


@pytest.fixture(autouse=True)
def _no_spans_yet() -> None:
    EXPORTER.clear()


def with_otel() -> PluginManager:
    manager = PluginManager()
    assert manager.register_checked(plugin, "otel")
    return manager


class AsgiParentSpan:
    """An HTTP server span around each request, the span OpenTelemetry's ASGI middleware opens."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with TRACER.start_as_current_span(f"{scope['method']} {scope['path']}", kind=SpanKind.SERVER):
            await self.app(scope, receive, send)


def wsgi_parent_span(app: Any) -> Callable[..., Iterable[bytes]]:
    """The same around a WSGI app, as OpenTelemetry's WSGI middleware does."""

    def traced(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with TRACER.start_as_current_span(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}", kind=SpanKind.SERVER):
            return list(app(environ, start_response))

    return traced


@pytest.fixture(scope="module", params=["asgi", "flask"])
def rpc_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """pyRPC with the plugin under uvicorn (pyrpc-asgi) and under waitress (pyrpc-flask)."""
    if request.param == "asgi":
        # ``plugins`` is a keyword of Endpoint, which the adapters pass on.
        with serve_asgi(AsgiParentSpan(pyrpc_asgi.create_app(api, plugins=with_otel()))) as base_url:
            yield base_url + "/rpc"
    else:
        flask_app = pyrpc_flask.create_app(api, plugins=with_otel())
        with serve_wsgi(wsgi_parent_span(flask_app)) as base_url:
            yield base_url + "/rpc"


def call(method: str, params: Any = None, id: int | None = 1) -> dict[str, Any]:
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        request["params"] = params
    if id is not None:
        request["id"] = id
    return request


def spans(count: int) -> dict[str, list[ReadableSpan]]:
    """The finished spans by name, once ``count`` of them (the HTTP span included) have ended."""
    deadline = time.monotonic() + 5
    while len(finished := EXPORTER.get_finished_spans()) < count and time.monotonic() < deadline:
        time.sleep(0.01)  # the middleware's span ends just after the answer is sent
    assert len(finished) == count, [span.name for span in finished]
    by_name: dict[str, list[ReadableSpan]] = {}
    for span in finished:
        by_name.setdefault(span.name, []).append(span)
    return by_name


def only(found: dict[str, list[ReadableSpan]], name: str) -> ReadableSpan:
    [span] = found[name]
    return span


def assert_child(span: ReadableSpan, parent: ReadableSpan) -> None:
    assert span.parent is not None
    assert parent.context is not None
    assert span.context is not None
    assert span.parent.span_id == parent.context.span_id
    assert span.context.trace_id == parent.context.trace_id


@pytest.mark.parametrize(
    ("method", "params", "result"), [("add", [2, 3], 5), ("users.get", {"id": 7}, {"id": 7, "name": "Ada"})]
)
def test_one_server_span_per_call_named_after_the_procedure(
    rpc_url: str, method: str, params: Any, result: Any
) -> None:
    answer = post(rpc_url, call(method, params)).json()
    assert answer["result"] == result
    found = spans(3 if method == "users.get" else 2)
    span = only(found, method)
    assert span.kind is SpanKind.SERVER
    assert span.instrumentation_scope is not None
    assert (span.instrumentation_scope.name, span.instrumentation_scope.version) == ("pyrpc_otel", "2.0.0")
    assert dict(span.attributes or {}) == {**ATTRIBUTES, "rpc.method": method}
    assert span.status.status_code is StatusCode.OK
    assert not span.events
    assert_child(span, only(found, HTTP_SPAN))


def test_an_rpc_error_sets_status_error_and_the_error_code(rpc_url: str) -> None:
    answer = post(rpc_url, call("users.find", {"name": "Bob"})).json()
    assert answer["error"] == {"code": 4004, "message": "user not found", "data": {"name": "Bob"}}
    span = only(spans(2), "users.find")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "user not found"
    assert dict(span.attributes or {}) == {
        **ATTRIBUTES,
        "rpc.method": "users.find",
        "rpc.jsonrpc.error_code": 4004,
        "rpc.jsonrpc.error_message": "user not found",
    }
    assert not span.events  # the procedure's answer, not a crash: no exception recorded


def test_a_crash_sets_status_error_and_records_the_exception(rpc_url: str) -> None:
    answer = post(rpc_url, call("crash")).json()
    assert answer["error"]["code"] == -32603
    span = only(spans(2), "crash")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ValueError: boom"
    [event] = span.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert (event.attributes["exception.type"], event.attributes["exception.message"]) == ("ValueError", "boom")
    assert "rpc.jsonrpc.error_code" not in (span.attributes or {})


def test_the_calls_of_a_batch_are_sibling_spans(rpc_url: str) -> None:
    batch = [call("add", [1, 2], id=1), call("users.get", [2], id=2), call("add", [3, 4], id=3)]
    answers = post(rpc_url, batch).json()
    assert sorted(answer["id"] for answer in answers) == [1, 2, 3]
    found = spans(5)  # three calls, the procedure's own db.query, the HTTP request
    calls = [*found["add"], *found["users.get"]]
    assert len(calls) == 3
    assert len({span.context.span_id for span in calls if span.context is not None}) == 3
    http = only(found, HTTP_SPAN)
    for span in calls:
        assert_child(span, http)


def test_a_span_opened_inside_an_async_procedure_is_a_child_of_the_calls_span(rpc_url: str) -> None:
    post(rpc_url, call("users.get", [1]))
    found = spans(3)
    assert_child(only(found, "db.query"), only(found, "users.get"))


def test_a_notification_makes_a_span_too(rpc_url: str) -> None:
    response = post(rpc_url, call("add", [1, 1], id=None))
    assert response.status == 204
    found = spans(2)
    assert only(found, "add").status.status_code is StatusCode.OK
    assert_child(only(found, "add"), only(found, HTTP_SPAN))


def test_a_call_a_guard_refuses_makes_no_span(rpc_url: str) -> None:
    answer = post(rpc_url, call("forbidden")).json()
    assert answer["error"]["code"] == 4003
    assert set(spans(1)) == {HTTP_SPAN}


def test_without_a_parent_the_calls_of_a_batch_are_roots_with_distinct_ids() -> None:
    dispatcher = Endpoint(api, plugins=with_otel()).dispatcher
    body = json.dumps([call("add", [1, 2], id=1), call("add", [3, 4], id=2), call("add", [5, 6], id=3)]).encode()
    assert json.loads(dispatcher.dispatch_sync(body) or b"") == [
        {"jsonrpc": "2.0", "result": 3, "id": 1},
        {"jsonrpc": "2.0", "result": 7, "id": 2},
        {"jsonrpc": "2.0", "result": 11, "id": 3},
    ]
    found = spans(3)["add"]
    assert all(span.parent is None for span in found)
    assert len({span.context.trace_id for span in found if span.context is not None}) == 3


def test_the_distribution_declares_the_entry_point_and_the_hook() -> None:
    [entry_point] = importlib.metadata.entry_points(group="pyrpc", name="otel")
    assert entry_point.value == "pyrpc_otel.plugin"
    assert entry_point.dist is not None
    assert entry_point.dist.name == "pyrpc-otel"
    assert entry_point.dist.version == pyrpc_otel.__version__ == "2.0.0"
    [info] = with_otel().plugin_infos()
    assert (info.name, info.module, info.hooks) == ("otel", "pyrpc_otel.plugin", ("pyrpc_call",))
    assert PluginManager().call_wrapper() is None  # no plugin implementing pyrpc_call: calls pay nothing
    assert with_otel().call_wrapper() is not None


# -- the hook in pyrpc-core: async procedures under a pyrpc_call plugin --------------------------------
#
# Under a pyrpc_call plugin each async call holds a worker thread while its coroutine runs
# (Dispatcher._around_async: the wrappers run in a thread that waits for the coroutine), so the
# async calls in flight are capped at the threads of the dispatcher's pool (Limits.threads), and
# a batch of async calls is no longer concurrent. Until 7294d7e that pool was the event loop's
# default executor, and a coroutine that itself used asyncio.to_thread waited for a thread the
# waiting wrappers held: a deadlock.

waits = Registry()


BATCH = 200
arrived: list[int] = []


@waits.rpc
async def meet(n: int) -> int:
    """Wait until the whole batch has arrived (5 s at most); the number of calls that had."""
    arrived.append(n)
    deadline = time.monotonic() + 5
    while len(arrived) < BATCH and time.monotonic() < deadline:
        await asyncio.sleep(0.002)
    return len(arrived)


@waits.rpc
async def hop(n: int) -> int:
    await asyncio.to_thread(lambda: None)
    return n


class NoOp:
    @hookimpl(wrapper=True)
    def pyrpc_call(self) -> Iterator[None]:
        return (yield)


def with_no_op() -> PluginManager:
    manager = PluginManager()
    manager.register(NoOp(), "no-op")
    return manager


def batch_body(method: str, size: int) -> bytes:
    return json.dumps([call(method, [n], id=n) for n in range(size)]).encode()


def test_a_batch_of_async_calls_stays_concurrent_under_a_call_plugin() -> None:
    """Fails at 68d3a37 (the calls come in rounds of Limits.threads = 40): a bug of pyrpc-core, reported."""
    dispatcher = Endpoint(waits, plugins=with_no_op()).dispatcher
    arrived.clear()
    answers = json.loads(asyncio.run(dispatcher.dispatch(batch_body("meet", BATCH))) or b"")
    # Each call waits for all the others: only calls in flight together all see the whole batch.
    assert [answer["result"] for answer in answers] == [BATCH] * BATCH


def test_async_calls_that_use_to_thread_do_not_deadlock_under_a_call_plugin() -> None:
    dispatcher = Endpoint(waits, plugins=with_no_op()).dispatcher

    async def dispatch() -> bytes | None:
        # More calls than the loop's default executor has threads; a timeout cancels them (and frees the threads).
        return await asyncio.wait_for(dispatcher.dispatch(batch_body("hop", 40)), 5)

    answers = json.loads(asyncio.run(dispatch()) or b"")
    assert [answer["result"] for answer in answers] == list(range(40))


def test_docs_show_the_plugin_as_it_is() -> None:
    page = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert inspect.getsource(plugin.pyrpc_call) in page
