"""Server memory before and after many requests: a leak shows as growth."""

from __future__ import annotations

from dataclasses import dataclass

import psutil

from .harness import load, server
from .http_bench import TARGETS, request_for


@dataclass
class MemoryResult:
    requests: int
    before_mb: float
    after_mb: float

    @property
    def growth_mb(self) -> float:
        return self.after_mb - self.before_mb


def measure(requests: int) -> MemoryResult:
    target = next(target for target in TARGETS if target.name == "pyrpc-asgi")
    path, body = request_for(target, "order")
    with server(target.app, target.interface) as running:
        process = psutil.Process(running.process.pid)
        warm = load(running.url + path, body, 1)  # imports, caches and pools settle first
        before = process.memory_info().rss
        done = 0
        while done < requests:
            done += load(running.url + path, body, 2 if requests - done > 5000 else 1).requests
        after = process.memory_info().rss
    del warm
    return MemoryResult(done, before / 2**20, after / 2**20)
