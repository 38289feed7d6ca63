"""Batches: 100 calls to an async procedure that waits 20 ms (concurrency, not speed, is measured),
and a fast call beside a slow one (when the fast call's answer arrives)."""

from __future__ import annotations

import http.client
import json
import statistics
import time
import urllib.parse
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


@dataclass
class SlowBatchResult:
    fast_ms: float
    """The fast call's answer: from sending the batch to reading it (median)."""
    whole_ms: float
    """The whole answer: from sending the batch to its end (median)."""


SLOW_BATCH_MODES = {
    "pyrpc-asgi, streamed (Accept: text/event-stream)": ("pyrpc-asgi", True),
    "pyrpc-asgi, one JSON array": ("pyrpc-asgi", False),
    "fastapi-jsonrpc, one JSON array": ("fastapi-jsonrpc", False),
}


def measure_slow(rounds: int, slow_ms: int, fast_ms: int) -> dict[str, SlowBatchResult]:
    """A batch of a call waiting ``slow_ms`` and one waiting ``fast_ms``: when each answer arrives."""
    body = json.dumps(
        [
            {"jsonrpc": "2.0", "method": "wait_ms", "params": {"ms": slow_ms}, "id": "slow"},
            {"jsonrpc": "2.0", "method": "wait_ms", "params": {"ms": fast_ms}, "id": "fast"},
        ]
    ).encode()
    results = {}
    for mode, (name, streamed) in SLOW_BATCH_MODES.items():
        with server(TARGETS[name], "asgi") as running:
            url = running.url + "/rpc"
            fast, whole = [], []
            for _ in range(rounds):
                fast_at, whole_at = _answer_times(url, body, streamed, fast_ms)
                fast.append(fast_at)
                whole.append(whole_at)
            results[mode] = SlowBatchResult(statistics.median(fast), statistics.median(whole))
    return results


def _answer_times(url: str, body: bytes, streamed: bool, fast_ms: int) -> tuple[float, float]:
    """(ms to the fast call's answer, ms to the end of the response), checking both answers."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    accept = "text/event-stream, application/json" if streamed else "application/json"
    started = time.perf_counter()
    connection.request("POST", parts.path, body, {"Content-Type": "application/json", "Accept": accept})
    response = connection.getresponse()
    answers: dict[str, object] = {}
    fast_at = 0.0
    if streamed:
        if not response.getheader("content-type", "").startswith("text/event-stream"):
            raise AssertionError(f"the batch was not streamed: {response.getheader('content-type')}")
        while (line := response.readline()) and not line.startswith(b"event: done"):
            if line.startswith(b"data: "):
                answer = json.loads(line[6:])
                answers[answer["id"]] = answer.get("result")
                if answer["id"] == "fast":
                    fast_at = time.perf_counter()
        response.read()
    else:
        for answer in json.loads(response.read()):
            answers[answer["id"]] = answer.get("result")
        fast_at = time.perf_counter()
    ended = time.perf_counter()
    connection.close()
    if answers.get("fast") != fast_ms or "slow" not in answers:
        raise AssertionError(f"the batch was answered wrongly: {answers!r}")
    return (fast_at - started) * 1000, (ended - started) * 1000
