"""The adapter conformance kit: prove that an adapter speaks pyRPC's wire exactly like ours.

An adapter author serves ``conformance_registry()`` at ``/rpc`` with their adapter on a real
HTTP server, and subclasses ``AdapterConformance`` with a ``rpc_url`` fixture giving that
endpoint's URL::

    import pytest
    from pyrpc_core.testing import AdapterConformance, conformance_registry, serve_asgi

    class TestMyAdapter(AdapterConformance):
        @pytest.fixture(scope="class")
        @classmethod
        def rpc_url(cls):
            with serve_asgi(my_adapter.create_app(conformance_registry(), "/rpc")) as base_url:
                yield base_url + "/rpc"

Every test makes real HTTP requests with the standard library and compares the answers
byte for byte with what the core dispatcher itself gives for the same request, and with the
examples of section 7 of the JSON-RPC 2.0 specification. The kit imports no web framework;
pytest is imported here only, so it never becomes a dependency of pyrpc-core.
"""

from __future__ import annotations

import asyncio
import copy
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .context import Context
from .dispatch import Dispatcher
from .errors import RpcError
from .http import CORS
from .limits import Limits
from .plugins import Emitter
from .procedure import Procedure
from .registry import Registry
from .schema import build_schema
from .serve import bind

FORBIDDEN = 4003
"""The code of the error the kit's guard refuses ``admin.*`` calls with."""

SECRET = "do-not-leak-this-text"
"""The message of the exception ``crash`` raises; it must never reach a client."""


def conformance_registry() -> Registry:
    """A fresh registry with the procedures the kit calls; serve it at ``/rpc``.

    It holds the procedures of the specification's examples (``subtract``, ``sum``,
    ``update``, ``get_data``, ``notify_hello``, ``notify_sum``; ``foobar`` is missing on
    purpose), sync and async ones, one that crashes, one that raises ``RpcError``, one that
    reports its ``Context``, and two guards: one sync guard refusing ``admin.*`` calls without
    ``X-Role: admin``, one async guard putting the ``Authorization`` header in ``ctx.state``.
    """
    registry = Registry()
    memory: dict[str, Any] = {}

    @registry.rpc
    def subtract(minuend: int, subtrahend: int) -> int:
        return minuend - subtrahend

    @registry.rpc(name="sum")
    def sum_(a: int, b: int, c: int) -> int:
        return a + b + c

    @registry.rpc
    def update(a: int, b: int, c: int, d: int, e: int) -> None:
        memory["update"] = [a, b, c, d, e]

    @registry.rpc
    def get_data() -> list[str | int]:
        return ["hello", 5]

    @registry.rpc
    def notify_hello(value: int) -> None:
        memory["notify_hello"] = value

    @registry.rpc
    def notify_sum(a: int, b: int, c: int) -> None:
        memory["notify_sum"] = a + b + c

    @registry.rpc
    def recall(key: str) -> Any:
        """What a notification stored, to prove notifications run."""
        return memory.get(key)

    @registry.rpc
    def echo(text: str) -> str:
        return text

    @registry.rpc
    async def echo_async(text: str) -> str:
        await asyncio.sleep(0)
        return text

    @registry.rpc
    def sleep_sync(value: int, seconds: float) -> int:
        time.sleep(seconds)
        return value

    @registry.rpc
    async def sleep_async(value: int, seconds: float) -> int:
        await asyncio.sleep(seconds)
        return value

    @registry.rpc
    def crash() -> int:
        raise RuntimeError(SECRET)

    @registry.rpc
    async def crash_async() -> int:
        raise ValueError(SECRET)

    @registry.rpc
    def fail(code: int, message: str, data: Any = None) -> None:
        raise RpcError(code, message, data)

    @registry.rpc
    def whoami(ctx: Context) -> dict[str, Any]:
        return {
            "header": ctx.headers.get("x-conformance"),
            "user": ctx.state.get("user"),
            "client": list(ctx.client) if ctx.client is not None else None,
        }

    @registry.rpc(name="admin.secret")
    def admin_secret() -> str:
        return "the secret"

    @registry.guard
    def only_admins(procedure: Procedure, ctx: Context) -> None:
        if procedure.name.startswith("admin.") and ctx.headers.get("x-role") != "admin":
            raise RpcError(FORBIDDEN, "forbidden", {"procedure": procedure.name})

    @registry.guard
    async def authenticate(procedure: Procedure, ctx: Context) -> None:
        await asyncio.sleep(0)
        authorization = ctx.headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            ctx.state["user"] = authorization.removeprefix("Bearer ")

    return registry


# -- HTTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpResponse:
    """One HTTP response, read whole."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    local_address: tuple[str, int]
    """The (host, port) the request left from, as the server should see it."""

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(
    url: str,
    method: str = "POST",
    body: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    path: str | None = None,
    timeout: float = 30.0,
) -> HttpResponse:
    """One request on a fresh connection; an iterable body is sent chunked."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        chunked = body is not None and not isinstance(body, bytes)
        connection.request(method, path or parts.path, body=body, headers=all_headers, encode_chunked=chunked)
        assert connection.sock is not None
        local_address = connection.sock.getsockname()[:2]
        response = connection.getresponse()
        return HttpResponse(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            body=response.read(),
            local_address=(local_address[0], local_address[1]),
        )
    finally:
        connection.close()


def post(url: str, payload: Any, headers: Mapping[str, str] | None = None) -> HttpResponse:
    """POST ``payload`` (bytes as they are, anything else as JSON) to ``url``."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return http_request(url, "POST", body, headers)


@contextmanager
def serve_asgi(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on an ephemeral port; yields ``http://host:port``."""
    import uvicorn

    sock = bind(host, 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="auto", timeout_keep_alive=30))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="conformance-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


# -- the suite -----------------------------------------------------------------------------


def _without_data(answer: Any) -> Any:
    """An answer with the optional ``data`` of its errors left out, to compare with the spec."""
    if isinstance(answer, list):
        return [_without_data(item) for item in answer]
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        return {**answer, "error": {k: v for k, v in answer["error"].items() if k != "data"}}
    return answer


class AdapterConformance:
    """The conformance suite; subclass it (as ``Test...``) and provide the ``rpc_url`` fixture.

    ``rpc_url`` is the full URL of the endpoint (``http://127.0.0.1:PORT/rpc``) of a running
    server serving ``conformance_registry()`` at ``/rpc`` through the adapter under test,
    made with ``debug=False``.
    """

    CONCURRENT_REQUESTS = 64

    @pytest.fixture(scope="class")
    @classmethod
    def reference(cls) -> Dispatcher:
        """The core dispatcher on its own registry: the bytes every adapter must send."""
        return Dispatcher(conformance_registry())

    def assert_same(self, rpc_url: str, reference: Dispatcher, body: bytes, expected: Any) -> HttpResponse:
        """POST ``body``; the answer must be the reference's bytes and, data aside, ``expected``."""
        response = post(rpc_url, body)
        want = reference.dispatch_sync(body, Context())
        if want is None:
            assert response.status == 204, response
            assert response.body == b""
        else:
            assert response.status == 200, response
            assert response.headers.get("content-type", "").startswith("application/json")
            assert response.body == want
        assert expected == (None if want is None else _without_data(json.loads(response.body)))
        return response

    # -- section 7 of the JSON-RPC 2.0 specification, one test per example ---------------

    def test_positional_parameters(self, rpc_url: str, reference: Dispatcher) -> None:
        for params, result, request_id in (([42, 23], 19, 1), ([23, 42], -19, 2)):
            body = json.dumps({"jsonrpc": "2.0", "method": "subtract", "params": params, "id": request_id}).encode()
            self.assert_same(rpc_url, reference, body, {"jsonrpc": "2.0", "result": result, "id": request_id})

    def test_named_parameters(self, rpc_url: str, reference: Dispatcher) -> None:
        for params, request_id in (({"subtrahend": 23, "minuend": 42}, 3), ({"minuend": 42, "subtrahend": 23}, 4)):
            body = json.dumps({"jsonrpc": "2.0", "method": "subtract", "params": params, "id": request_id}).encode()
            self.assert_same(rpc_url, reference, body, {"jsonrpc": "2.0", "result": 19, "id": request_id})

    def test_notifications(self, rpc_url: str, reference: Dispatcher) -> None:
        self.assert_same(rpc_url, reference, b'{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}', None)
        self.assert_same(rpc_url, reference, b'{"jsonrpc": "2.0", "method": "foobar"}', None)
        recall = post(rpc_url, {"jsonrpc": "2.0", "method": "recall", "params": ["update"], "id": 1})
        assert recall.json() == {"jsonrpc": "2.0", "result": [1, 2, 3, 4, 5], "id": 1}

    def test_non_existent_method(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b'{"jsonrpc": "2.0", "method": "foobar", "id": "1"}'
        expected = {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}
        self.assert_same(rpc_url, reference, body, expected)

    def test_invalid_json(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b'{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]'
        expected = {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
        self.assert_same(rpc_url, reference, body, expected)

    def test_invalid_request_object(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b'{"jsonrpc": "2.0", "method": 1, "params": "bar"}'
        expected = {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}
        self.assert_same(rpc_url, reference, body, expected)

    def test_batch_invalid_json(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b"""[
          {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
          {"jsonrpc": "2.0", "method"
        ]"""
        expected = {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
        self.assert_same(rpc_url, reference, body, expected)

    def test_empty_array(self, rpc_url: str, reference: Dispatcher) -> None:
        expected = {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}
        self.assert_same(rpc_url, reference, b"[]", expected)

    def test_invalid_batch_of_one(self, rpc_url: str, reference: Dispatcher) -> None:
        expected = [{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}]
        self.assert_same(rpc_url, reference, b"[1]", expected)

    def test_invalid_batch(self, rpc_url: str, reference: Dispatcher) -> None:
        expected = [{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}] * 3
        self.assert_same(rpc_url, reference, b"[1,2,3]", expected)

    def test_mixed_batch(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b"""[
            {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
            {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
            {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
            {"foo": "boo"},
            {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
            {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
        ]"""
        expected = [
            {"jsonrpc": "2.0", "result": 7, "id": "1"},
            {"jsonrpc": "2.0", "result": 19, "id": "2"},
            {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None},
            {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
            {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"},
        ]
        self.assert_same(rpc_url, reference, body, expected)

    def test_all_notification_batch(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b"""[
            {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
            {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
        ]"""
        self.assert_same(rpc_url, reference, body, None)
        recall = post(rpc_url, {"jsonrpc": "2.0", "method": "recall", "params": ["notify_sum"], "id": 1})
        assert recall.json()["result"] == 7

    # -- more of the protocol -----------------------------------------------------------

    def test_missing_jsonrpc_member_is_invalid(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b'{"method": "subtract", "params": [1, 2], "id": 7}'
        expected = {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 7}
        self.assert_same(rpc_url, reference, body, expected)

    def test_invalid_params_carry_pydantic_errors(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b'{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": "x"}, "id": 8}'
        response = self.assert_same(
            rpc_url,
            reference,
            body,
            {"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid params"}, "id": 8},
        )
        errors = response.json()["error"]["data"]
        assert {error["type"] for error in errors} == {"int_parsing", "missing"}

    def test_rpc_error_passes_through(self, rpc_url: str, reference: Dispatcher) -> None:
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "fail", "params": [4004, "user not found", {"id": 12}], "id": 9}
        ).encode()
        expected = {"jsonrpc": "2.0", "error": {"code": 4004, "message": "user not found"}, "id": 9}
        response = self.assert_same(rpc_url, reference, body, expected)
        assert response.json()["error"]["data"] == {"id": 12}

    @pytest.mark.parametrize("method", ["crash", "crash_async"])
    def test_unexpected_exception_is_internal_error_without_its_text(
        self, rpc_url: str, reference: Dispatcher, method: str
    ) -> None:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "id": 10}).encode()
        response = post(rpc_url, body)
        assert response.status == 200
        answer = response.json()
        # The only data is the id under which the server logged the traceback.
        request_id = answer["error"]["data"]["request_id"]
        assert re.fullmatch(r"[0-9a-f]{16}", request_id), request_id
        assert answer == {
            "jsonrpc": "2.0",
            "error": {"code": -32603, "message": "Internal error", "data": {"request_id": request_id}},
            "id": 10,
        }
        for leak in (SECRET, "Traceback", "Error", ".py", "crash"):
            assert leak.encode() not in response.body, leak
        want = reference.dispatch_sync(body)
        assert want is not None
        assert response.body.replace(request_id.encode(), b"") == re.sub(rb"[0-9a-f]{16}", b"", want)

    @pytest.mark.parametrize("method", ["echo", "echo_async"])
    def test_sync_and_async_procedures(self, rpc_url: str, reference: Dispatcher, method: str) -> None:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": {"text": "hi"}, "id": 11}).encode()
        self.assert_same(rpc_url, reference, body, {"jsonrpc": "2.0", "result": "hi", "id": 11})

    def test_batch_of_sync_and_async_calls_keeps_order(self, rpc_url: str, reference: Dispatcher) -> None:
        batch = [
            {"jsonrpc": "2.0", "method": "echo_async" if index % 2 else "echo", "params": [str(index)], "id": index}
            for index in range(40)
        ]
        expected = [{"jsonrpc": "2.0", "result": str(index), "id": index} for index in range(40)]
        self.assert_same(rpc_url, reference, json.dumps(batch).encode(), expected)

    # -- payloads ---------------------------------------------------------------------------

    @pytest.mark.parametrize("ensure_ascii", [True, False])
    def test_unicode(self, rpc_url: str, reference: Dispatcher, ensure_ascii: bool) -> None:
        text = 'héllo wörld — 你好, мир 🎉𝄞 \u0000\u2028 "quoted" \\ end'
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "echo", "params": [text], "id": "ü-1"}, ensure_ascii=ensure_ascii
        ).encode()
        self.assert_same(rpc_url, reference, body, {"jsonrpc": "2.0", "result": text, "id": "ü-1"})

    def test_unicode_method_not_found(self, rpc_url: str, reference: Dispatcher) -> None:
        body = '{"jsonrpc": "2.0", "method": "ünïcødé.方法", "id": 12}'.encode()
        expected = {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 12}
        self.assert_same(rpc_url, reference, body, expected)

    def test_invalid_utf8_is_a_parse_error(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b'{"jsonrpc": "2.0", "method": "echo", "params": ["\xff\xfe"], "id": 13}'
        expected = {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
        self.assert_same(rpc_url, reference, body, expected)

    def test_one_megabyte_payload(self, rpc_url: str, reference: Dispatcher) -> None:
        text = ("pyRPC ✓ ünïcode " * 70_000)[:1_000_000]
        body = json.dumps({"jsonrpc": "2.0", "method": "echo", "params": [text], "id": 14}, ensure_ascii=False)
        response = self.assert_same(rpc_url, reference, body.encode(), {"jsonrpc": "2.0", "result": text, "id": 14})
        assert len(response.body) > 1_000_000

    def test_large_batch(self, rpc_url: str, reference: Dispatcher) -> None:
        size = Limits().max_batch  # the longest batch the default limits allow
        batch = [{"jsonrpc": "2.0", "method": "subtract", "params": [index, 1], "id": index} for index in range(size)]
        expected = [{"jsonrpc": "2.0", "result": index - 1, "id": index} for index in range(size)]
        self.assert_same(rpc_url, reference, json.dumps(batch).encode(), expected)

    def test_chunked_request_body(self, rpc_url: str) -> None:
        body = json.dumps({"jsonrpc": "2.0", "method": "subtract", "params": [10, 4], "id": 15}).encode()
        response = http_request(rpc_url, "POST", [body[:10], body[10:25], body[25:]])
        assert response.status == 200
        assert response.body == b'{"jsonrpc":"2.0","result":6,"id":15}'

    def test_body_is_read_whatever_its_content_type(self, rpc_url: str) -> None:
        body = b'{"jsonrpc": "2.0", "method": "subtract", "params": [3, 1], "id": 16}'
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            response = http_request(rpc_url, "POST", body, {"Content-Type": content_type})
            assert response.status == 200
            assert response.body == b'{"jsonrpc":"2.0","result":2,"id":16}'

    # -- HTTP -------------------------------------------------------------------------------

    @pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
    def test_other_methods_are_405(self, rpc_url: str, method: str) -> None:
        assert http_request(rpc_url, method, b"{}").status == 405

    @pytest.mark.parametrize("path", ["/", "/not-rpc", "/rpc/extra"])
    def test_other_paths_are_404(self, rpc_url: str, path: str) -> None:
        for method in ("GET", "POST"):
            response = http_request(rpc_url, method, b"{}" if method == "POST" else None, path=path)
            assert response.status == 404, (method, path)

    def test_introspection(self, rpc_url: str, reference: Dispatcher) -> None:
        response = http_request(rpc_url, "GET")
        assert response.status == 200
        assert response.headers.get("content-type", "").startswith("application/json")
        assert response.body == reference.schema_json()
        document = response.json()
        assert document == build_schema(reference.registry)
        assert document["version"] == 1
        assert "whoami" in document["procedures"]
        assert "ctx" not in document["procedures"]["whoami"]["params"].get("properties", {})

    def test_keep_alive_connection_serves_many_calls(self, rpc_url: str) -> None:
        from .client import RPCClient

        with RPCClient(rpc_url) as client:
            client.subtract(0, 0)
            started = time.monotonic()
            assert [client.subtract(index, 1) for index in range(20)] == list(range(-1, 19))
            # No Nagle/delayed-ACK stall (~40 ms a call) on a kept-alive connection.
            assert time.monotonic() - started < 0.5
            with client.batch() as batch:
                first, second = batch.sum(1, 2, 3), batch.echo_async(text="ok")
            assert (first.result(), second.result()) == (6, "ok")
            assert client.schema() == build_schema(conformance_registry())

    # -- Context and guards -----------------------------------------------------------------

    def test_context_headers_and_client_address(self, rpc_url: str) -> None:
        response = post(
            rpc_url,
            {"jsonrpc": "2.0", "method": "whoami", "id": 17},
            {"X-Conformance": "héllo".encode().decode("latin-1"), "Authorization": "Bearer ada"},
        )
        result = response.json()["result"]
        assert result["header"] == "héllo".encode().decode("latin-1")
        assert result["user"] == "ada"
        assert result["client"] == list(response.local_address)

    def test_guard_refuses_with_rpc_error(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b'{"jsonrpc": "2.0", "method": "admin.secret", "id": 18}'
        expected = {"jsonrpc": "2.0", "error": {"code": FORBIDDEN, "message": "forbidden"}, "id": 18}
        response = self.assert_same(rpc_url, reference, body, expected)
        assert response.json()["error"]["data"] == {"procedure": "admin.secret"}

    def test_guard_lets_allowed_calls_through(self, rpc_url: str) -> None:
        body = b'{"jsonrpc": "2.0", "method": "admin.secret", "id": 19}'
        response = post(rpc_url, body, {"X-Role": "admin"})
        assert response.body == b'{"jsonrpc":"2.0","result":"the secret","id":19}'

    def test_guard_refuses_only_its_call_of_a_batch(self, rpc_url: str, reference: Dispatcher) -> None:
        body = b"""[{"jsonrpc": "2.0", "method": "admin.secret", "id": 1},
                    {"jsonrpc": "2.0", "method": "echo", "params": ["x"], "id": 2}]"""
        expected = [
            {"jsonrpc": "2.0", "error": {"code": FORBIDDEN, "message": "forbidden"}, "id": 1},
            {"jsonrpc": "2.0", "result": "x", "id": 2},
        ]
        self.assert_same(rpc_url, reference, body, expected)

    # -- concurrency ------------------------------------------------------------------------

    @pytest.mark.parametrize("method", ["sleep_sync", "sleep_async"])
    def test_concurrent_requests_each_get_their_own_answer(self, rpc_url: str, method: str) -> None:
        count, seconds = self.CONCURRENT_REQUESTS, 0.2

        def call(index: int) -> tuple[int, bytes]:
            request_id = f"req-{index}"
            body = json.dumps(
                {"jsonrpc": "2.0", "method": method, "params": [index * 7, seconds], "id": request_id}
            ).encode()
            return index, post(rpc_url, body).body

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=count) as pool:
            answers = list(pool.map(call, range(count)))
        elapsed = time.monotonic() - started
        for index, body in answers:
            assert json.loads(body) == {"jsonrpc": "2.0", "result": index * 7, "id": f"req-{index}"}
        # Calls overlap: one after the other they would take count * seconds.
        assert elapsed < count * seconds / 2, f"{count} calls of {seconds}s took {elapsed:.1f}s"


# -- the emitter harness -------------------------------------------------------------------
#
# An emitter author checks their emitter against a corpus of introspection documents:
#
#     from pyrpc_core.testing import EmitterHarness
#
#     class TestMyEmitter(EmitterHarness):
#         @pytest.fixture(scope="class")
#         @classmethod
#         def emitter(cls):
#             return Emitter(name="mylang", language="mylang", generate=my_generate)
#
# or, outside pytest, ``check_emitter(emitter)``.


def schema_corpus() -> dict[str, dict[str, Any]]:
    """The corpus: introspection documents an emitter must turn into files, by name.

    Built afresh with ``build_schema`` (without any installed plugin's amendments) from
    registries of assorted signatures: ``empty``; ``scalars`` (numbers, strings, bytes,
    dates and times, UUID, Decimal, Any, no params, no result, an injected Context);
    ``containers`` (lists, sets, tuples, dicts, nullable vs optional, literals, unions);
    ``models`` (pydantic models with distinct input and output shapes, string and integer
    enums, recursive and mutually recursive models, a generic model, a discriminated union,
    field names that are keywords or not identifiers, a dataclass, TypedDicts); ``names``
    (dotted namespaces, a name that is also a namespace, keywords, unicode, docs holding
    quotes, backslashes and control characters); ``amended`` (``scalars`` with keys a
    ``pyrpc_amend_schema`` plugin may add, which an emitter must ignore).
    """
    from ._corpus import build_corpus

    return build_corpus()


def reordered(document: Any) -> Any:
    """``document`` with the key order of every mapping reversed, except the entries of ``properties``.

    The order of ``properties`` means something (the parameters' order, by-position calls);
    the order of every other mapping (the procedures, ``$defs``, the keys of a schema) does
    not, so an emitter's output must not depend on it.
    """
    return _reordered(document, keep_order=False)


def _reordered(value: Any, keep_order: bool) -> Any:
    if isinstance(value, list):
        return [_reordered(item, False) for item in value]
    if isinstance(value, dict):
        items = [(key, _reordered(item, key == "properties")) for key, item in value.items()]
        return dict(items if keep_order else reversed(items))
    return value


class EmitterCheckError(AssertionError):
    """An emitter failed a check of the harness; the message names the corpus document."""


def generate_checked(emitter: Emitter, name: str, document: dict[str, Any]) -> dict[str, str]:
    """``emitter.generate(document)``, checked: it did not raise, did not change ``document``,
    and returned ``{plain relative path: text}`` with at least one file."""
    before = json.dumps(document, sort_keys=True)
    try:
        files = emitter.generate(document)
    except Exception as exc:
        raise EmitterCheckError(
            f"emitter {emitter.name!r} raised on corpus document {name!r}: {type(exc).__name__}: {exc}"
        ) from exc
    if json.dumps(document, sort_keys=True) != before:
        raise EmitterCheckError(f"emitter {emitter.name!r} changed the document {name!r} it was given")
    if not isinstance(files, dict) or not files:
        raise EmitterCheckError(
            f"emitter {emitter.name!r} returned {files!r} for {name!r}, not a non-empty {{path: text}} dict"
        )
    for path, text in files.items():
        if not isinstance(path, str) or not _plain_relative(path):
            raise EmitterCheckError(f"emitter {emitter.name!r}: {path!r} (for {name!r}) is not a plain relative path")
        if not isinstance(text, str):
            raise EmitterCheckError(f"emitter {emitter.name!r}: {path!r} (for {name!r}) is {type(text).__name__}")
    return files


def _plain_relative(path: str) -> bool:
    return not any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in path.split("/"))


def check_emitter(emitter: Emitter, corpus: Mapping[str, dict[str, Any]] | None = None) -> dict[str, dict[str, str]]:
    """Check ``emitter`` on every document of ``corpus`` (``schema_corpus()`` by default).

    For each document: ``generate_checked``; the same output a second time; the same
    output when every mapping's key order is reversed (``reordered``). Raises
    ``EmitterCheckError`` naming the document; returns the outputs by document name.
    """
    outputs = {}
    for name, document in (corpus if corpus is not None else schema_corpus()).items():
        first = generate_checked(emitter, name, copy.deepcopy(document))
        if generate_checked(emitter, name, copy.deepcopy(document)) != first:
            raise EmitterCheckError(f"emitter {emitter.name!r} gave different output twice for {name!r}")
        if generate_checked(emitter, name, reordered(document)) != first:
            raise EmitterCheckError(
                f"emitter {emitter.name!r}: the output for {name!r} depends on the key order of the document"
            )
        outputs[name] = first
    return outputs


_FRESH_PROCESS = """
import json, sys
from pyrpc_core import get_plugin_manager
from pyrpc_core.testing import schema_corpus

emitter = get_plugin_manager().get_emitter(sys.argv[1])
print(json.dumps({name: emitter.generate(document) for name, document in schema_corpus().items()}))
"""


def generate_in_fresh_process(name: str, hash_seed: int) -> dict[str, dict[str, str]]:
    """The output of the installed emitter ``name`` on the corpus, from a new Python process.

    ``hash_seed`` sets ``PYTHONHASHSEED``: an emitter that iterates over a ``set`` of strings
    gives different files from one run to the next, which shows here.
    """
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, name],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
        check=False,
    )
    if result.returncode != 0:
        raise EmitterCheckError(f"emitter {name!r} failed in a fresh process:\n{result.stderr}")
    outputs: dict[str, dict[str, str]] = json.loads(result.stdout)
    return outputs


UPDATE_SNAPSHOTS = "PYRPC_UPDATE_SNAPSHOTS"
"""Set this environment variable to 1 to (re)write an ``EmitterHarness``'s snapshots."""


class EmitterHarness:
    """The emitter suite; subclass it (as ``Test...``) and provide the ``emitter`` fixture.

    ``emitter`` returns the ``pyrpc_core.Emitter`` under test. Every check runs on every
    document of ``schema_corpus()``. Set ``snapshot_dir`` to a folder to also compare the
    output with files committed there (run once with ``PYRPC_UPDATE_SNAPSHOTS=1`` to write
    them): the output then stays stable from one version of the emitter to the next, and
    any change shows in review.
    """

    snapshot_dir: Path | None = None

    @pytest.fixture(scope="class")
    @classmethod
    def corpus(cls) -> dict[str, dict[str, Any]]:
        return schema_corpus()

    @pytest.fixture(scope="class")
    @classmethod
    def outputs(cls, emitter: Emitter, corpus: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
        return {name: generate_checked(emitter, name, copy.deepcopy(document)) for name, document in corpus.items()}

    def test_every_document_gives_text_files_at_plain_relative_paths(
        self, emitter: Emitter, corpus: dict[str, dict[str, Any]]
    ) -> None:
        for name, document in corpus.items():
            generate_checked(emitter, name, copy.deepcopy(document))

    def test_descriptor(self, emitter: Emitter) -> None:
        assert isinstance(emitter, Emitter)
        assert emitter.name, emitter
        assert emitter.name == emitter.name.strip(), emitter
        assert emitter.language, emitter

    def test_same_output_twice(
        self, emitter: Emitter, corpus: dict[str, dict[str, Any]], outputs: dict[str, dict[str, str]]
    ) -> None:
        for name, document in corpus.items():
            assert generate_checked(emitter, name, copy.deepcopy(document)) == outputs[name], name

    def test_output_does_not_depend_on_key_order(
        self, emitter: Emitter, corpus: dict[str, dict[str, Any]], outputs: dict[str, dict[str, str]]
    ) -> None:
        for name, document in corpus.items():
            assert generate_checked(emitter, name, reordered(document)) == outputs[name], name

    def test_same_output_in_fresh_processes(self, emitter: Emitter, outputs: dict[str, dict[str, str]]) -> None:
        from .plugins import get_plugin_manager

        if emitter.name not in get_plugin_manager().emitters():
            pytest.skip(f"emitter {emitter.name!r} is not installed as a plugin; it cannot be found by name")
        for seed in (1, 2):
            assert generate_in_fresh_process(emitter.name, seed) == outputs, f"PYTHONHASHSEED={seed}"

    def test_files_can_be_written(self, outputs: dict[str, dict[str, str]], tmp_path: Path) -> None:
        from .files import write_files

        for name, files in outputs.items():
            write_files(tmp_path / name, files)
            for path, text in files.items():
                assert (tmp_path / name / path).read_text(encoding="utf-8") == text

    def test_output_matches_snapshots(self, outputs: dict[str, dict[str, str]]) -> None:
        if self.snapshot_dir is None:
            pytest.skip("no snapshot_dir set")
        from .files import write_files

        for name, files in outputs.items():
            folder = self.snapshot_dir / name
            if os.environ.get(UPDATE_SNAPSHOTS) == "1":
                for stale in folder.rglob("*") if folder.exists() else []:
                    if stale.is_file() and stale.relative_to(folder).as_posix() not in files:
                        stale.unlink()
                write_files(folder, files)
            committed = {
                path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
                for path in (folder.rglob("*") if folder.exists() else [])
                if path.is_file()
            }
            assert committed == files, (
                f"the output for {name!r} differs from the snapshots in {folder}; "
                f"if the change is intended, run again with {UPDATE_SNAPSHOTS}=1 and review the diff"
            )


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
    def hardened_reference(cls) -> Dispatcher:
        return Dispatcher(hardened_registry(), limits=HARDENED_LIMITS, cors=HARDENED_CORS)

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

    def assert_same_as_reference(self, url: str, reference: Dispatcher, payload: Any) -> HttpResponse:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = post(url, body)
        assert response.status == 200, response
        assert response.body == reference.dispatch_sync(body, Context())
        return response

    def test_batch_longer_than_the_limit(self, hardened_url: str, hardened_reference: Dispatcher) -> None:
        call = {"jsonrpc": "2.0", "method": "echo", "params": ["x"], "id": 1}
        batch = [call] * HARDENED_LIMITS.max_batch
        assert len(self.assert_same_as_reference(hardened_url, hardened_reference, batch).json()) == len(batch)
        response = self.assert_same_as_reference(hardened_url, hardened_reference, [*batch, call])
        self.assert_limit(response, "max_batch")

    def test_nesting_deeper_than_the_limit(self, hardened_url: str, hardened_reference: Dispatcher) -> None:
        # The request object and its params array are two levels: data gets the rest.
        fits = _nested(HARDENED_LIMITS.max_depth - 2)
        request = {"jsonrpc": "2.0", "method": "fail", "params": [4000, "nested", fits], "id": 3}
        response = self.assert_same_as_reference(hardened_url, hardened_reference, request)
        assert response.json()["error"] == {"code": 4000, "message": "nested", "data": fits}
        request["params"] = [4000, "nested", _nested(HARDENED_LIMITS.max_depth - 1)]
        self.assert_limit(self.assert_same_as_reference(hardened_url, hardened_reference, request), "max_depth")

    def test_nesting_deeper_than_the_parser_goes(self, hardened_url: str, hardened_reference: Dispatcher) -> None:
        body = b'{"jsonrpc": "2.0", "method": "echo", "params": ' + b"[" * 5000 + b"]" * 5000 + b', "id": 4}'
        response = self.assert_same_as_reference(hardened_url, hardened_reference, body)
        self.assert_limit(response, "max_depth")

    def test_string_longer_than_the_limit(self, hardened_url: str, hardened_reference: Dispatcher) -> None:
        longest = "é" * HARDENED_LIMITS.max_string
        request = {"jsonrpc": "2.0", "method": "echo", "params": [longest], "id": 5}
        assert self.assert_same_as_reference(hardened_url, hardened_reference, request).json()["result"] == longest
        request["params"] = [longest + "é"]
        self.assert_limit(self.assert_same_as_reference(hardened_url, hardened_reference, request), "max_string")
        request["params"] = {"x" * (HARDENED_LIMITS.max_string + 1): 1}
        self.assert_limit(self.assert_same_as_reference(hardened_url, hardened_reference, request), "max_string")

    def test_limits_in_a_batch_refuse_only_their_request(
        self, hardened_url: str, hardened_reference: Dispatcher
    ) -> None:
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

    def test_a_guard_protects_introspection(self, hardened_url: str, hardened_reference: Dispatcher) -> None:
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
