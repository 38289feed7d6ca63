"""A batch of 100 calls to an async procedure that waits 20 ms: concurrency, not speed, is measured."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass

from .harness import post, server

TARGETS = {
    "pyrpc-asgi": "bench.servers.pyrpc_apps:asgi",
    "fastapi-jsonrpc": "bench.servers.peers:fastapi_jsonrpc",
}


@dataclass
class BatchResult:
    p50_ms: float
    max_ms: float


def measure(rounds: int, size: int = 100) -> dict[str, BatchResult]:
    body = json.dumps(
        [{"jsonrpc": "2.0", "method": "wait_20ms", "params": {"n": i}, "id": i} for i in range(size)]
    ).encode()
    results = {}
    for name, app in TARGETS.items():
        with server(app, "asgi") as running:
            url = running.url + "/rpc"
            answer = json.loads(post(url, body))
            if [item["result"] for item in answer] != list(range(size)):
                raise AssertionError(f"{name} answered the batch wrongly: {answer!r:.200}")
            timings = []
            for _ in range(rounds):
                started = time.perf_counter()
                post(url, body)
                timings.append((time.perf_counter() - started) * 1000)
            results[name] = BatchResult(statistics.median(timings), max(timings))
    return results
