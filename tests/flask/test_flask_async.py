"""Flask runs async procedures on one background event loop: none is made or leaked per request."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from collections.abc import Iterator

import flask
import pytest
from adapters.servers import serve_wsgi

import pyrpc_flask
from pyrpc_core import Context, Procedure, Registry, RpcError
from pyrpc_core.testing import post


def make_app() -> flask.Flask:
    api = Registry()

    @api.rpc
    async def loop_identity() -> list[object]:
        await asyncio.sleep(0.001)
        return [id(asyncio.get_running_loop()), threading.current_thread().name]

    @api.rpc
    def sync_thread() -> str:
        return threading.current_thread().name

    @api.guard
    async def deny_bad_token(procedure: Procedure, ctx: Context) -> None:
        if ctx.headers.get("authorization") == "Bearer bad":
            raise RpcError(4001, "unauthorized")

    app = flask.Flask(__name__)
    pyrpc_flask.mount(app, api)
    return app


@pytest.fixture(scope="module")
def rpc_url() -> Iterator[str]:
    with serve_wsgi(make_app(), threads=8) as base_url:
        yield base_url + "/rpc"


def live_event_loops() -> int:
    gc.collect()
    # issubclass(type(...)): isinstance would ask lazy proxies (Django's settings) for their class.
    return sum(
        1
        for obj in gc.get_objects()
        if issubclass(type(obj), asyncio.AbstractEventLoop) and not obj.is_closed()  # type: ignore[attr-defined]
    )


def test_async_procedures_share_one_loop_and_leak_nothing(rpc_url: str) -> None:
    def loop_of_one_call() -> tuple[int, str]:
        answer = post(rpc_url, {"jsonrpc": "2.0", "method": "loop_identity", "id": 1}).json()
        loop_id, thread_name = answer["result"]
        return loop_id, thread_name

    def loops_of_a_batch() -> set[tuple[int, str]]:
        batch = [{"jsonrpc": "2.0", "method": "loop_identity", "id": index} for index in range(20)]
        return {tuple(answer["result"]) for answer in post(rpc_url, batch).json()}

    # Warm up: the dispatcher's loop thread starts, and the worker threads a batch takes (when a
    # pyrpc_call plugin is installed, the wrappers of async calls run in them) are made.
    first = loop_of_one_call()
    seen = loops_of_a_batch()
    loops, threads = live_event_loops(), threading.active_count()
    seen |= {loop_of_one_call() for _ in range(60)}
    seen |= loops_of_a_batch()
    assert seen == {first}, "every async call ran on the one loop, in its background thread"
    assert first[1] == "pyrpc-async"
    # Nothing more than after the warm-up: nothing per request (threads of other tests'
    # dispatchers may end meanwhile, when these are collected).
    assert live_event_loops() <= loops
    assert threading.active_count() <= threads


def test_sync_procedures_run_in_the_servers_worker_threads(rpc_url: str) -> None:
    answer = post(rpc_url, {"jsonrpc": "2.0", "method": "sync_thread", "id": 1}).json()
    assert answer["result"] != "pyrpc-async"
    assert answer["result"] != threading.current_thread().name


def test_async_guard_refuses_under_wsgi(rpc_url: str) -> None:
    refused = post(rpc_url, {"jsonrpc": "2.0", "method": "sync_thread", "id": 5}, {"Authorization": "Bearer bad"})
    assert json.loads(refused.body) == {"jsonrpc": "2.0", "error": {"code": 4001, "message": "unauthorized"}, "id": 5}
