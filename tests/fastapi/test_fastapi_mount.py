"""The FastAPI mount: the app's own middleware wraps every pyRPC call, however the app was built."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

import pyrpc_fastapi
from pyrpc_core import Registry
from pyrpc_core.plugins import PluginManager
from pyrpc_core.testing import http_request, post, serve_asgi

CALL = {"jsonrpc": "2.0", "method": "ping", "id": 1}


def registry() -> Registry:
    api = Registry()

    @api.rpc
    def ping() -> str:
        return "pong"

    return api


def tagging(tag: str) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers[f"x-{tag}"] = request.url.path
        return response

    return middleware


def test_middleware_added_before_and_after_the_mount_wraps_the_calls() -> None:
    app = FastAPI()
    app.middleware("http")(tagging("before"))
    pyrpc_fastapi.mount(app, registry(), plugins=PluginManager())
    app.middleware("http")(tagging("after"))

    @app.get("/health")
    def health() -> str:
        return "ok"

    with serve_asgi(app) as base:
        answer = post(f"{base}/rpc", CALL)
        assert answer.json() == {"jsonrpc": "2.0", "result": "pong", "id": 1}
        assert (answer.headers["x-before"], answer.headers["x-after"]) == ("/rpc", "/rpc")
        assert http_request(f"{base}/health", "GET").json() == "ok"  # the app's own routes as before
        assert http_request(f"{base}/rpc", "GET").json()["procedures"]["ping"]["name"] == "ping"


def test_a_mount_after_the_app_has_served_is_routed() -> None:
    app = FastAPI()
    app.middleware("http")(tagging("mw"))
    with serve_asgi(app) as base:
        assert http_request(f"{base}/rpc", "GET").status == 404  # the middleware stack is built now
        pyrpc_fastapi.mount(app, registry(), plugins=PluginManager())
        answer = post(f"{base}/rpc", CALL)
        assert answer.json()["result"] == "pong"
        assert answer.headers["x-mw"] == "/rpc"
