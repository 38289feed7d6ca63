"""Flask streams through its WSGI response: an async generator is driven on the endpoint's one
background loop, a sync one in the endpoint's worker threads (so pings go out while it is idle),
never a loop per stream; RPCClient reads them through waitress like any other server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

import flask
import pytest
from adapters.servers import serve_wsgi

import pyrpc_flask
from pyrpc_core import Limits, Registry, RPCClient


def make_app(log: list[str]) -> flask.Flask:
    api = Registry()

    @api.rpc
    async def where_async(items: int) -> AsyncIterator[list[object]]:
        try:
            for _ in range(items):
                await asyncio.sleep(0.001)
                yield [id(asyncio.get_running_loop()), threading.current_thread().name]
        finally:
            log.append("where_async finally")

    @api.rpc
    def where_sync(items: int) -> Iterator[str]:
        try:
            for _ in range(items):
                time.sleep(0.001)
                yield threading.current_thread().name
        finally:
            log.append("where_sync finally")

    app = flask.Flask(__name__)
    pyrpc_flask.mount(app, api, limits=Limits(stream_heartbeat=0.05))
    return app


@pytest.fixture(scope="module")
def log() -> list[str]:
    return []


@pytest.fixture(scope="module")
def base_url(log: list[str]) -> Iterator[str]:
    with serve_wsgi(make_app(log), threads=8) as url:
        yield url


def test_async_generators_run_on_the_endpoints_one_loop(base_url: str, log: list[str]) -> None:
    with RPCClient(base_url) as client:
        seen = {tuple(item) for _ in range(5) for item in client.stream.where_async(3)}
    assert len(seen) == 1, "every item of every stream came from the one loop, in its background thread"
    assert next(iter(seen))[1] == "pyrpc-async"
    assert log.count("where_async finally") == 5


def test_sync_generators_run_in_the_endpoints_worker_threads(base_url: str, log: list[str]) -> None:
    with RPCClient(base_url) as client:
        threads = set(client.stream.where_sync(5))
    assert threads
    assert all(name.startswith("pyrpc-sync") for name in threads)
    assert "where_sync finally" in log


def test_breaking_out_stops_the_generator_through_waitress(base_url: str, log: list[str]) -> None:
    before = log.count("where_sync finally")
    with RPCClient(base_url) as client:
        for _ in client.stream.where_sync(10_000):
            break
    deadline = time.monotonic() + 2
    while log.count("where_sync finally") == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log.count("where_sync finally") == before + 1
