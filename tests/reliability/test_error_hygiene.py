"""Errors over real HTTP on every adapter: nothing leaks, every 500-class failure is logged
under the request id the client gets, and sync procedures never block async ones on ASGI."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import flask
import pytest
from adapters.servers import serve_wsgi
from fastapi import FastAPI
from pydantic import BaseModel, field_validator

import pyrpc_asgi
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import Context, Procedure, Registry, RpcError
from pyrpc_core.testing import http_request, post, serve_asgi

SECRET = "s3cret-internal-detail"


class Payload(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def strict(cls, value: str) -> str:
        if value == "boom":
            raise LookupError(SECRET)  # escapes pydantic: not a ValueError
        return value


def make_registry() -> Registry:
    api = Registry()

    @api.rpc
    def crash() -> int:
        raise RuntimeError(SECRET)

    @api.rpc
    def validate(payload: Payload) -> str:
        return payload.name

    @api.rpc
    def refuse() -> None:
        raise RpcError(4000, "nope ✓", {"nested": [1, {"deep": None}], "text": "é\u2028"})

    @api.rpc
    def block(seconds: float) -> float:
        time.sleep(seconds)
        return seconds

    @api.rpc
    async def quick() -> str:
        await asyncio.sleep(0)
        return "quick"

    @api.guard
    def broken_for_introspection(procedure: Procedure, ctx: Context) -> None:
        if procedure.name == "rpc.discover" and ctx.headers.get("x-break"):
            raise OSError(f"/srv/app/{SECRET}.py")

    return api


@contextmanager
def served(adapter: str) -> Iterator[str]:
    if adapter == "flask":
        app = flask.Flask(__name__)
        pyrpc_flask.mount(app, make_registry())
        with serve_wsgi(app) as base:
            yield base + "/rpc"
        return
    if adapter == "fastapi":
        asgi_app: Any = FastAPI()
        pyrpc_fastapi.mount(asgi_app, make_registry())
    else:
        asgi_app = pyrpc_asgi.create_app(make_registry())
    with serve_asgi(asgi_app) as base:
        yield base + "/rpc"


@pytest.fixture(scope="module", params=["asgi", "fastapi", "flask"])
def rpc_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with served(request.param) as url:
        yield url


def logged_ids(caplog: pytest.LogCaptureFixture) -> dict[str, logging.LogRecord]:
    return {record.request_id: record for record in caplog.records if hasattr(record, "request_id")}


@pytest.mark.parametrize(
    "call",
    [
        {"jsonrpc": "2.0", "method": "crash", "id": 1},
        {"jsonrpc": "2.0", "method": "validate", "params": [{"name": "boom"}], "id": 1},
    ],
)
def test_internal_errors_leak_nothing_and_are_logged_under_their_id(
    rpc_url: str, caplog: pytest.LogCaptureFixture, call: dict[str, Any]
) -> None:
    with caplog.at_level(logging.ERROR, logger="pyrpc"):
        response = post(rpc_url, call)
    assert response.status == 200
    error = response.json()["error"]
    assert (error["code"], error["message"], set(error["data"])) == (-32603, "Internal error", {"request_id"})
    for leak in (SECRET, "Traceback", "RuntimeError", "LookupError", ".py", "line "):
        assert leak not in response.body.decode(), leak
    record = logged_ids(caplog)[error["data"]["request_id"]]
    assert record.exc_info is not None
    assert SECRET in str(record.exc_info[1])


def test_rpc_error_data_goes_out_exactly_as_raised(rpc_url: str) -> None:
    response = post(rpc_url, {"jsonrpc": "2.0", "method": "refuse", "id": 2})
    assert response.json()["error"] == {
        "code": 4000,
        "message": "nope ✓",
        "data": {"nested": [1, {"deep": None}], "text": "é\u2028"},
    }


def test_a_failing_introspection_is_a_500_with_a_request_id(rpc_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="pyrpc"):
        response = http_request(rpc_url, "GET", headers={"X-Break": "1"})
    assert response.status == 500
    error = response.json()["error"]
    assert (error["code"], set(error["data"])) == (-32603, {"request_id"})
    assert SECRET not in response.body.decode()
    assert error["data"]["request_id"] in logged_ids(caplog)


@pytest.mark.parametrize("adapter", ["asgi", "fastapi"])
def test_sync_procedures_never_block_async_ones(adapter: str) -> None:
    """More slow sync calls than the worker threads: async calls still answer at once."""
    with served(adapter) as url:
        slow: Callable[[int], Any] = lambda index: post(  # noqa: E731
            url, {"jsonrpc": "2.0", "method": "block", "params": [1.0], "id": index}
        )
        with ThreadPoolExecutor(max_workers=8) as pool:
            blocked = [pool.submit(slow, index) for index in range(8)]
            time.sleep(0.3)  # every worker thread is now asleep in ``block``
            started = time.monotonic()
            quick = post(url, {"jsonrpc": "2.0", "method": "quick", "id": "q"})
            elapsed = time.monotonic() - started
            assert json.loads(quick.body) == {"jsonrpc": "2.0", "result": "quick", "id": "q"}
            assert elapsed < 0.5, f"an async call waited {elapsed:.2f}s behind sync ones"
            assert [future.result().json()["result"] for future in blocked] == [1.0] * 8
