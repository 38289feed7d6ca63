"""The hardening kit: limits, CORS, introspection, load, deadlines, backpressure, faults and
disconnects, held alike on every adapter."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
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

# -- hardening: limits, CORS, introspection, load, deadlines, backpressure, faults --------
#
# An adapter author proves that their adapter holds the limits, CORS and introspection
# options exactly like ours, over real HTTP, and that deadlines, backpressure (503), faults
# and (on ASGI) disconnects behave the same. The suite needs one fixture, ``serve_rpc``: a
# function that serves a registry at ``/rpc`` with the adapter's keyword options
# (``limits=``, ``introspection=``, ``cors=``) on a server in the test's process (the fault
# tests read the ``pyrpc`` logger) and returns the endpoint's URL::
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


DEADLINE = 0.3
"""The ``Limits.timeout`` the suite serves ``production_registry()`` with for its deadline tests."""

DEADLINE_LIMITS = Limits(timeout=DEADLINE)

STRICT_DEADLINE = 0.2
"""The ``@rpc(timeout=...)`` of ``strict_async`` and ``strict_sync``, served with no ``Limits.timeout``."""

PATIENT_DEADLINE = 3.0
"""The ``@rpc(timeout=...)`` of ``patient_async``: longer than ``DEADLINE``, which it overrides."""

GUARD_HANG = 2.0
"""Seconds the guard of ``production_registry()`` hangs before any ``hang.*`` call."""

ONE_THREAD_LIMITS = Limits(threads=1, timeout=DEADLINE)
"""One worker thread for sync procedures, and a deadline: calls wait for the thread past it."""

MAX_IN_FLIGHT = 4
BACKPRESSURE_LIMITS = Limits(max_in_flight=MAX_IN_FLIGHT)
"""A small ``max_in_flight``, so that a burst of slow calls overloads the endpoint."""

WAITING_LIMITS = Limits(threads=2, max_waiting=2)
"""Two worker threads for sync procedures and two calls waiting for them at most."""

FAULTS: dict[str, str] = {
    "wrong_result": "returned a value that does not fit its return annotation",
    "recursion": "raised",
    "recursion_async": "raised",
    "returns_coroutine": "plain function that returned a coroutine",
    "returns_generator": "plain function that returned a generator",
    "exits": "raised",
    "exits_async": "raised",
}
"""The procedures of ``production_registry()`` that fail by a bug, and what the log line says of each."""


def production_registry() -> Registry:
    """A fresh registry for the production tests: deadlines, backpressure, faults and disconnects.

    - ``slow_async(key, seconds)``, ``slow_sync(key, seconds)`` sleep, recording ``"started"``,
      ``"slept"`` (when the sleep ended) and ``"finally"`` under ``key``; ``recall(key)`` reads
      the record back, so a client sees whether a cancelled call's ``finally`` ran;
    - ``strict_async``/``strict_sync`` (the same, with ``@rpc(timeout=STRICT_DEADLINE)``) and
      ``patient_async(seconds)`` (``@rpc(timeout=PATIENT_DEADLINE)``);
    - ``hang.async``/``hang.sync``: an async guard hangs ``GUARD_HANG`` seconds before them;
    - the ``FAULTS``: a result that does not fit its annotation, a ``RecursionError`` (sync and
      async), plain functions returning a coroutine and a generator, ``sys.exit`` (sync and async);
    - ``echo(text)``, and ``thread()``: the name of the thread a sync procedure runs in.
    """
    registry = Registry()
    memory: dict[str, list[str]] = {}
    lock = threading.Lock()

    def record(key: str, event: str) -> None:
        with lock:
            memory.setdefault(key, []).append(event)

    @registry.rpc
    async def recall(key: str) -> list[str]:  # async: it needs no worker thread, which may all be busy
        with lock:
            return list(memory.get(key, []))

    @registry.rpc
    def echo(text: str) -> str:
        return text

    @registry.rpc
    def thread() -> str:
        return threading.current_thread().name

    async def sleep_async(key: str, seconds: float) -> str:
        record(key, "started")
        try:
            await asyncio.sleep(seconds)
            record(key, "slept")
        finally:
            record(key, "finally")
        return key

    def sleep_sync(key: str, seconds: float) -> str:
        record(key, "started")
        try:
            time.sleep(seconds)
            record(key, "slept")
        finally:
            record(key, "finally")
        return key

    registry.rpc(name="slow_async")(sleep_async)
    registry.rpc(name="slow_sync")(sleep_sync)
    registry.rpc(name="strict_async", timeout=STRICT_DEADLINE)(sleep_async)
    registry.rpc(name="strict_sync", timeout=STRICT_DEADLINE)(sleep_sync)

    @registry.rpc(timeout=PATIENT_DEADLINE)
    async def patient_async(seconds: float) -> float:
        await asyncio.sleep(seconds)
        return seconds

    @registry.rpc(name="hang.async")
    async def hang_async() -> str:
        return "passed the guard"

    @registry.rpc(name="hang.sync")
    def hang_sync() -> str:
        return "passed the guard"

    @registry.guard
    async def hanging_guard(procedure: Procedure, ctx: Context) -> None:
        if procedure.name.startswith("hang."):
            record(procedure.name, "guard started")
            try:
                await asyncio.sleep(GUARD_HANG)
            finally:
                record(procedure.name, "guard finally")

    @registry.rpc
    def wrong_result() -> int:
        return {"not": "an integer"}  # type: ignore[return-value]

    def down(depth: int) -> int:
        return down(depth + 1) + 1

    @registry.rpc
    def recursion() -> int:
        return down(0)

    @registry.rpc
    async def recursion_async() -> int:
        return down(0)

    async def coroutine() -> int:
        return 1

    @registry.rpc
    def returns_coroutine() -> int:
        return coroutine()  # type: ignore[return-value]  # forgot 'async def'

    @registry.rpc
    def returns_generator() -> int:
        return (n for n in range(3))  # type: ignore[return-value]

    @registry.rpc
    def exits() -> int:
        sys.exit(3)

    @registry.rpc
    async def exits_async() -> int:
        sys.exit(4)

    return registry


@contextmanager
def recording_logs(*names: str, level: int = logging.ERROR) -> Iterator[list[logging.LogRecord]]:
    """The records of ``level`` and above that the loggers ``names`` emit meanwhile, from any thread.

    The handler sits on the loggers themselves, so it sees them even when they do not
    propagate (uvicorn's do not). The server must run in this process.
    """
    records: list[logging.LogRecord] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Recorder(level)
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def call(url: str, method: str, params: Any = None, request_id: Any = 1) -> Any:
    """One call on a fresh connection; the decoded JSON-RPC answer (an HTTP status other than 200 fails)."""
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": request_id}
    if params is not None:
        request["params"] = params
    response = post(url, request)
    assert response.status == 200, response
    return response.json()


def wait_for(condition: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """``condition()``'s first true value within ``timeout`` seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


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
    response, _ = await _timed_post_async(host, port, path, body)
    return response.status, response.body


async def _timed_post_async(host: str, port: int, path: str, body: bytes) -> tuple[HttpResponse, float]:
    """One POST on its own connection, with asyncio streams: the response and the seconds it took."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        local_address = writer.get_extra_info("sockname")[:2]
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = headers.get("content-length")
        payload = await (reader.readexactly(int(length)) if length is not None else reader.read())
        response = HttpResponse(int(lines[0].split()[1]), headers, payload, (local_address[0], local_address[1]))
        return response, time.monotonic() - started
    finally:
        writer.close()


def concurrent_posts(url: str, bodies: list[bytes], timeout: float = 120.0) -> list[tuple[int, bytes]]:
    """POST every body at once (one connection each, all open together); the answers in order."""
    return [(response.status, response.body) for response, _ in timed_posts(url, bodies, timeout)]


def timed_posts(url: str, bodies: list[bytes], timeout: float = 120.0) -> list[tuple[HttpResponse, float]]:
    """POST every body at once (one connection each); each response with the seconds it took, in order."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def run_all() -> list[tuple[HttpResponse, float]]:
        calls = [_timed_post_async(host, port, parts.path, body) for body in bodies]
        return await asyncio.wait_for(asyncio.gather(*calls), timeout)

    return asyncio.run(run_all())


def hang_up(url: str, payload: Any, after: float) -> None:
    """POST ``payload`` on a raw socket, then close the connection ``after`` seconds later, unanswered."""
    parts = urllib.parse.urlsplit(url)
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10) as sock:
        sock.sendall(
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        time.sleep(after)
        sock.settimeout(0)
        try:
            early = sock.recv(1)
        except BlockingIOError:
            early = b""
        assert not early, "the server answered before the client left: make the call slower"


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
    the app sees it (waitress does): the body is then refused once it came, since only the
    server's own limit could refuse it earlier. An ASGI adapter subclasses
    ``AsgiHardeningConformance`` instead, which adds the tests of its worker threads and of
    clients that leave.
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
            # The server reads the whole body before the app: the app can only refuse it after
            # it came, and it does, from the declared length, without parsing it.
            body = b"[" + b" " * HARDENED_LIMITS.max_body_bytes + b"]"
            headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
            response = raw_request(hardened_url, "POST", headers, [body], timeout=10)
            assert response.status == 413
            self.assert_limit(response, "max_body_bytes")
            return
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

    # -- deadlines -------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def deadline_url(cls, serve_rpc: Any) -> str:
        """``production_registry()`` with ``DEADLINE_LIMITS``: every call has a deadline of ``DEADLINE``."""
        url: str = serve_rpc(production_registry(), limits=DEADLINE_LIMITS)
        return url

    @pytest.fixture(scope="class")
    @classmethod
    def production_url(cls, serve_rpc: Any) -> str:
        """``production_registry()`` with no options: no deadline but the procedures' own."""
        url: str = serve_rpc(production_registry())
        return url

    def assert_timeout(self, answer: Any, request_id: Any, method: str, seconds: float) -> None:
        assert answer == {
            "jsonrpc": "2.0",
            "error": {
                "code": -32001,
                "message": f"Timeout: {method} took longer than {seconds:g} s",
                "data": {"timeout": seconds},
            },
            "id": request_id,
        }

    def recall(self, url: str, key: str) -> list[str]:
        """What ``production_registry()`` recorded under ``key``."""
        record: list[str] = call(url, "recall", [key])["result"]
        return record

    def recorded(self, url: str, key: str, expected: list[str], timeout: float) -> list[str]:
        """Wait up to ``timeout`` seconds for the record under ``key`` to be ``expected``, else fail."""
        wait_for(lambda: self.recall(url, key) == expected, timeout)
        record = self.recall(url, key)
        assert record == expected, f"{key}: {record} after {timeout} s, not {expected}"
        return record

    def timed_call(self, url: str, method: str, params: Any, request_id: Any = 1) -> tuple[Any, float]:
        started = time.monotonic()
        answer = call(url, method, params, request_id)
        return answer, time.monotonic() - started

    def test_async_call_past_the_deadline_is_cancelled_and_answered(self, deadline_url: str) -> None:
        answer, elapsed = self.timed_call(deadline_url, "slow_async", ["deadline-async", 30], "d1")
        self.assert_timeout(answer, "d1", "slow_async", DEADLINE)
        assert elapsed < DEADLINE + 0.9, f"answered after {elapsed:.2f} s"
        # Cancelled, not abandoned: its finally ran, and it never finished its sleep.
        self.recorded(deadline_url, "deadline-async", ["started", "finally"], 1.0)

    def test_sync_call_past_the_deadline_is_answered_while_its_thread_runs_on(self, deadline_url: str) -> None:
        answer, elapsed = self.timed_call(deadline_url, "slow_sync", ["deadline-sync", 1.0], "d2")
        self.assert_timeout(answer, "d2", "slow_sync", DEADLINE)
        assert elapsed < DEADLINE + 0.5, f"answered after {elapsed:.2f} s: the request waited for the thread"
        # A thread cannot be stopped: the function runs to its end, unanswered.
        assert self.recall(deadline_url, "deadline-sync") == ["started"]
        self.recorded(deadline_url, "deadline-sync", ["started", "slept", "finally"], 3.0)

    def test_calls_within_the_deadline_are_answered(self, deadline_url: str) -> None:
        assert call(deadline_url, "slow_async", ["quick-async", 0.01])["result"] == "quick-async"
        assert call(deadline_url, "slow_sync", ["quick-sync", 0.01])["result"] == "quick-sync"

    def test_a_procedure_deadline_overrides_the_endpoint_deadline(self, deadline_url: str) -> None:
        answer = call(deadline_url, "patient_async", [DEADLINE + 0.3])
        assert answer == {"jsonrpc": "2.0", "result": DEADLINE + 0.3, "id": 1}

    @pytest.mark.parametrize("method", ["strict_async", "strict_sync"])
    def test_a_procedure_deadline_without_an_endpoint_deadline(self, production_url: str, method: str) -> None:
        key = f"strict-{method}"
        answer, elapsed = self.timed_call(production_url, method, [key, 0.8], "s1")
        self.assert_timeout(answer, "s1", method, STRICT_DEADLINE)
        assert elapsed < STRICT_DEADLINE + 0.5, f"answered after {elapsed:.2f} s"
        # The other procedures of the registry have no deadline.
        assert call(production_url, "slow_async", [f"no-deadline-{method}", STRICT_DEADLINE + 0.2])["result"]

    @pytest.mark.parametrize("method", ["hang.async", "hang.sync"])
    def test_a_hanging_guard_is_covered_by_the_deadline(self, deadline_url: str, method: str) -> None:
        answer, elapsed = self.timed_call(deadline_url, method, [], "g1")
        self.assert_timeout(answer, "g1", method, DEADLINE)
        assert elapsed < DEADLINE + 0.9, f"answered after {elapsed:.2f} s"
        assert call(deadline_url, "echo", ["after the guard"])["result"] == "after the guard"

    def test_deadlines_in_a_batch_answer_only_their_call(self, deadline_url: str) -> None:
        batch = [
            {"jsonrpc": "2.0", "method": "slow_async", "params": ["batch-async", 30], "id": 1},
            {"jsonrpc": "2.0", "method": "slow_sync", "params": ["batch-sync", 0.8], "id": 2},
            {"jsonrpc": "2.0", "method": "echo", "params": ["in time"], "id": 3},
            {"jsonrpc": "2.0", "method": "slow_async", "params": ["batch-notification", 30]},
        ]
        started = time.monotonic()
        response = post(deadline_url, batch)
        elapsed = time.monotonic() - started
        answers = response.json()
        assert response.status == 200
        assert len(answers) == 3
        self.assert_timeout(answers[0], 1, "slow_async", DEADLINE)
        self.assert_timeout(answers[1], 2, "slow_sync", DEADLINE)
        assert answers[2] == {"jsonrpc": "2.0", "result": "in time", "id": 3}
        assert elapsed < DEADLINE + 0.9, f"answered after {elapsed:.2f} s"
        for key in ("batch-async", "batch-notification"):
            self.recorded(deadline_url, key, ["started", "finally"], 1.0)

    @pytest.fixture(scope="class")
    @classmethod
    def one_thread_url(cls, serve_rpc: Any) -> str:
        """``production_registry()`` with ``ONE_THREAD_LIMITS``: one worker thread, a deadline of ``DEADLINE``."""
        url: str = serve_rpc(production_registry(), limits=ONE_THREAD_LIMITS)
        return url

    def test_a_sync_call_answered_timeout_before_it_started_never_runs(self, one_thread_url: str) -> None:
        # One worker thread: the first call takes it, the others wait for it past their deadline.
        answers = self.burst(one_thread_url, "slow_sync", "queued", 3, DEADLINE + 0.3)
        for n, (response, elapsed) in enumerate(answers):
            self.assert_timeout(response.json(), n, "slow_sync", DEADLINE)
            assert elapsed < DEADLINE + 0.5, f"answered after {elapsed:.2f} s"
        self.recorded(one_thread_url, "queued-0", ["started", "slept", "finally"], 2.0)
        time.sleep(2 * (DEADLINE + 0.3))  # long enough for the others to have run, one after the other
        # Their callers were told they timed out: they must not run afterwards.
        assert [self.recall(one_thread_url, f"queued-{n}") for n in (1, 2)] == [[], []]

    # -- backpressure ----------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def overload_url(cls, serve_rpc: Any) -> str:
        """``production_registry()`` with ``BACKPRESSURE_LIMITS`` (``max_in_flight=MAX_IN_FLIGHT``)."""
        url: str = serve_rpc(production_registry(), limits=BACKPRESSURE_LIMITS)
        return url

    @pytest.fixture(scope="class")
    @classmethod
    def waiting_url(cls, serve_rpc: Any) -> str:
        """``production_registry()`` with ``WAITING_LIMITS`` (two threads, two calls waiting)."""
        url: str = serve_rpc(production_registry(), limits=WAITING_LIMITS)
        return url

    def assert_overloaded(self, response: HttpResponse, elapsed: float) -> None:
        assert response.status == 503, response
        assert response.headers.get("retry-after") == "1"
        assert response.headers.get("content-type", "").startswith("application/json")
        answer = response.json()
        error = answer["error"]
        assert answer == {"jsonrpc": "2.0", "error": {"code": -32002, "message": error["message"]}, "id": None}
        assert "retry" in answer["error"]["message"].lower()
        assert elapsed < 0.6, f"a 503 took {elapsed:.2f} s: refused requests must not wait"

    def burst(self, url: str, method: str, prefix: str, count: int, seconds: float) -> list[tuple[HttpResponse, float]]:
        bodies = [
            json.dumps({"jsonrpc": "2.0", "method": method, "params": [f"{prefix}-{n}", seconds], "id": n}).encode()
            for n in range(count)
        ]
        return timed_posts(url, bodies, timeout=30)

    def test_beyond_max_in_flight_calls_get_503_at_once(self, overload_url: str) -> None:
        answers = self.burst(overload_url, "slow_async", "burst", MAX_IN_FLIGHT * 4, 1.0)
        served = [n for n, (response, _) in enumerate(answers) if response.status == 200]
        refused = [(response, elapsed) for response, elapsed in answers if response.status != 200]
        assert 1 <= len(served) <= MAX_IN_FLIGHT, [response.status for response, _ in answers]
        assert len(refused) >= MAX_IN_FLIGHT * 4 - MAX_IN_FLIGHT
        for response, elapsed in refused:
            self.assert_overloaded(response, elapsed)
        for n in served:
            assert answers[n][0].json() == {"jsonrpc": "2.0", "result": f"burst-{n}", "id": n}
        # A refused request never ran.
        ran = [n for n in range(len(answers)) if self.recall(overload_url, f"burst-{n}")]
        assert ran == served
        # Once the calls in flight are done, the endpoint serves again.
        again = self.burst(overload_url, "slow_async", "again", MAX_IN_FLIGHT, 0.05)
        assert [response.status for response, _ in again] == [200] * MAX_IN_FLIGHT

    # -- faults: answered, logged, and the server goes on ----------------------------------

    @pytest.mark.parametrize("method", sorted(FAULTS))
    def test_a_fault_is_an_internal_error_logged_with_its_procedure(self, production_url: str, method: str) -> None:
        with recording_logs("pyrpc") as records:
            answer = call(production_url, method, None, f"fault-{method}")
        request_id = answer["error"]["data"]["request_id"]
        assert answer == {
            "jsonrpc": "2.0",
            "error": {"code": -32603, "message": "Internal error", "data": {"request_id": request_id}},
            "id": f"fault-{method}",
        }
        assert re.fullmatch(r"[0-9a-f]{16}", request_id)
        logged = [record for record in records if getattr(record, "request_id", None) == request_id]
        assert len(logged) == 1, [record.getMessage() for record in records]
        assert logged[0].levelno == logging.ERROR
        assert f"procedure {method!r}" in logged[0].getMessage()
        assert FAULTS[method] in logged[0].getMessage()
        assert logged[0].exc_info is not None
        # The server is alive and answers the next call.
        assert call(production_url, "echo", [f"after {method}"])["result"] == f"after {method}"

    def test_faults_in_a_batch_answer_only_their_call(self, production_url: str) -> None:
        batch: list[dict[str, Any]] = [{"jsonrpc": "2.0", "method": method, "id": method} for method in sorted(FAULTS)]
        batch.append({"jsonrpc": "2.0", "method": "echo", "params": ["alive"], "id": "echo"})
        batch.append({"jsonrpc": "2.0", "method": "exits"})  # a notification: nothing to answer
        with recording_logs("pyrpc"):
            answers = post(production_url, batch).json()
        assert [answer["id"] for answer in answers] == [*sorted(FAULTS), "echo"]
        assert [answer.get("error", {}).get("code") for answer in answers] == [-32603] * len(FAULTS) + [None]
        assert answers[-1]["result"] == "alive"


class AsgiHardeningConformance(HardeningConformance):
    """``HardeningConformance`` and what only an ASGI adapter can do; subclass it for one.

    Sync procedures run in the endpoint's own worker threads (``Limits.threads``, with
    ``max_waiting`` calls waiting at most), and the adapter passes ``disconnected=`` to
    ``Endpoint.respond``, so the calls of a client that leaves are cancelled.
    """

    def test_beyond_max_waiting_sync_calls_get_503_at_once(self, waiting_url: str) -> None:
        assert call(waiting_url, "thread")["result"].startswith("pyrpc-sync")  # the endpoint's own threads
        threads, waiting = WAITING_LIMITS.threads, WAITING_LIMITS.max_waiting
        count = (threads + waiting) * 3
        answers = self.burst(waiting_url, "slow_sync", "waiting", count, 0.5)
        served = [n for n, (response, _) in enumerate(answers) if response.status == 200]
        assert threads <= len(served) <= threads + waiting, [response.status for response, _ in answers]
        for response, elapsed in answers:
            if response.status != 200:
                self.assert_overloaded(response, elapsed)
        if len(served) > threads:  # the calls that waited ran after the first ones, not alongside
            assert max(answers[n][1] for n in served) >= 2 * 0.5
        again = self.burst(waiting_url, "slow_sync", "waiting-again", threads, 0.05)
        assert [response.status for response, _ in again] == [200] * threads

    # -- disconnects (ASGI) ----------------------------------------------------------------

    def test_a_client_leaving_cancels_its_call(self, production_url: str) -> None:
        with recording_logs("pyrpc", "uvicorn.error") as records:
            hang_up(production_url, {"jsonrpc": "2.0", "method": "slow_async", "params": ["gone", 30], "id": 1}, 0.3)
            self.recorded(production_url, "gone", ["started", "finally"], 1.0)
        assert not records, [record.getMessage() for record in records]

    def test_a_client_leaving_cancels_the_calls_of_its_batch(self, production_url: str) -> None:
        keys = ["gone-batch-1", "gone-batch-2", "gone-batch-3"]
        batch: list[dict[str, Any]] = [
            {"jsonrpc": "2.0", "method": "slow_async", "params": [key, 30], "id": n} for n, key in enumerate(keys)
        ]
        del batch[-1]["id"]  # a notification too
        with recording_logs("pyrpc", "uvicorn.error") as records:
            hang_up(production_url, batch, 0.3)
            for key in keys:
                self.recorded(production_url, key, ["started", "finally"], 1.0)
        assert not records, [record.getMessage() for record in records]
