"""The adapter conformance kit: the registry every adapter serves, and the suite that calls it."""

from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ..context import Context
from ..endpoint import Endpoint
from ..errors import RpcError
from ..limits import Limits
from ..procedure import Procedure
from ..registry import Registry
from ..schema import build_schema
from .wire import HttpResponse, http_request, post

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
    def reference(cls) -> Endpoint:
        """The core endpoint on its own registry: the bytes every adapter must send."""
        return Endpoint(conformance_registry())

    def assert_same(self, rpc_url: str, reference: Endpoint, body: bytes, expected: Any) -> HttpResponse:
        """POST ``body``; the answer must be the reference's bytes and, data aside, ``expected``."""
        response = post(rpc_url, body)
        want = reference.dispatcher.dispatch_sync(body, Context())
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

    def test_positional_parameters(self, rpc_url: str, reference: Endpoint) -> None:
        for params, result, request_id in (([42, 23], 19, 1), ([23, 42], -19, 2)):
            body = json.dumps({"jsonrpc": "2.0", "method": "subtract", "params": params, "id": request_id}).encode()
            self.assert_same(rpc_url, reference, body, {"jsonrpc": "2.0", "result": result, "id": request_id})

    def test_named_parameters(self, rpc_url: str, reference: Endpoint) -> None:
        for params, request_id in (({"subtrahend": 23, "minuend": 42}, 3), ({"minuend": 42, "subtrahend": 23}, 4)):
            body = json.dumps({"jsonrpc": "2.0", "method": "subtract", "params": params, "id": request_id}).encode()
            self.assert_same(rpc_url, reference, body, {"jsonrpc": "2.0", "result": 19, "id": request_id})

    def test_notifications(self, rpc_url: str, reference: Endpoint) -> None:
        self.assert_same(rpc_url, reference, b'{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}', None)
        self.assert_same(rpc_url, reference, b'{"jsonrpc": "2.0", "method": "foobar"}', None)
        recall = post(rpc_url, {"jsonrpc": "2.0", "method": "recall", "params": ["update"], "id": 1})
        assert recall.json() == {"jsonrpc": "2.0", "result": [1, 2, 3, 4, 5], "id": 1}

    def test_non_existent_method(self, rpc_url: str, reference: Endpoint) -> None:
        body = b'{"jsonrpc": "2.0", "method": "foobar", "id": "1"}'
        expected = {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}
        self.assert_same(rpc_url, reference, body, expected)

    def test_invalid_json(self, rpc_url: str, reference: Endpoint) -> None:
        body = b'{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]'
        expected = {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
        self.assert_same(rpc_url, reference, body, expected)

    def test_invalid_request_object(self, rpc_url: str, reference: Endpoint) -> None:
        body = b'{"jsonrpc": "2.0", "method": 1, "params": "bar"}'
        expected = {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}
        self.assert_same(rpc_url, reference, body, expected)

    def test_batch_invalid_json(self, rpc_url: str, reference: Endpoint) -> None:
        body = b"""[
          {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
          {"jsonrpc": "2.0", "method"
        ]"""
        expected = {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
        self.assert_same(rpc_url, reference, body, expected)

    def test_empty_array(self, rpc_url: str, reference: Endpoint) -> None:
        expected = {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}
        self.assert_same(rpc_url, reference, b"[]", expected)

    def test_invalid_batch_of_one(self, rpc_url: str, reference: Endpoint) -> None:
        expected = [{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}]
        self.assert_same(rpc_url, reference, b"[1]", expected)

    def test_invalid_batch(self, rpc_url: str, reference: Endpoint) -> None:
        expected = [{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": None}] * 3
        self.assert_same(rpc_url, reference, b"[1,2,3]", expected)

    def test_mixed_batch(self, rpc_url: str, reference: Endpoint) -> None:
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

    def test_all_notification_batch(self, rpc_url: str, reference: Endpoint) -> None:
        body = b"""[
            {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
            {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
        ]"""
        self.assert_same(rpc_url, reference, body, None)
        recall = post(rpc_url, {"jsonrpc": "2.0", "method": "recall", "params": ["notify_sum"], "id": 1})
        assert recall.json()["result"] == 7

    # -- more of the protocol -----------------------------------------------------------

    def test_missing_jsonrpc_member_is_invalid(self, rpc_url: str, reference: Endpoint) -> None:
        body = b'{"method": "subtract", "params": [1, 2], "id": 7}'
        expected = {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 7}
        self.assert_same(rpc_url, reference, body, expected)

    def test_invalid_params_carry_pydantic_errors(self, rpc_url: str, reference: Endpoint) -> None:
        body = b'{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": "x"}, "id": 8}'
        response = self.assert_same(
            rpc_url,
            reference,
            body,
            {"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid params"}, "id": 8},
        )
        errors = response.json()["error"]["data"]
        assert {error["type"] for error in errors} == {"int_parsing", "missing"}

    def test_rpc_error_passes_through(self, rpc_url: str, reference: Endpoint) -> None:
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "fail", "params": [4004, "user not found", {"id": 12}], "id": 9}
        ).encode()
        expected = {"jsonrpc": "2.0", "error": {"code": 4004, "message": "user not found"}, "id": 9}
        response = self.assert_same(rpc_url, reference, body, expected)
        assert response.json()["error"]["data"] == {"id": 12}

    @pytest.mark.parametrize("method", ["crash", "crash_async"])
    def test_unexpected_exception_is_internal_error_without_its_text(
        self, rpc_url: str, reference: Endpoint, method: str
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
        want = reference.dispatcher.dispatch_sync(body)
        assert want is not None
        assert response.body.replace(request_id.encode(), b"") == re.sub(rb"[0-9a-f]{16}", b"", want)

    @pytest.mark.parametrize("method", ["echo", "echo_async"])
    def test_sync_and_async_procedures(self, rpc_url: str, reference: Endpoint, method: str) -> None:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": {"text": "hi"}, "id": 11}).encode()
        self.assert_same(rpc_url, reference, body, {"jsonrpc": "2.0", "result": "hi", "id": 11})

    def test_batch_of_sync_and_async_calls_keeps_order(self, rpc_url: str, reference: Endpoint) -> None:
        batch = [
            {"jsonrpc": "2.0", "method": "echo_async" if index % 2 else "echo", "params": [str(index)], "id": index}
            for index in range(40)
        ]
        expected = [{"jsonrpc": "2.0", "result": str(index), "id": index} for index in range(40)]
        self.assert_same(rpc_url, reference, json.dumps(batch).encode(), expected)

    # -- payloads ---------------------------------------------------------------------------

    @pytest.mark.parametrize("ensure_ascii", [True, False])
    def test_unicode(self, rpc_url: str, reference: Endpoint, ensure_ascii: bool) -> None:
        text = 'héllo wörld — 你好, мир 🎉𝄞 \u0000\u2028 "quoted" \\ end'
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "echo", "params": [text], "id": "ü-1"}, ensure_ascii=ensure_ascii
        ).encode()
        self.assert_same(rpc_url, reference, body, {"jsonrpc": "2.0", "result": text, "id": "ü-1"})

    def test_unicode_method_not_found(self, rpc_url: str, reference: Endpoint) -> None:
        body = '{"jsonrpc": "2.0", "method": "ünïcødé.方法", "id": 12}'.encode()
        expected = {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 12}
        self.assert_same(rpc_url, reference, body, expected)

    def test_invalid_utf8_is_a_parse_error(self, rpc_url: str, reference: Endpoint) -> None:
        body = b'{"jsonrpc": "2.0", "method": "echo", "params": ["\xff\xfe"], "id": 13}'
        expected = {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
        self.assert_same(rpc_url, reference, body, expected)

    def test_one_megabyte_payload(self, rpc_url: str, reference: Endpoint) -> None:
        text = ("pyRPC ✓ ünïcode " * 70_000)[:1_000_000]
        body = json.dumps({"jsonrpc": "2.0", "method": "echo", "params": [text], "id": 14}, ensure_ascii=False)
        response = self.assert_same(rpc_url, reference, body.encode(), {"jsonrpc": "2.0", "result": text, "id": 14})
        assert len(response.body) > 1_000_000

    def test_large_batch(self, rpc_url: str, reference: Endpoint) -> None:
        size = Limits().max_batch  # the longest batch the default limits allow
        batch = [{"jsonrpc": "2.0", "method": "subtract", "params": [index, 1], "id": index} for index in range(size)]
        expected = [{"jsonrpc": "2.0", "result": index - 1, "id": index} for index in range(size)]
        self.assert_same(rpc_url, reference, json.dumps(batch).encode(), expected)

    def test_chunked_request_body(self, rpc_url: str) -> None:
        body = json.dumps({"jsonrpc": "2.0", "method": "subtract", "params": [10, 4], "id": 15}).encode()
        response = http_request(rpc_url, "POST", [body[:10], body[10:25], body[25:]])
        assert response.status == 200
        assert response.body == b'{"jsonrpc":"2.0","result":6,"id":15}'

    @pytest.mark.parametrize(
        "content_type", ["application/json; charset=utf-8", "application/json-rpc", "Application/JSON"]
    )
    def test_json_content_types_are_served(self, rpc_url: str, content_type: str) -> None:
        body = b'{"jsonrpc": "2.0", "method": "subtract", "params": [3, 1], "id": 16}'
        response = http_request(rpc_url, "POST", body, {"Content-Type": content_type})
        assert (response.status, response.body) == (200, b'{"jsonrpc":"2.0","result":2,"id":16}')

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
    )
    def test_other_content_types_are_415_and_nothing_runs(self, rpc_url: str, content_type: str) -> None:
        # What a browser sends cross-site without a CORS preflight (a "simple request"):
        # refused, so a cookie-authenticated app cannot be called from another site.
        body = b'{"jsonrpc": "2.0", "method": "notify_hello", "params": [415], "id": 16}'
        response = http_request(rpc_url, "POST", body, {"Content-Type": content_type, "Origin": "https://evil.example"})
        assert response.status == 415
        assert response.headers.get("content-type", "").startswith("application/json")
        answer = response.json()
        assert answer["error"]["code"] == -32600
        assert "application/json" in answer["error"]["message"]
        assert answer["id"] is None
        assert (
            post(rpc_url, {"jsonrpc": "2.0", "method": "recall", "params": ["notify_hello"], "id": 1}).json()["result"]
            != 415
        )

    def test_options_answers_what_the_endpoint_allows(self, rpc_url: str) -> None:
        response = http_request(rpc_url, "OPTIONS")
        assert response.status in (200, 204)
        assert {"GET", "POST"} <= {method.strip() for method in response.headers.get("allow", "").split(",")}

    # -- HTTP -------------------------------------------------------------------------------

    @pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
    def test_other_methods_are_405(self, rpc_url: str, method: str) -> None:
        assert http_request(rpc_url, method, b"{}").status == 405

    @pytest.mark.parametrize("path", ["/", "/not-rpc", "/rpc/extra"])
    def test_other_paths_are_404(self, rpc_url: str, path: str) -> None:
        for method in ("GET", "POST"):
            response = http_request(rpc_url, method, b"{}" if method == "POST" else None, path=path)
            assert response.status == 404, (method, path)

    def test_introspection(self, rpc_url: str, reference: Endpoint) -> None:
        response = http_request(rpc_url, "GET")
        assert response.status == 200
        assert response.headers.get("content-type", "").startswith("application/json")
        assert response.body == reference.schema_json()
        document = response.json()
        assert document == reference.schema()
        assert {key: document[key] for key in ("version", "procedures", "$defs")} == build_schema(reference.registry)
        assert document["limits"] == {"max_batch": 1000, "max_body_bytes": 4 * 1024 * 1024}
        assert document["version"] == 1
        assert "whoami" in document["procedures"]
        assert "ctx" not in document["procedures"]["whoami"]["params"].get("properties", {})

    def test_keep_alive_connection_serves_many_calls(self, rpc_url: str) -> None:
        from ..client import RPCClient

        with RPCClient(rpc_url) as client:
            client.subtract(0, 0)
            started = time.monotonic()
            assert [client.subtract(index, 1) for index in range(20)] == list(range(-1, 19))
            # No Nagle/delayed-ACK stall (~40 ms a call) on a kept-alive connection.
            assert time.monotonic() - started < 0.5
            with client.batch() as batch:
                first, second = batch.sum(1, 2, 3), batch.echo_async(text="ok")
            assert (first.result(), second.result()) == (6, "ok")
            assert client.schema()["procedures"] == build_schema(conformance_registry())["procedures"]

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

    def test_guard_refuses_with_rpc_error(self, rpc_url: str, reference: Endpoint) -> None:
        body = b'{"jsonrpc": "2.0", "method": "admin.secret", "id": 18}'
        expected = {"jsonrpc": "2.0", "error": {"code": FORBIDDEN, "message": "forbidden"}, "id": 18}
        response = self.assert_same(rpc_url, reference, body, expected)
        assert response.json()["error"]["data"] == {"procedure": "admin.secret"}

    def test_guard_lets_allowed_calls_through(self, rpc_url: str) -> None:
        body = b'{"jsonrpc": "2.0", "method": "admin.secret", "id": 19}'
        response = post(rpc_url, body, {"X-Role": "admin"})
        assert response.body == b'{"jsonrpc":"2.0","result":"the secret","id":19}'

    def test_guard_refuses_only_its_call_of_a_batch(self, rpc_url: str, reference: Endpoint) -> None:
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
