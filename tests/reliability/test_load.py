"""Load against each adapter over real HTTP (loopback only), with the server's memory watched.

The normal run loads each adapter for a few seconds. The long run is opt-in::

    PYRPC_LOAD_SECONDS=60 .venv/bin/pytest tests/reliability/test_load.py

Every answer must match its request id, nothing may fail, and the server's resident memory
after warm-up must stay flat (no growth per request).
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SECONDS = float(os.environ.get("PYRPC_LOAD_SECONDS", "4"))
CLIENTS = 8
ALLOWED_GROWTH_MB = 12.0
SERVER = Path(__file__).with_name("load_server.py")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.fixture(params=["asgi", "fastapi", "flask"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[int, int]]:
    process = subprocess.Popen(
        # stderr nowhere: the crashes log tracebacks, and a full pipe would stall the server.
        [sys.executable, str(SERVER), request.param],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        deadline = time.monotonic() + 20
        while True:  # until it answers
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/rpc")
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield process.pid, port
    finally:
        process.kill()
        process.wait(10)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads memory from /proc")
def test_load_with_flat_memory(server: tuple[int, int]) -> None:
    pid, port = server
    stop = threading.Event()
    problems: list[str] = []
    counts = [0] * CLIENTS

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sequence = 0
        try:
            while not stop.is_set():
                sequence += 1
                request_id = f"{index}-{sequence}"
                kind = sequence % 5
                if kind == 4:  # a batch of three, one of them a crash
                    payload: object = [
                        {"jsonrpc": "2.0", "method": "add", "params": [sequence, 1], "id": request_id + "a"},
                        {"jsonrpc": "2.0", "method": "crash", "id": request_id + "b"},
                        {"jsonrpc": "2.0", "method": "echo_async", "params": [request_id], "id": request_id + "c"},
                    ]
                else:
                    method = ("echo", "echo_async", "add", "echo")[kind]
                    params: list[object] = [sequence, 2] if method == "add" else ["x" * (sequence % 300)]
                    payload = {"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}
                connection.request("POST", "/rpc", json.dumps(payload), {"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = json.loads(response.read())
                if response.status != 200:
                    problems.append(f"HTTP {response.status}")
                elif isinstance(payload, list):
                    assert isinstance(answer, list)
                    if [item["id"] for item in answer] != [call["id"] for call in payload]:  # type: ignore[index]
                        problems.append(f"batch ids {answer}")
                    if answer[0].get("result") != sequence + 1 or answer[1]["error"]["code"] != -32603:
                        problems.append(f"batch answer {answer}")
                elif answer.get("id") != request_id or "result" not in answer:
                    problems.append(f"answer {answer} for {request_id}")
                counts[index] += 1
        except Exception as exc:  # reported below, with the others
            problems.append(f"client {index}: {type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS / 4)  # warm up: caches, thread pools, allocator arenas
    warm = rss_mb(pid)
    warm_count = sum(counts)
    samples = [warm]
    end = time.monotonic() + SECONDS * 3 / 4
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(1.0, left))
        samples.append(rss_mb(pid))
    stop.set()
    for thread in threads:
        thread.join(30)
    assert not problems, problems[:5]
    served = sum(counts) - warm_count
    assert served > 200, f"only {served} requests after warm-up"
    growth = samples[-1] - warm
    assert growth < ALLOWED_GROWTH_MB, f"RSS grew {growth:.1f} MB over {served} requests: {samples}"
