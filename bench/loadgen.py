"""A small HTTP/1.1 keep-alive load generator, for machines without wrk.

    python bench/loadgen.py URL SECONDS CONNECTIONS < body.json

Prints {"requests", "seconds", "p50_ms", "p99_ms", "errors"} as JSON. It is slower than wrk,
so with it the server may not be the bottleneck: prefer wrk for real numbers.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import urllib.parse


async def connection(host: str, port: int, request: bytes, until: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    while time.perf_counter() < until:
        started = time.perf_counter()
        writer.write(request)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if not status_line.startswith(b"HTTP/1.1 2"):
            errors += 1
    writer.close()
    return errors


async def main(url: str, seconds: float, connections: int, body: bytes) -> dict[str, float]:
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    errors = await asyncio.gather(*(connection(host, port, request, until, latencies) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "errors": sum(errors),
    }


if __name__ == "__main__":
    result = asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.stdin.buffer.read()))
    print(json.dumps(result))
