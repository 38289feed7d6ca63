"""The hardening kit: limits, CORS, introspection and load, held alike on every adapter."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from ..context import Context
from ..endpoint import CORS, Endpoint
from ..errors import RpcError
from ..limits import Limits
from ..procedure import Procedure
from ..registry import Registry
from .adapters import FORBIDDEN, conformance_registry
from .wire import HttpResponse, http_request, post

# -- hardening: limits, CORS, introspection, load ------------------------------------------
#
# An adapter author proves that their adapter holds the limits, CORS and introspection
# options exactly like ours, over real HTTP. The suite needs one fixture, ``serve_rpc``: a
# function that serves a registry at ``/rpc`` with the adapter's keyword options
# (``limits=``, ``introspection=``, ``cors=``) and returns the endpoint's URL::
#
#     class TestMyAdapterHardening(HardeningConformance):
#         @pytest.fixture(scope="class")
#         @classmethod
#         def serve_rpc(cls):
#             with ExitStack() as stack:
#                 yield lambda registry, **options: stack.enter_context(
#                     serve_asgi(my_adapter.create_app(registry, "/rpc", **options))
#                 ) + "/rpc"

HARDENED_LIMITS = Limits(max_body_bytes=64 * 1024, max_batch=10, max_depth=8, max_string=1000)
"""The small limits the hardening suite serves ``hardened_registry()`` with."""

HARDENED_ORIGIN = "https://app.example"
"""The one browser origin ``HARDENED_CORS`` allows."""

HARDENED_CORS = CORS(
    allow_origins=[HARDENED_ORIGIN],
    allow_headers=["authorization", "content-type", "x-role"],
    expose_headers=["x-pyrpc-test"],
    max_age=300,
)
"""The CORS settings the hardening suite serves ``hardened_registry()`` with."""

INTROSPECTION_TOKEN = "Bearer may-introspect"
"""The ``Authorization`` header ``hardened_registry()``'s guard wants for ``GET /rpc``."""


def hardened_registry() -> Registry:
    """``conformance_registry()`` plus a guard that refuses introspection without a token.

    Guards see an introspection request as the procedure named ``rpc.discover``.
    """
    registry = conformance_registry()

    @registry.guard
    def protect_introspection(procedure: Procedure, ctx: Context) -> None:
        if procedure.name == "rpc.discover" and ctx.headers.get("authorization") != INTROSPECTION_TOKEN:
            raise RpcError(FORBIDDEN, "introspection needs a token")

    return registry


def raw_request(
    url: str,
    method: str,
    headers: Mapping[str, str],
    body_parts: Iterable[bytes] = (),
    *,
    timeout: float = 10.0,
) -> HttpResponse:
    """Send a request by hand (``headers`` as given, ``body_parts`` one after the other) and read the answer.

    Unlike ``http_request`` it keeps going when the server answers and closes before the
    whole body was sent, which is what a server refusing a too large body should do.
    """
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    with socket.create_connection((host, port), timeout=timeout) as sock:
        head = f"{method} {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        local_address = sock.getsockname()[:2]
        try:
            sock.sendall((head + "\r\n").encode("latin-1"))
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed: read what it said
        received = b""
        try:
            while b"\r\n\r\n" not in received or not _complete(received):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass
    head_bytes, _, body = received.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/"):
        raise ConnectionError(f"no HTTP answer from {url}: {received[:200]!r}")
    response_headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        response_headers[name.strip().lower()] = value.strip()
    return HttpResponse(
        status=int(lines[0].split()[1]),
        headers=response_headers,
        body=body,
        local_address=(local_address[0], local_address[1]),
    )


def _complete(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False  # no length: read until the server closes


async def _post_async(host: str, port: int, path: str, body: bytes) -> tuple[int, bytes]:
    """One POST on its own connection, with asyncio streams: (status, body)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(
            (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), None
        )
        payload = await (reader.readexactly(length) if length is not None else reader.read())
        return int(lines[0].split()[1]), payload
    finally:
        writer.close()


def concurrent_posts(url: str, bodies: list[bytes], timeout: float = 120.0) -> list[tuple[int, bytes]]:
    """POST every body at once (one connection each, all open together); the answers in order."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def run_all() -> list[tuple[int, bytes]]:
        calls = [_post_async(host, port, parts.path, body) for body in bodies]
        return await asyncio.wait_for(asyncio.gather(*calls), timeout)

    return asyncio.run(run_all())


def _nested(depth: int) -> Any:
    """A JSON value with ``depth`` levels of arrays and objects."""
    value: Any = 0
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


class HardeningConformance:
    """The hardening suite; subclass it (as ``Test...``) and provide the ``serve_rpc`` fixture.

    ``serve_rpc(registry, **options)`` serves ``registry`` at ``/rpc`` through the adapter,
    passing ``options`` (``limits``, ``introspection``, ``cors``) to its ``create_app`` or
    ``mount``, on a real HTTP server, and returns the endpoint's URL. Set
    ``server_buffers_bodies = True`` when the HTTP server reads a whole request body before
    the app sees it (waitress does): the test that the body is refused before it is sent in
    full then skips, since only the server's own limit can do that.
    """

    server_buffers_bodies = False
    CONCURRENT = 1000

    @pytest.fixture(scope="class")
    @classmethod
    def hardened_url(cls, serve_rpc: Any) -> str:
        """``hardened_registry()`` with ``HARDENED_LIMITS`` and ``HARDENED_CORS``."""
        url: str = serve_rpc(hardened_registry(), limits=HARDENED_LIMITS, cors=HARDENED_CORS)
        return url

    @pytest.fixture(scope="class")
    @classmethod
    def closed_url(cls, serve_rpc: Any) -> str:
        """``conformance_registry()`` with introspection off."""
        url: str = serve_rpc(conformance_registry(), introspection=False)
        return url

    @pytest.fixture(scope="class")
    @classmethod
    def default_url(cls, serve_rpc: Any) -> str:
        """``conformance_registry()`` with no options: the default limits, CORS off."""
        url: str = serve_rpc(conformance_registry())
        return url

    @pytest.fixture(scope="class")
    @classmethod
    def hardened_reference(cls) -> Endpoint:
        return Endpoint(hardened_registry(), limits=HARDENED_LIMITS, cors=HARDENED_CORS)

    def assert_limit(self, response: HttpResponse, name: str, limits: Limits = HARDENED_LIMITS) -> None:
        """``response`` refuses the request for breaking limit ``name``, saying so."""
        answer = response.json()
        assert answer == {
            "jsonrpc": "2.0",
            "error": {
                "code": -32600,
                "message": answer["error"]["message"],
                "data": {"limit": name, "max": getattr(limits, name)},
            },
            "id": None,
        }
        assert name in answer["error"]["message"]

    # -- the body size ---------------------------------------------------------------------

    def test_body_over_the_limit_is_413_naming_it(self, hardened_url: str) -> None:
        body = b'{"jsonrpc": "2.0", "method": "echo", "params": ["x"], "id": 1}'
        body += b" " * (HARDENED_LIMITS.max_body_bytes + 1 - len(body))
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        response = raw_request(hardened_url, "POST", headers, [body])
        assert response.status == 413
        assert response.headers["content-type"].startswith("application/json")
        self.assert_limit(response, "max_body_bytes")

    def test_body_at_the_limit_is_served(self, hardened_url: str) -> None:
        body = b'{"jsonrpc": "2.0", "method": "echo", "params": ["x"], "id": 1}'
        body += b" " * (HARDENED_LIMITS.max_body_bytes - len(body))
        response = post(hardened_url, body)
        assert (response.status, response.body) == (200, b'{"jsonrpc":"2.0","result":"x","id":1}')

    def test_chunked_body_over_the_limit_is_413(self, hardened_url: str) -> None:
        chunk = b" " * 8192
        parts = [b'{"jsonrpc": "2.0", "method": "echo", "params": ["x"], "id": 1}']
        parts += [chunk] * (HARDENED_LIMITS.max_body_bytes // len(chunk) + 2)
        encoded = [b"%x\r\n%s\r\n" % (len(part), part) for part in parts] + [b"0\r\n\r\n"]
        headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        response = raw_request(hardened_url, "POST", headers, encoded)
        assert response.status == 413
        self.assert_limit(response, "max_body_bytes")

    def test_chunked_body_within_the_limit_is_served(self, hardened_url: str) -> None:
        body = json.dumps({"jsonrpc": "2.0", "method": "echo", "params": ["y" * 900], "id": 2}).encode()
        response = http_request(hardened_url, "POST", [body[:100], body[100:]])
        assert response.status == 200
        assert response.json()["result"] == "y" * 900

    def test_body_is_refused_before_it_is_sent_in_full(self, hardened_url: str) -> None:
        if self.server_buffers_bodies:
            pytest.skip("the HTTP server reads whole bodies before the app sees them")
        declared = 512 * 1024 * 1024  # never sent: the answer must come from the declared length
        headers = {"Content-Type": "application/json", "Content-Length": str(declared)}
        started = time.monotonic()
        response = raw_request(hardened_url, "POST", headers, [b'{"jsonrpc": "2.0"'], timeout=10)
        assert response.status == 413
        self.assert_limit(response, "max_body_bytes")
        assert time.monotonic() - started < 5

    def test_default_body_limit(self, default_url: str) -> None:
        limits = Limits()
        body = b"[" + b" " * limits.max_body_bytes + b"]"
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        response = raw_request(default_url, "POST", headers, [body], timeout=30)
        assert response.status == 413
        self.assert_limit(response, "max_body_bytes", limits)

    # -- batch, depth, strings -------------------------------------------------------------

    def assert_same_as_reference(self, url: str, reference: Endpoint, payload: Any) -> HttpResponse:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = post(url, body)
        assert response.status == 200, response
        assert response.body == reference.dispatcher.dispatch_sync(body, Context())
        return response

    def test_batch_longer_than_the_limit(self, hardened_url: str, hardened_reference: Endpoint) -> None:
        call = {"jsonrpc": "2.0", "method": "echo", "params": ["x"], "id": 1}
        batch = [call] * HARDENED_LIMITS.max_batch
        assert len(self.assert_same_as_reference(hardened_url, hardened_reference, batch).json()) == len(batch)
        response = self.assert_same_as_reference(hardened_url, hardened_reference, [*batch, call])
        self.assert_limit(response, "max_batch")

    def test_nesting_deeper_than_the_limit(self, hardened_url: str, hardened_reference: Endpoint) -> None:
        # The request object and its params array are two levels: data gets the rest.
        fits = _nested(HARDENED_LIMITS.max_depth - 2)
        request = {"jsonrpc": "2.0", "method": "fail", "params": [4000, "nested", fits], "id": 3}
        response = self.assert_same_as_reference(hardened_url, hardened_reference, request)
        assert response.json()["error"] == {"code": 4000, "message": "nested", "data": fits}
        request["params"] = [4000, "nested", _nested(HARDENED_LIMITS.max_depth - 1)]
        self.assert_limit(self.assert_same_as_reference(hardened_url, hardened_reference, request), "max_depth")

    def test_nesting_deeper_than_the_parser_goes(self, hardened_url: str, hardened_reference: Endpoint) -> None:
        body = b'{"jsonrpc": "2.0", "method": "echo", "params": ' + b"[" * 5000 + b"]" * 5000 + b', "id": 4}'
        response = self.assert_same_as_reference(hardened_url, hardened_reference, body)
        self.assert_limit(response, "max_depth")

    def test_string_longer_than_the_limit(self, hardened_url: str, hardened_reference: Endpoint) -> None:
        longest = "é" * HARDENED_LIMITS.max_string
        request = {"jsonrpc": "2.0", "method": "echo", "params": [longest], "id": 5}
        assert self.assert_same_as_reference(hardened_url, hardened_reference, request).json()["result"] == longest
        request["params"] = [longest + "é"]
        self.assert_limit(self.assert_same_as_reference(hardened_url, hardened_reference, request), "max_string")
        request["params"] = {"x" * (HARDENED_LIMITS.max_string + 1): 1}
        self.assert_limit(self.assert_same_as_reference(hardened_url, hardened_reference, request), "max_string")

    def test_limits_in_a_batch_refuse_only_their_request(self, hardened_url: str, hardened_reference: Endpoint) -> None:
        batch = [
            {"jsonrpc": "2.0", "method": "echo", "params": ["a"], "id": 1},
            {"jsonrpc": "2.0", "method": "echo", "params": ["b" * (HARDENED_LIMITS.max_string + 1)], "id": 2},
            {"jsonrpc": "2.0", "method": "echo", "params": [_nested(HARDENED_LIMITS.max_depth)], "id": 3},
            {"jsonrpc": "2.0", "method": "echo", "params": ["c"], "id": 4},
        ]
        answers = self.assert_same_as_reference(hardened_url, hardened_reference, batch).json()
        assert [answer.get("result") for answer in answers] == ["a", None, None, "c"]
        assert [answer["error"]["data"]["limit"] for answer in answers[1:3]] == ["max_string", "max_depth"]

    # -- introspection ---------------------------------------------------------------------

    def test_introspection_off_answers_404(self, closed_url: str) -> None:
        for method in ("GET", "HEAD"):
            response = http_request(closed_url, method)
            assert response.status == 404, method
        assert http_request(closed_url, "GET").json() == {"detail": "Not Found"}
        call = post(closed_url, {"jsonrpc": "2.0", "method": "subtract", "params": [3, 1], "id": 1})
        assert call.body == b'{"jsonrpc":"2.0","result":2,"id":1}'

    def test_a_guard_protects_introspection(self, hardened_url: str, hardened_reference: Endpoint) -> None:
        refused = http_request(hardened_url, "GET")
        assert refused.status == 403
        assert refused.json() == {
            "jsonrpc": "2.0",
            "error": {"code": FORBIDDEN, "message": "introspection needs a token"},
            "id": None,
        }
        allowed = http_request(hardened_url, "GET", headers={"Authorization": INTROSPECTION_TOKEN})
        assert (allowed.status, allowed.body) == (200, hardened_reference.schema_json())
        # The guard only refuses introspection: calls go on as before.
        call = post(hardened_url, {"jsonrpc": "2.0", "method": "subtract", "params": [3, 1], "id": 1})
        assert call.body == b'{"jsonrpc":"2.0","result":2,"id":1}'

    # -- CORS ------------------------------------------------------------------------------

    def preflight(self, url: str, origin: str, method: str = "POST", headers: str = "content-type") -> HttpResponse:
        return http_request(
            url,
            "OPTIONS",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": headers,
            },
        )

    def test_cors_preflight_of_an_allowed_origin(self, hardened_url: str) -> None:
        response = self.preflight(hardened_url, HARDENED_ORIGIN, headers="content-type, authorization, x-role")
        assert response.status == 204
        assert response.headers["access-control-allow-origin"] == HARDENED_ORIGIN
        assert {"GET", "POST"} <= set(response.headers["access-control-allow-methods"].replace(" ", "").split(","))
        allowed = set(response.headers["access-control-allow-headers"].replace(" ", "").split(","))
        assert {"authorization", "content-type", "x-role"} <= allowed
        assert response.headers["access-control-max-age"] == "300"
        assert "origin" in response.headers["vary"].lower()
        assert "access-control-allow-credentials" not in response.headers

    @pytest.mark.parametrize(
        ("origin", "method", "headers"),
        [
            ("https://evil.example", "POST", "content-type"),
            (HARDENED_ORIGIN + ".evil.example", "POST", "content-type"),
            (HARDENED_ORIGIN, "DELETE", "content-type"),
            (HARDENED_ORIGIN, "POST", "x-not-allowed"),
        ],
    )
    def test_cors_preflight_refused(self, hardened_url: str, origin: str, method: str, headers: str) -> None:
        response = self.preflight(hardened_url, origin, method, headers)
        assert response.status == 403
        assert "access-control-allow-origin" not in response.headers

    def test_cors_headers_on_answers_to_an_allowed_origin(self, hardened_url: str) -> None:
        origin = {"Origin": HARDENED_ORIGIN}
        call = post(hardened_url, {"jsonrpc": "2.0", "method": "subtract", "params": [3, 1], "id": 1}, origin)
        notification = post(hardened_url, {"jsonrpc": "2.0", "method": "notify_hello", "params": [1]}, origin)
        schema = http_request(hardened_url, "GET", headers={**origin, "Authorization": INTROSPECTION_TOKEN})
        refused = http_request(hardened_url, "GET", headers=origin)
        for response in (call, notification, schema, refused):
            assert response.headers.get("access-control-allow-origin") == HARDENED_ORIGIN, response
            assert response.headers.get("access-control-expose-headers") == "x-pyrpc-test"
        assert (call.status, notification.status, schema.status, refused.status) == (200, 204, 200, 403)

    def test_no_cors_headers_for_other_origins(self, hardened_url: str) -> None:
        call = {"jsonrpc": "2.0", "method": "subtract", "params": [3, 1], "id": 1}
        response = post(hardened_url, call, {"Origin": "https://evil.example"})
        assert response.status == 200
        assert not any(name.startswith("access-control-") for name in response.headers)

    def test_cors_is_off_by_default(self, default_url: str) -> None:
        preflight = self.preflight(default_url, HARDENED_ORIGIN)
        call = post(
            default_url, {"jsonrpc": "2.0", "method": "echo", "params": ["x"], "id": 1}, {"Origin": "https://a.example"}
        )
        for response in (preflight, call):
            assert not any(name.startswith("access-control-") for name in response.headers), response

    # -- load ------------------------------------------------------------------------------

    def test_concurrent_mixed_requests_each_get_their_answer(self, default_url: str) -> None:
        """``CONCURRENT`` requests at once (one connection each), sync and async procedures mixed."""
        methods = [("echo", "text"), ("echo_async", "text"), ("sleep_sync", "value"), ("sleep_async", "value")]
        bodies, expected = [], []
        for index in range(self.CONCURRENT):
            method, kind = methods[index % len(methods)]
            request_id = f"load-{index}"
            params: list[Any] = [f"t{index}"] if kind == "text" else [index, 0.01]
            bodies.append(json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}).encode())
            expected.append({"jsonrpc": "2.0", "result": params[0], "id": request_id})
        answers = concurrent_posts(default_url, bodies)
        assert [status for status, _ in answers] == [200] * len(bodies)
        assert [json.loads(body) for _, body in answers] == expected
