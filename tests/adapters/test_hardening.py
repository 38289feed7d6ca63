"""The hardening suite (limits, CORS, introspection off or guarded, 1,000 concurrent requests,
deadlines, backpressure, faults, and on ASGI disconnects) against the three adapters of this
repository, each over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import flask
import pytest
from fastapi import FastAPI

import pyrpc_asgi
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import Registry
from pyrpc_core.testing import AsgiHardeningConformance, HardeningConformance, serve_asgi

from .servers import serve_wsgi

Serve = Callable[..., str]


class TestAsgiHardening(AsgiHardeningConformance):
    @pytest.fixture(scope="class")
    def serve_rpc(self) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                app = pyrpc_asgi.create_app(registry, "/rpc", **options)
                return stack.enter_context(serve_asgi(app)) + "/rpc"

            yield serve


class TestFastAPIHardening(AsgiHardeningConformance):
    @pytest.fixture(scope="class")
    def serve_rpc(self) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                app = FastAPI()  # a user's app, with pyRPC mounted beside its own routes
                app.get("/health")(lambda: {"status": "ok"})
                pyrpc_fastapi.mount(app, registry, **options)
                return stack.enter_context(serve_asgi(app)) + "/rpc"

            yield serve


class TestFlaskHardening(HardeningConformance):
    server_buffers_bodies = True  # waitress reads every body before the app sees the request

    @pytest.fixture(scope="class")
    def serve_rpc(self) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                app = flask.Flask(__name__)
                app.get("/health")(lambda: {"status": "ok"})
                pyrpc_flask.mount(app, registry, **options)
                return stack.enter_context(serve_wsgi(app)) + "/rpc"

            yield serve
