"""The conformance kit against the three adapters of this repository, each over real HTTP.

FastAPI and Flask are served as a user would have them: their own routes, middleware and
dependencies beside the mount. The apps the plugins build (what pyrpc.json's ``framework``
serves for a module without an app) are held to the kit too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import flask
import pytest
from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from starlette.middleware.base import RequestResponseEndpoint

import pyrpc_asgi
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import get_plugin_manager
from pyrpc_core.testing import AdapterConformance, conformance_registry, http_request, post, serve_asgi

from .servers import serve, serve_wsgi


class TestAsgiConformance(AdapterConformance):
    @pytest.fixture(scope="class")
    def rpc_url(self) -> Iterator[str]:
        with serve_asgi(pyrpc_asgi.create_app(conformance_registry())) as base_url:
            yield base_url + "/rpc"


def user_fastapi_app() -> FastAPI:
    """A FastAPI app as users write them, with pyRPC mounted beside the rest."""
    app = FastAPI()

    @app.middleware("http")
    async def stamp(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["x-user-middleware"] = "ran"
        return response

    def api_key(x_api_key: str = Header(default="")) -> str:
        if x_api_key != "k3y":
            raise HTTPException(status_code=401, detail="bad key")
        return x_api_key

    @app.get("/items/{item_id}")
    def read_item(item_id: int, key: str = Depends(api_key)) -> dict[str, object]:
        return {"item_id": item_id, "key": key}

    pyrpc_fastapi.mount(app, conformance_registry())
    return app


class TestFastAPIConformance(AdapterConformance):
    @pytest.fixture(scope="class")
    def rpc_url(self) -> Iterator[str]:
        with serve_asgi(user_fastapi_app()) as base_url:
            yield base_url + "/rpc"

    def test_user_route_and_dependency_still_work(self, rpc_url: str) -> None:
        ok = http_request(rpc_url, "GET", path="/items/5", headers={"X-API-Key": "k3y"})
        assert (ok.status, ok.json()) == (200, {"item_id": 5, "key": "k3y"})
        assert http_request(rpc_url, "GET", path="/items/5").status == 401

    def test_user_middleware_wraps_user_routes_and_rpc(self, rpc_url: str) -> None:
        route = http_request(rpc_url, "GET", path="/items/1", headers={"X-API-Key": "k3y"})
        call = post(rpc_url, {"jsonrpc": "2.0", "method": "subtract", "params": [2, 1], "id": 1})
        assert route.headers["x-user-middleware"] == call.headers["x-user-middleware"] == "ran"
        assert call.body == b'{"jsonrpc":"2.0","result":1,"id":1}'

    def test_rpc_routes_stay_out_of_openapi(self, rpc_url: str) -> None:
        document = http_request(rpc_url, "GET", path="/openapi.json").json()
        assert "/items/{item_id}" in document["paths"]
        assert "/rpc" not in document["paths"]


def user_flask_app() -> flask.Flask:
    """A Flask app as users write them, with pyRPC mounted beside the rest."""
    app = flask.Flask(__name__)

    @app.after_request
    def stamp(response: flask.Response) -> flask.Response:
        response.headers["X-User-Hook"] = "ran"
        return response

    @app.get("/items/<int:item_id>")
    def read_item(item_id: int) -> dict[str, object]:
        return {"item_id": item_id}

    pyrpc_flask.mount(app, conformance_registry())
    return app


class TestFlaskConformance(AdapterConformance):
    @pytest.fixture(scope="class")
    def rpc_url(self) -> Iterator[str]:
        with serve_wsgi(user_flask_app()) as base_url:
            yield base_url + "/rpc"

    def test_user_route_and_hook_still_work(self, rpc_url: str) -> None:
        route = http_request(rpc_url, "GET", path="/items/5")
        call = post(rpc_url, {"jsonrpc": "2.0", "method": "subtract", "params": [2, 1], "id": 1})
        assert (route.status, route.json()) == (200, {"item_id": 5})
        assert route.headers["x-user-hook"] == call.headers["x-user-hook"] == "ran"


@pytest.mark.parametrize("framework", ["fastapi", "flask"], scope="class")
class TestBuiltAppConformance(AdapterConformance):
    """The apps the plugins build, as ``pyrpc serve`` runs them for a module without an app."""

    @pytest.fixture(scope="class")
    def rpc_url(self, framework: str) -> Iterator[str]:
        adapter = get_plugin_manager().get_adapter(framework)
        with serve(adapter, adapter.create_app(conformance_registry(), "/rpc")) as base_url:
            yield base_url + "/rpc"

    def test_404_and_405_bodies_match_the_asgi_adapter(self, rpc_url: str) -> None:
        missing = http_request(rpc_url, "GET", path="/nothing")
        wrong = http_request(rpc_url, "PUT", b"{}")
        assert (missing.status, missing.json()) == (404, {"detail": "Not Found"})
        assert (wrong.status, wrong.json()) == (405, {"detail": "Method Not Allowed"})
        assert set(wrong.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
        assert json.loads(post(rpc_url, b"[]").body)["error"]["code"] == -32600
