"""The plain ASGI adapter over real HTTP (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pyrpc_asgi import create_app
from pyrpc_core import Context, Registry, build_schema


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
    assert json.loads(app.endpoint.schema_json()) == build_schema(registry)


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
