"""The streaming kit against the adapters of this repository, each over real HTTP: asgi and
fastapi natively, flask through waitress (its WSGI response), with waitress as ``pyrpc serve``
runs it and with ``channel_request_lookahead``, under which a client that leaves is seen at once.
Django is in tests/django, the example Starlette adapter in tests/plugins."""

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
from pyrpc_core.testing import StreamingConformance, serve_asgi

from .servers import serve_wsgi

Serve = Callable[..., str]


class TestAsgiStreaming(StreamingConformance):
    @pytest.fixture(scope="class")
    def serve_rpc(self) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                return stack.enter_context(serve_asgi(pyrpc_asgi.create_app(registry, "/rpc", **options))) + "/rpc"

            yield serve


class TestFastAPIStreaming(StreamingConformance):
    @pytest.fixture(scope="class")
    def serve_rpc(self) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                app = FastAPI()
                app.get("/health")(lambda: {"status": "ok"})
                pyrpc_fastapi.mount(app, registry, **options)
                return stack.enter_context(serve_asgi(app)) + "/rpc"

            yield serve


@pytest.mark.parametrize("lookahead", [0, 1], ids=["waitress", "waitress-lookahead"], scope="class")
class TestFlaskStreaming(StreamingConformance):
    @pytest.fixture(scope="class")
    def serve_rpc(self, lookahead: int) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                app = flask.Flask(__name__)

                @app.after_request
                def stamp(response: flask.Response) -> flask.Response:
                    response.headers["X-User-Hook"] = "ran"
                    return response

                pyrpc_flask.mount(app, registry, **options)
                return stack.enter_context(serve_wsgi(app, channel_request_lookahead=lookahead)) + "/rpc"

            yield serve
