"""Production behaviour that the hardening kit cannot show on an in-process server: ``pyrpc serve``
stopping gracefully on SIGTERM (uvicorn with one worker or several, waitress), and
``Limits.max_in_flight`` held when the bodies of a burst arrive after their headers.

Deadlines, backpressure, faults and disconnects are in the kit (``HardeningConformance``), run
on every adapter by tests/adapters/test_hardening.py.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

import pyrpc_asgi
import pyrpc_fastapi
from pyrpc_core.testing import serve_asgi
from pyrpc_core.testing.hardening import BACKPRESSURE_LIMITS, MAX_IN_FLIGHT, production_registry
from pyrpc_core.tooling.serve import GRACE_SECONDS

PYRPC = str(Path(sys.executable).with_name("pyrpc"))

API = """
import asyncio
import time
from collections.abc import AsyncIterator

from pyrpc_core import rpc


@rpc
async def slow(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


@rpc
def slow_sync(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@rpc
def ping() -> str:
    return "pong"


@rpc
async def ticks() -> AsyncIterator[int]:
    try:
        number = 0
        while True:
            await asyncio.sleep(0.05)
            number += 1
            yield number
    finally:
        with open("ticks.stopped", "w") as marker:
            marker.write(str(time.monotonic()))
"""

SLOW = 1.5
"""Seconds the call in flight takes; SIGTERM comes ``TERM_AFTER`` seconds after it started."""
TERM_AFTER = 0.5


class Served:
    """A ``pyrpc serve`` process, its output collected line by line as it comes."""

    def __init__(self, root: Path, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [PYRPC, "serve", "--port", "0", *args],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 20) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = [match for line in list(self.lines) if (match := re.search(pattern, line))]
            if len(found) >= count:
                return found[0]
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no {count} lines matching {pattern!r}; output:\n{self.output}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(5)


@pytest.fixture
def serve_project(tmp_path: Path) -> Iterator[Any]:
    started: list[Served] = []

    def start(framework: str, *args: str) -> Served:
        root = tmp_path / framework
        root.mkdir(exist_ok=True)
        (root / "main.py").write_text(textwrap.dedent(API))
        config = {"version": 1, "framework": framework, "entrypoint": "main", "client_root": "../frontend"}
        (root / "pyrpc.json").write_text(json.dumps({**config, "distribution": "server"}))
        served = Served(root, list(args))
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def post(port: int, payload: Any, timeout: float = 10) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/rpc", json.dumps(payload), {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


PING = b'{"jsonrpc":"2.0","method":"ping","id":"probe"}'


def probe(port: int) -> str:
    """What a new connection gets now: "refused", "answered" (served as usual), "reset" (closed at
    once, unanswered: it came as the server stopped listening) or "left hanging" (accepted, then
    no answer, or a reset only later: the listening socket is open but nobody serves it)."""
    started = time.monotonic()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=1.0)
    except ConnectionRefusedError:
        return "refused"
    try:
        sock.sendall(
            b"POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(PING), PING)
        )
        answer = sock.recv(65536)
    except TimeoutError:
        return "left hanging"
    except (ConnectionResetError, BrokenPipeError):
        answer = b""
    finally:
        sock.close()
    if not answer:
        return "reset" if time.monotonic() - started < 0.25 else "left hanging"
    return "answered" if answer.startswith(b"HTTP/1.1 200") else f"got {answer[:40]!r}"


@pytest.mark.parametrize(
    ("framework", "workers", "method"),
    [("asgi", 1, "slow"), ("asgi", 2, "slow"), ("flask", 1, "slow_sync")],
    ids=["asgi", "asgi-2-workers", "flask"],
)
def test_sigterm_lets_the_call_in_flight_finish_refuses_new_connections_and_exits_0(
    serve_project: Any, framework: str, workers: int, method: str
) -> None:
    served = serve_project(framework, *(["--workers", str(workers)] if workers > 1 else []))
    port = int(served.wait_for(r"at http://127\.0\.0\.1:(\d+)/rpc").group(1))
    if workers > 1:
        served.wait_for(r"Application startup complete", count=workers, timeout=30)
    assert post(port, {"jsonrpc": "2.0", "method": "ping", "id": 0})[1]["result"] == "pong"

    answered: dict[str, Any] = {}

    def slow_call() -> None:
        answered["answer"] = post(port, {"jsonrpc": "2.0", "method": method, "params": [SLOW], "id": 1})
        answered["at"] = time.monotonic()

    caller = threading.Thread(target=slow_call)
    caller.start()
    time.sleep(TERM_AFTER)
    served.process.send_signal(signal.SIGTERM)
    terminated = time.monotonic()

    # New connections: served until the server has seen the signal, refused after (or reset, when
    # one comes just as it stops listening); never accepted and left without an answer. With
    # workers, uvicorn's supervisor looks at signals every 0.5 s.
    refuse_within = 1.5 if workers > 1 else 0.5
    probes: list[tuple[float, str]] = []
    while time.monotonic() - terminated < refuse_within and served.process.poll() is None:
        probes.append((round(time.monotonic() - terminated, 2), probe(port)))
        if probes[-1][1] == "refused" and "answer" not in answered:
            break
        time.sleep(0.05)
    outcomes = [outcome for _, outcome in probes]
    assert "refused" in outcomes or served.process.poll() is not None, probes
    assert set(outcomes) <= {"answered", "reset", "refused"}, f"{probes}\n{served.output}"
    first_refused = next(seconds for seconds, outcome in probes if outcome == "refused")
    assert first_refused < refuse_within, probes

    caller.join(SLOW + 5)
    assert answered["answer"] == (200, {"jsonrpc": "2.0", "result": SLOW, "id": 1}), served.output
    try:
        code = served.process.wait(GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {GRACE_SECONDS} s after SIGTERM; output:\n{served.output}")
    stopped = time.monotonic()
    served.stop()
    assert code == 0, served.output
    # Stopped once its call was answered, not at the end of the grace period.
    assert stopped - answered["at"] < 2.0, served.output
    assert probe(port) == "refused"
    assert "Traceback" not in served.output, served.output
    assert "ERROR" not in served.output, served.output


# -- max_in_flight against a burst whose bodies come late -----------------------------------------


def slow_bodies_burst(base_url: str, count: int, seconds: float) -> list[int]:
    """``count`` calls of ``slow_async``: every head first, every body ``0.3 s`` later; the statuses."""
    port = int(base_url.rsplit(":", 1)[1])

    async def run() -> list[int]:
        connections = []
        for n in range(count):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            request = {"jsonrpc": "2.0", "method": "slow_async", "params": [f"late-{n}", seconds], "id": n}
            body = json.dumps(request).encode()
            writer.write(
                f"POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            await writer.drain()
            connections.append((reader, writer, body))
        await asyncio.sleep(0.3)
        for _, writer, body in connections:
            writer.write(body)
            await writer.drain()
        statuses = []
        for reader, writer, _ in connections:
            statuses.append(int((await reader.read()).split(b" ", 2)[1]))
            writer.close()
        return statuses

    return asyncio.run(asyncio.wait_for(run(), 30))


def fastapi_app() -> FastAPI:
    app = FastAPI()
    pyrpc_fastapi.mount(app, production_registry(), limits=BACKPRESSURE_LIMITS)
    return app


@pytest.mark.parametrize("adapter", ["asgi", "fastapi"])
def test_max_in_flight_holds_when_bodies_arrive_after_their_headers(adapter: str) -> None:
    """Bug: ``Endpoint.receive`` checks ``in_flight`` but only ``respond`` counts a request in,
    and the adapter reads the body in between, so every request whose body is still on its
    way passes the check: a burst of such requests is run whole, past ``max_in_flight``."""
    if adapter == "asgi":
        app: Any = pyrpc_asgi.create_app(production_registry(), limits=BACKPRESSURE_LIMITS)
    else:
        app = fastapi_app()
    with serve_asgi(app) as base_url:
        statuses = slow_bodies_burst(base_url, MAX_IN_FLIGHT * 3, 0.5)
    assert statuses.count(200) <= MAX_IN_FLIGHT, statuses
    assert statuses.count(503) >= MAX_IN_FLIGHT * 2, statuses


@pytest.mark.parametrize("framework", ["asgi", "flask"])
def test_a_stream_stops_within_a_second_of_its_client_leaving_under_pyrpc_serve(
    serve_project: Any, tmp_path: Path, framework: str
) -> None:
    """uvicorn reports the disconnect; waitress, with the lookahead pyrpc serve turns on, does too."""
    served = serve_project(framework)
    port = int(served.wait_for(r"at http://127\.0\.0\.1:(\d+)/rpc").group(1))
    body = b'{"jsonrpc":"2.0","method":"ticks","id":1}'
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
            + b"Content-Length: %d\r\n\r\n" % len(body)
            + body
        )
        received = b""
        while b"data: 2" not in received:
            received += sock.recv(4096)
        left = time.monotonic()
    marker = tmp_path / framework / "ticks.stopped"
    while not marker.exists() and time.monotonic() - left < 1.0:
        time.sleep(0.02)
    assert marker.exists(), served.output
