"""A soak run: ``pyrpc serve --workers 4`` under mixed load, with every worker's memory watched.

In the suite, a short run of 3,000 requests; the full run with the switch of the long load
run (test_load.py)::

    PYRPC_LOAD_SECONDS=60 .venv/bin/pytest -s tests/reliability/test_soak.py

It then sends ``PYRPC_SOAK_REQUESTS`` requests (50,000 by default) or runs for
``PYRPC_LOAD_SECONDS`` seconds, whichever comes first, from ``CLIENTS`` keep-alive connections
that reconnect now and then (so that the kernel spreads them over the workers): sync and async
calls, batches (with a crash, an ``RpcError``, a notification in them), notifications alone,
errors (``RpcError``, invalid params, unknown methods). Every answer must be the expected one,
the server must log no error but the crashes asked for, and each worker's resident memory may
grow by less than ``ALLOWED_GROWTH_MB`` from the end of the warm-up to the end of the run.
The figures are printed (``-s``) and kept in docs/performance.md.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil  # the bench requirements install it, with every other dev requirement

# The full run when PYRPC_LOAD_SECONDS is set (as for the load run); in the suite, a short bounded
# one: 4 workers, every kind of request, no errors, the server stopped cleanly.
SECONDS = os.environ.get("PYRPC_LOAD_SECONDS")
REQUESTS = int(os.environ.get("PYRPC_SOAK_REQUESTS", "50000" if SECONDS is not None else "3000"))
WORKERS = 4
CLIENTS = 16
RECONNECT_EVERY = 200
WARM_UP = 0.1
"""The share of the requests sent before the first memory sample (caches, pools, allocator arenas)."""
ALLOWED_GROWTH_MB = 10.0
PYRPC = str(Path(sys.executable).with_name("pyrpc"))


API = """
import asyncio
import os

from pyrpc_core import RpcError, rpc

NOTES: list[int] = []


@rpc
def add(a: int, b: int) -> int:
    return a + b


@rpc
async def echo_async(text: str) -> str:
    await asyncio.sleep(0)
    return text


@rpc
def note(value: int) -> None:
    NOTES.append(value)
    del NOTES[:-100]


@rpc
def fail(code: int) -> None:
    raise RpcError(code, "refused on purpose")


@rpc
def crash() -> int:
    raise RuntimeError("a crash asked for by the soak run")


@rpc
def pid() -> int:
    return os.getpid()
"""


def rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / (1024 * 1024)


class Load:
    """The mixed requests, their expected answers, and what came back."""

    def __init__(self, port: int, total: int, seconds: float) -> None:
        self.port = port
        self.total = total
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.sent = 0
        self.crashes = 0
        self.problems: list[str] = []
        self.kinds: Counter[str] = Counter()
        self.workers: Counter[int] = Counter()

    def take(self) -> int | None:
        """The number of the next request to send, or None when the run is over."""
        with self.lock:
            if self.sent >= self.total or time.monotonic() > self.deadline or len(self.problems) > 20:
                return None
            self.sent += 1
            return self.sent

    def client(self, index: int) -> None:
        connection: http.client.HTTPConnection | None = None
        served = 0
        try:
            while (number := self.take()) is not None:
                if connection is None or served % RECONNECT_EVERY == 0:
                    if connection is not None:
                        connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                served += 1
                self.one(connection, f"{index}-{number}", number)
        except Exception as exc:  # reported with the others
            with self.lock:
                self.problems.append(f"client {index}: {type(exc).__name__}: {exc}")
        finally:
            if connection is not None:
                connection.close()

    def one(self, connection: http.client.HTTPConnection, request_id: str, number: int) -> None:
        kind = number % 8
        payload: Any
        if kind == 0:
            payload, expected = self.call("add", [number, 1], request_id), {"result": number + 1}
        elif kind == 1:
            payload, expected = self.call("echo_async", [request_id], request_id), {"result": request_id}
        elif kind == 2:
            payload = [
                self.call("add", [number, 2], request_id + "a"),
                self.call("crash", [], request_id + "b"),
                self.call("echo_async", ["x" * (number % 500)], request_id + "c"),
                {"jsonrpc": "2.0", "method": "note", "params": [number]},
                self.call("fail", [4000 + number % 7], request_id + "d"),
            ]
            expected = [
                {"result": number + 2},
                {"error": -32603},
                {"result": "x" * (number % 500)},
                {"error": 4000 + number % 7},
            ]
            with self.lock:
                self.crashes += 1
        elif kind == 3:
            payload, expected = {"jsonrpc": "2.0", "method": "note", "params": [number]}, None
        elif kind == 4:
            payload, expected = self.call("fail", [4004], request_id), {"error": 4004}
        elif kind == 5:
            payload, expected = self.call("add", ["not a number", 1], request_id), {"error": -32602}
        elif kind == 6:
            payload, expected = self.call("pid", [], request_id), {"pid": True}
        else:
            payload, expected = self.call("no.such.method", [], request_id), {"error": -32601}
        connection.request("POST", "/rpc", json.dumps(payload), {"Content-Type": "application/json"})
        response = connection.getresponse()
        body = response.read()
        problem = self.check(payload, expected, response.status, body)
        with self.lock:
            self.kinds[("add", "async", "batch", "notification", "rpc-error", "invalid", "pid", "unknown")[kind]] += 1
            if problem:
                self.problems.append(f"{request_id}: {problem}")
            elif kind == 6:
                self.workers[json.loads(body)["result"]] += 1

    @staticmethod
    def call(method: str, params: list[Any], request_id: str) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}

    @staticmethod
    def check(payload: Any, expected: Any, status: int, body: bytes) -> str | None:
        if expected is None:
            return None if (status, body) == (204, b"") else f"HTTP {status} {body[:200]!r} for a notification"
        if status != 200:
            return f"HTTP {status} {body[:200]!r}"
        answer = json.loads(body)
        if isinstance(payload, list):
            ids = [call["id"] for call in payload if "id" in call]
            if not isinstance(answer, list) or [item.get("id") for item in answer] != ids:
                return f"batch answer {answer}"
            pairs = list(zip(answer, expected, strict=True))
        else:
            if answer.get("id") != payload["id"]:
                return f"answer {answer} for {payload['id']}"
            pairs = [(answer, expected)]
        for got, want in pairs:
            if "result" in want and got.get("result") != want["result"]:
                return f"{got} instead of {want}"
            if "error" in want and got.get("error", {}).get("code") != want["error"]:
                return f"{got} instead of {want}"
            if "pid" in want and not isinstance(got.get("result"), int):
                return f"{got} instead of a pid"
        return None


def workers_of(process: Any) -> list[Any]:
    """uvicorn's worker processes under ``pyrpc serve``: spawned children (not the resource tracker)."""
    return [
        child
        for child in process.children(recursive=True)
        if any("spawn_main" in part for part in child.cmdline()) and "resource_tracker" not in " ".join(child.cmdline())
    ]


def test_soak_with_four_workers(tmp_path: Path) -> None:
    root = tmp_path / "soak"
    root.mkdir()
    (root / "main.py").write_text(textwrap.dedent(API))
    config = {"version": 1, "framework": "asgi", "entrypoint": "main", "client_root": "../frontend"}
    (root / "pyrpc.json").write_text(json.dumps({**config, "distribution": "server"}))
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [PYRPC, "serve", "--port", "0", "--workers", str(WORKERS)],
            cwd=root,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
        )
    try:
        deadline = time.monotonic() + 60
        while len(re.findall("Application startup complete", log.read_text())) < WORKERS:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        found = re.search(r"at http://127\.0\.0\.1:(\d+)/rpc", log.read_text())
        assert found is not None
        port = int(found.group(1))
        workers = workers_of(psutil.Process(server.pid))
        assert len(workers) == WORKERS, [worker.cmdline() for worker in workers]
        at_start = {worker.pid: rss_mb(worker.pid) for worker in workers}

        seconds = float(SECONDS or 30)
        started = time.monotonic()
        load = Load(port, int(REQUESTS * WARM_UP), seconds * WARM_UP)
        run_clients(load)
        warm = {worker.pid: rss_mb(worker.pid) for worker in workers}
        warm_sent = load.sent
        load.total = REQUESTS
        load.deadline = started + seconds
        run_clients(load)
        elapsed = time.monotonic() - started
        end = {worker.pid: rss_mb(worker.pid) for worker in workers}
    finally:
        server.terminate()
        try:
            code = server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            code = server.wait(10)
    text = log.read_text()
    request_ids = re.findall(r"\[request_id=[0-9a-f]{16}\]", text)
    crash_lines = re.findall(r"procedure 'crash' raised \[request_id=", text)
    figures = {
        "requests": load.sent,
        "seconds": round(elapsed, 1),
        "requests_per_second": round(load.sent / elapsed),
        "kinds": dict(load.kinds),
        "calls_per_worker_pid": dict(load.workers),
        "rss_mb": {
            pid: {"start": round(at_start[pid], 1), "warm": round(warm[pid], 1), "end": round(end[pid], 1)}
            for pid in at_start
        },
        "warm_up_requests": warm_sent,
        "problems": len(load.problems),
        "server_errors_logged": len(request_ids) - len(crash_lines),
        "exit_code": code,
    }
    print("\nsoak:", json.dumps(figures, indent=1))
    assert not load.problems, load.problems[:10]
    assert load.sent >= min(REQUESTS, 1000), figures
    assert len(crash_lines) == load.crashes, "every crash asked for is logged, once"
    assert len(request_ids) == len(crash_lines), "no error logged but the crashes asked for"
    assert "Exception in ASGI application" not in text
    assert len(load.workers) == WORKERS, f"not every worker was loaded: {load.workers}"
    for pid in at_start:
        growth = end[pid] - warm[pid]
        assert growth < ALLOWED_GROWTH_MB, f"worker {pid} grew {growth:.1f} MB: {figures['rss_mb']}"
    assert code == 0, text[-2000:]


def run_clients(load: Load) -> None:
    threads = [threading.Thread(target=load.client, args=(index,), daemon=True) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
