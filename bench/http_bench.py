"""Throughput and latency of the same two calls on pyRPC's adapters and on their peers."""

from __future__ import annotations

import json
import statistics
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from .harness import Load, load, post, server
from .servers.api import sample_order


@dataclass(frozen=True)
class Target:
    name: str
    app: str
    interface: str
    json_rpc: bool
    """JSON-RPC on /rpc; otherwise one plain route per call (/add, /echo_order)."""


TARGETS = [
    Target("floor (hand-written ASGI)", "bench.servers.floor:app", "asgi", True),
    Target("pyrpc-asgi", "bench.servers.pyrpc_apps:asgi", "asgi", True),
    Target("pyrpc-asgi (sync procedures)", "bench.servers.pyrpc_apps:asgi_sync", "asgi", True),
    Target("pyrpc-fastapi", "bench.servers.pyrpc_apps:fastapi", "asgi", True),
    Target("pyrpc-fastapi (FastAPI telemetry off)", "bench.servers.pyrpc_apps:fastapi_quiet", "asgi", True),
    Target("fastapi-jsonrpc", "bench.servers.peers:fastapi_jsonrpc", "asgi", True),
    Target("fastapi (plain route)", "bench.servers.peers:fastapi_plain", "asgi", False),
    Target("pyrpc-flask", "bench.servers.pyrpc_apps:flask", "wsgi", True),
    Target("flask (plain route)", "bench.servers.peers:flask_plain", "wsgi", False),
]

CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "add": ("add", {"a": 1, "b": 2}),
    "order": ("echo_order", {"order": sample_order(50)}),
}


def request_for(target: Target, call: str) -> tuple[str, bytes]:
    """The path and body of ``call`` on ``target``."""
    method, params = CALLS[call]
    if target.json_rpc:
        return "/rpc", json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).encode()
    return f"/{method}", json.dumps(params).encode()


def expected(call: str) -> Any:
    method, params = CALLS[call]
    return 3 if method == "add" else params["order"]


def check(target: Target, base_url: str, call: str) -> None:
    """Every server must really do the work: validate and answer right."""
    path, body = request_for(target, call)
    answer = json.loads(post(base_url + path, body))
    result = answer["result"] if target.json_rpc else answer
    if result != expected(call):
        raise AssertionError(f"{target.name} answered {call} wrongly: {answer!r:.200}")


def measure(
    targets: list[Target], seconds: float, connections: int, warm_up: bool = True, rounds: int = 1
) -> dict[str, dict[str, list[Load]]]:
    """{target name: {call: a Load per round}}, each target in its own server process.

    All servers run at once (idle ones cost nothing) and the load goes round them ``rounds``
    times, one call at a time, so that the targets a ratio compares are measured seconds apart
    and a slow spell of the machine hits them alike (``median_ratio``).
    """
    with ExitStack() as stack:
        urls = {target.name: stack.enter_context(server(target.app, target.interface)).url for target in targets}
        for target in targets:
            for call in CALLS:
                check(target, urls[target.name], call)
                if warm_up:
                    path, body = request_for(target, call)
                    load(urls[target.name] + path, body, min(seconds, 1))
        runs: dict[str, dict[str, list[Load]]] = {target.name: {call: [] for call in CALLS} for target in targets}
        for round_number in range(rounds):
            for call in CALLS:
                for target in targets:
                    print(f"  http: round {round_number + 1}, {target.name}, {call}", file=sys.stderr, flush=True)
                    path, body = request_for(target, call)
                    runs[target.name][call].append(load(urls[target.name] + path, body, seconds, connections))
    return runs


def median_load(loads: list[Load]) -> Load:
    """The round with the median throughput."""
    return sorted(loads, key=lambda run: run.rps)[len(loads) // 2]


def median_ratio(ours: list[Load], theirs: list[Load]) -> float:
    """The median over the rounds of the ratio of the two throughputs in each round."""
    return statistics.median(mine.rps / other.rps for mine, other in zip(ours, theirs, strict=True))
