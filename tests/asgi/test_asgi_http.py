"""The plain ASGI adapter over real HTTP (uvicorn on 127.0.0.1), and in process for what it translates."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from pyrpc_asgi import RpcApp, create_app
from pyrpc_asgi.app import endpoints, find_app
from pyrpc_core import CORS, Context, Endpoint, Limits, Registry, build_schema
from pyrpc_core import registry as default_registry


def request(url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json", "X-Token": "t0k"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.fixture
def url(serve_asgi: Callable[[Any], str]) -> str:
    registry = Registry()

    @registry.rpc
    def subtract(minuend: int, subtrahend: int) -> int:
        return minuend - subtrahend

    @registry.rpc
    def slow(ms: int) -> int:
        time.sleep(ms / 1000)
        return ms

    @registry.rpc(name="ctx.echo")
    def echo(ctx: Context) -> dict[str, Any]:
        return {"token": ctx.headers.get("x-token"), "host": ctx.client[0] if ctx.client else None}

    return serve_asgi(create_app(registry, path="/rpc"))


def test_post_answers_json_rpc_with_200(url: str) -> None:
    status, headers, body = request(
        url, "POST", "/rpc", b'{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}'
    )
    assert (status, headers["content-type"], body) == (200, "application/json", b'{"jsonrpc":"2.0","result":19,"id":1}')


def test_errors_are_http_200_too(url: str) -> None:
    status, _, body = request(url, "POST", "/rpc", b"{nope")
    assert status == 200
    assert json.loads(body)["error"]["code"] == -32700


def test_notifications_get_204_and_no_body(url: str) -> None:
    status, headers, body = request(url, "POST", "/rpc", b'{"jsonrpc":"2.0","method":"subtract","params":[1,2]}')
    assert (status, body) == (204, b"")
    assert "content-type" not in headers


def test_get_serves_the_schema(url: str) -> None:
    status, headers, body = request(url, "GET", "/rpc")
    assert status == 200
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert sorted(document["procedures"]) == ["ctx.echo", "slow", "subtract"]
    assert document["version"] == 1


def test_schema_matches_build_schema() -> None:
    registry = Registry()
    registry.rpc(name="x")(lambda a: a)
    app = create_app(registry)
    limits = {"limits": {"max_batch": 1000, "max_body_bytes": 4 * 1024 * 1024}}
    assert json.loads(app.endpoint.schema_json()) == {**build_schema(registry), **limits}


def test_schema_follows_registry_changes() -> None:
    registry = Registry()
    app = create_app(registry)
    assert json.loads(app.endpoint.schema_json())["procedures"] == {}
    registry.rpc(name="later")(lambda: None)
    assert list(json.loads(app.endpoint.schema_json())["procedures"]) == ["later"]


def test_other_paths_404_and_other_methods_405(url: str) -> None:
    assert request(url, "GET", "/elsewhere")[0] == 404
    assert request(url, "POST", "/rpc/extra", b"{}")[0] == 404
    status, headers, _ = request(url, "PUT", "/rpc", b"{}")
    assert status == 405
    assert headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert request(url, "DELETE", "/rpc")[0] == 405


def test_context_carries_headers_and_client_address(url: str) -> None:
    _, _, body = request(url, "POST", "/rpc", b'{"jsonrpc":"2.0","method":"ctx.echo","id":"c"}')
    assert json.loads(body)["result"] == {"token": "t0k", "host": "127.0.0.1"}


def test_sync_procedures_run_in_threads_and_do_not_block_each_other(url: str) -> None:
    body = b'{"jsonrpc":"2.0","method":"slow","params":[300],"id":1}'
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: request(url, "POST", "/rpc", body)[2], range(8)))
    assert answers == [b'{"jsonrpc":"2.0","result":300,"id":1}'] * 8
    assert time.perf_counter() - started < 1.5  # eight 300 ms calls one after the other would take 2.4 s


def test_a_body_sent_in_chunks_is_read_whole(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    payload = b'{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":"chunked"}'
    connection.request(
        "POST",
        "/rpc",
        body=iter([payload[:10], payload[10:30], payload[30:]]),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    assert connection.getresponse().read() == b'{"jsonrpc":"2.0","result":2,"id":"chunked"}'
    connection.close()


# -- in process: what the adapter translates ------------------------------------------------------


def in_process_app(**options: Any) -> RpcApp:
    registry = Registry()

    @registry.rpc
    def subtract(minuend: int, subtrahend: int) -> int:
        return minuend - subtrahend

    return RpcApp(registry, "/rpc", **options)


JSON = {"Content-Type": "application/json"}
CALL = b'{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":1}'


def test_the_app_holds_its_endpoint_with_the_options() -> None:
    registry = Registry()
    cors = CORS(allow_origins=["https://app.example"])
    app = create_app(registry, "/api", limits=Limits(max_batch=3), introspection=False, cors=cors, debug=True)
    assert isinstance(app, RpcApp)
    assert isinstance(app.endpoint, Endpoint)
    assert (app.path, app.endpoint.path, app.endpoint.registry) == ("/api", "/api", registry)
    assert (app.endpoint.introspection, app.endpoint.cors, app.endpoint.dispatcher.debug) == (False, cors, True)
    assert app.endpoint.dispatcher.limits.max_batch == 3
    assert endpoints(app) == [app.endpoint]
    assert endpoints(object()) == []
    assert create_app().endpoint.registry is default_registry


def test_in_process_call_notification_and_errors(asgi_request: Callable[..., Any]) -> None:
    app = in_process_app()
    assert asgi_request(app, "POST", "/rpc", CALL, JSON) == (
        200,
        {"content-type": "application/json", "content-length": "35"},
        b'{"jsonrpc":"2.0","result":2,"id":1}',
    )
    status, headers, body = asgi_request(
        app, "POST", "/rpc", b'{"jsonrpc":"2.0","method":"subtract","params":[1,2]}', JSON
    )
    assert (status, body) == (204, b"")
    assert "content-type" not in headers
    status, headers, body = asgi_request(app, "POST", "/rpc", CALL, {"Content-Type": "text/plain"})
    assert status == 415
    assert json.loads(body)["error"]["code"] == -32600
    assert asgi_request(app, "GET", "/elsewhere")[0] == 404
    status, headers, _ = asgi_request(app, "DELETE", "/rpc")
    assert (status, headers["allow"]) == (405, "GET, HEAD, POST, OPTIONS")
    status, headers, body = asgi_request(app, "OPTIONS", "/rpc")
    assert (status, headers["allow"], body) == (204, "GET, HEAD, POST, OPTIONS", b"")


def test_head_sends_the_length_of_the_document_and_no_body(asgi_request: Callable[..., Any]) -> None:
    app = in_process_app()
    document = app.endpoint.schema_json()
    get = asgi_request(app, "GET", "/rpc")
    head = asgi_request(app, "HEAD", "/rpc")
    assert get == (200, {"content-type": "application/json", "content-length": str(len(document))}, document)
    assert head == (200, get[1], b"")


def test_a_body_in_several_messages_is_read_whole(asgi_request: Callable[..., Any]) -> None:
    app = in_process_app()
    status, _, body = asgi_request(app, "POST", "/rpc", [CALL[:7], b"", CALL[7:30], CALL[30:]], JSON)
    assert (status, body) == (200, b'{"jsonrpc":"2.0","result":2,"id":1}')


def test_a_body_over_the_limit_is_413_and_the_connection_closes(asgi_request: Callable[..., Any]) -> None:
    app = in_process_app(limits=Limits(max_body_bytes=40))
    # Announced too long: refused before a byte is read.
    declared = asgi_request(app, "POST", "/rpc", CALL, {**JSON, "Content-Length": str(len(CALL))})
    # Chunked (no length): refused as soon as it passes the limit.
    streamed = asgi_request(app, "POST", "/rpc", [CALL[:30], CALL[30:]], JSON)
    for status, headers, body in (declared, streamed):
        assert status == 413
        assert headers["connection"] == "close"
        assert json.loads(body)["error"]["data"] == {"limit": "max_body_bytes", "max": 40}


def test_lifespan_and_websockets(asgi_request: Callable[..., Any]) -> None:
    app = in_process_app()
    sent: list[Any] = []
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    sent.clear()
    asyncio.run(app({"type": "websocket", "path": "/rpc", "headers": []}, receive, send))
    assert sent == []  # not served: the server closes the connection


def test_find_app_in_a_module() -> None:
    one = ModuleType("one")
    one.app = create_app(Registry())  # type: ignore[attr-defined]
    assert find_app(one) is one.app
    assert find_app(ModuleType("none")) is None
    two = ModuleType("two")
    two.first, two.second = create_app(Registry()), create_app(Registry())  # type: ignore[attr-defined]
    with pytest.raises(LookupError, match=r"2 pyRPC ASGI apps.*two:<attribute>"):
        find_app(two)


def test_served_below_a_root_path(asgi_request: Callable[..., Any]) -> None:
    """Mounted in a bigger ASGI app (Starlette's ``Mount``), or behind a proxy (``--root-path``).

    Bug: ASGI servers and Starlette give the full path in ``scope["path"]`` and the mount point
    in ``scope["root_path"]``; ``RpcApp`` compares ``scope["path"]`` with its own path, so the
    endpoint answers 404 for every request below a root path.
    """
    app = in_process_app()
    outer = Starlette(routes=[Mount("/api", app=app)])
    assert asgi_request(outer, "POST", "/api/rpc", CALL, JSON)[0] == 200
    assert asgi_request(app, "POST", "/api/rpc", CALL, JSON, root_path="/api")[0] == 200
    assert asgi_request(outer, "POST", "/api/other", CALL, JSON)[0] == 404
