"""The example Starlette adapter (examples/plugins/pyrpc_starlette) in the development venv.

The conformance kit runs on it unchanged; the fresh-venv test runs it again where only
pyrpc-core and the plugin are installed.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import pyrpc_starlette
from pyrpc_core import Registry
from pyrpc_core.plugins import PluginManager
from pyrpc_core.testing import (
    AdapterConformance,
    StreamingConformance,
    conformance_registry,
    http_request,
    serve_asgi,
)
from pyrpc_core.tooling.loading import load_app
from pyrpc_starlette import plugin


class TestStarletteConformance(AdapterConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def rpc_url(cls) -> Iterator[str]:
        with serve_asgi(pyrpc_starlette.create_app(conformance_registry())) as base_url:
            yield base_url + "/rpc"


class TestStarletteStreaming(StreamingConformance):
    """Streaming procedures through the route's ``StreamingResponse``."""

    @pytest.fixture(scope="class")
    @classmethod
    def serve_rpc(cls) -> Iterator[Callable[..., str]]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                return stack.enter_context(serve_asgi(pyrpc_starlette.create_app(registry, **options))) + "/rpc"

            yield serve


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


class TestUserAppConformance(AdapterConformance):
    """pyRPC mounted on a Starlette app with its own routes and middleware."""

    @pytest.fixture(scope="class")
    @classmethod
    def rpc_url(cls) -> Iterator[str]:
        async def stamp(request: Request, call_next: RequestResponseEndpoint) -> Response:
            response = await call_next(request)
            response.headers["x-user-middleware"] = "ran"
            return response

        app = Starlette(routes=[Route("/health", health)], middleware=[Middleware(BaseHTTPMiddleware, dispatch=stamp)])
        pyrpc_starlette.mount(app, conformance_registry())
        with serve_asgi(app) as base_url:
            yield base_url + "/rpc"

    def test_user_routes_and_middleware_still_work(self, rpc_url: str) -> None:
        response = http_request(rpc_url, "GET", path="/health")
        assert response.status == 200
        assert response.json() == {"status": "ok"}
        assert response.headers["x-user-middleware"] == "ran"
        assert http_request(rpc_url, "GET").headers["x-user-middleware"] == "ran"


def manager_with_plugin() -> PluginManager:
    manager = PluginManager()
    assert manager.register_checked(plugin, "starlette")
    return manager


def test_the_plugin_declares_framework_starlette() -> None:
    adapter = manager_with_plugin().get_adapter("starlette")
    assert adapter.interface == "asgi"
    assert isinstance(adapter.create_app(Registry(), "/api"), Starlette)


def test_find_app_prefers_the_mounted_app_and_refuses_ambiguity() -> None:
    module = types.ModuleType("user_module")
    module.plain = Starlette()
    assert pyrpc_starlette.find_app(module) is module.plain  # the only app gets pyRPC mounted
    assert module.plain.state.pyrpc
    module.other = Starlette()
    pyrpc_starlette.mount(module.other)
    with pytest.raises(LookupError, match=r"2 Starlette apps with pyRPC mounted.*'user_module:<attribute>'"):
        pyrpc_starlette.find_app(module)
    assert pyrpc_starlette.find_app(types.ModuleType("empty")) is None


def test_pyrpc_json_framework_starlette_loads_the_users_app(tmp_path: object) -> None:
    from pathlib import Path

    from pyrpc_core.tooling.config import Config

    root = Path(str(tmp_path))
    (root / "starlette_main.py").write_text(
        "from starlette.applications import Starlette\n"
        "from pyrpc_core import Registry\n"
        "api = Registry()\n"
        "@api.rpc\n"
        "def add(a: int, b: int) -> int:\n"
        "    return a + b\n"
        "app = Starlette()\n"
    )
    config = Config(
        path=root / "pyrpc.json",
        framework="starlette",
        entrypoint="starlette_main",
        client_root="web",
        distribution="server",
    )
    loaded = load_app(config, manager_with_plugin())
    assert loaded.adapter.name == "starlette"
    with serve_asgi(loaded.app) as base_url:
        response = http_request(base_url + "/rpc", "POST", b'{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}')
    assert response.body == b'{"jsonrpc":"2.0","result":5,"id":1}'
