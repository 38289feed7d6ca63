"""The adapters only translate: each mount is a core ``Endpoint`` the adapter reports, and the wire is alike.

``pyrpc_fastapi.mount`` and ``pyrpc_flask.mount`` return the endpoint they serve, each
adapter module's ``endpoints(app)`` lists the endpoints an app holds (what the tooling serves
and generates types for), and what the endpoint answers reaches the client unchanged on every
adapter, the bare 204s included.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable, Iterator
from typing import Any

import flask
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

import pyrpc_asgi
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import CORS, Endpoint, Limits, Registry, get_plugin_manager
from pyrpc_core import registry as default_registry
from pyrpc_core.testing import http_request, serve_asgi

from .servers import serve_wsgi

CALL = b'{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":1}'
NOTIFICATION = b'{"jsonrpc":"2.0","method":"subtract","params":[5,3]}'
JSON = {"Content-Type": "application/json"}


def make_registry() -> Registry:
    registry = Registry()

    @registry.rpc
    def subtract(minuend: int, subtrahend: int) -> int:
        return minuend - subtrahend

    return registry


MOUNTS: dict[str, Callable[[], Any]] = {"fastapi": FastAPI, "flask": lambda: flask.Flask(__name__)}


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_mount_returns_the_endpoint_it_serves_with_the_options(framework: str) -> None:
    adapter = pyrpc_fastapi if framework == "fastapi" else pyrpc_flask
    app = MOUNTS[framework]()
    registry = make_registry()
    cors = CORS(allow_origins=["https://app.example"])
    endpoint = adapter.mount(app, registry, "/api", limits=Limits(max_batch=3), cors=cors, introspection=False)
    assert isinstance(endpoint, Endpoint)
    assert (endpoint.path, endpoint.registry, endpoint.cors, endpoint.introspection) == ("/api", registry, cors, False)
    assert endpoint.dispatcher.limits.max_batch == 3
    assert adapter.endpoints(app) == [endpoint]
    assert adapter.is_mounted(app)
    assert adapter.mount(MOUNTS[framework]()).registry is default_registry


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_endpoints_lists_every_mount_by_path(framework: str) -> None:
    adapter = pyrpc_fastapi if framework == "fastapi" else pyrpc_flask
    app = MOUNTS[framework]()
    assert adapter.endpoints(app) == []
    assert not adapter.is_mounted(app)
    second = adapter.mount(app, make_registry(), "/v2/rpc")
    first = adapter.mount(app, make_registry(), "/rpc")
    assert adapter.endpoints(app) == [first, second]
    assert adapter.endpoints(object()) == []


@pytest.mark.parametrize("framework", ["asgi", "fastapi", "flask"])
def test_the_adapter_descriptor_reports_the_endpoint_of_the_app_it_builds(framework: str) -> None:
    adapter = get_plugin_manager().get_adapter(framework)
    registry = make_registry()
    app = adapter.create_app(registry, "/rpc")
    assert adapter.endpoints is not None
    [endpoint] = adapter.endpoints(app)
    assert (endpoint.registry, endpoint.path) == (registry, "/rpc")


def test_the_modules_are_route_and_view() -> None:
    assert importlib.import_module("pyrpc_fastapi.route").mount is pyrpc_fastapi.mount
    assert importlib.import_module("pyrpc_flask.view").mount is pyrpc_flask.mount
    assert importlib.util.find_spec("pyrpc_fastapi.mount") is None
    assert importlib.util.find_spec("pyrpc_flask.mount") is None


# -- below a root path ----------------------------------------------------------------------


def test_flask_below_a_script_name() -> None:
    inner = flask.Flask(__name__)
    pyrpc_flask.mount(inner, make_registry())
    client = Client(DispatcherMiddleware(flask.Flask("outer"), {"/api": inner}))
    response = client.post("/api/rpc", data=CALL, headers=JSON)
    assert (response.status_code, response.data) == (200, b'{"jsonrpc":"2.0","result":2,"id":1}')


@pytest.mark.parametrize("framework", ["asgi", "fastapi"])
def test_asgi_adapters_below_a_root_path(framework: str, asgi_request: Callable[..., Any]) -> None:
    """Bug: see tests/asgi/test_asgi_http.py::test_served_below_a_root_path; FastAPI's route is the same ``RpcApp``."""
    if framework == "fastapi":
        inner: Any = FastAPI()
        pyrpc_fastapi.mount(inner, make_registry())
    else:
        inner = pyrpc_asgi.create_app(make_registry())
    outer = Starlette(routes=[Mount("/api", app=inner)])
    status, _, body = asgi_request(outer, "POST", "/api/rpc", CALL, JSON)
    assert (status, body) == (200, b'{"jsonrpc":"2.0","result":2,"id":1}')


# -- the same bytes and headers on every adapter ----------------------------------------------


@pytest.fixture(scope="module", params=["asgi", "fastapi", "flask"])
def rpc_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "flask":
        flask_app = flask.Flask(__name__)
        pyrpc_flask.mount(flask_app, make_registry())
        with serve_wsgi(flask_app) as base_url:
            yield base_url + "/rpc"
        return
    if request.param == "fastapi":
        app: Any = FastAPI()
        pyrpc_fastapi.mount(app, make_registry())
    else:
        app = pyrpc_asgi.create_app(make_registry())
    with serve_asgi(app) as base_url:
        yield base_url + "/rpc"


def test_a_call_is_answered_alike(rpc_url: str) -> None:
    response = http_request(rpc_url, "POST", CALL)
    assert (response.status, response.body) == (200, b'{"jsonrpc":"2.0","result":2,"id":1}')
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.body))


def test_head_is_answered_alike(rpc_url: str) -> None:
    get, head = http_request(rpc_url, "GET"), http_request(rpc_url, "HEAD")
    assert (head.status, head.body) == (200, b"")
    assert head.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.body))
    assert json.loads(get.body)["version"] == 1


def test_a_204_carries_no_content_type(rpc_url: str) -> None:
    """The endpoint's 204s have no headers but CORS's and ``Allow``; the adapter adds none.

    Bug (Flask): werkzeug's ``Response`` adds its default ``Content-Type: text/html;
    charset=utf-8`` to the bodiless 204s of ``pyrpc_flask.view._response``.
    """
    for response in (http_request(rpc_url, "POST", NOTIFICATION), http_request(rpc_url, "OPTIONS")):
        assert (response.status, response.body) == (204, b"")
        assert "content-type" not in response.headers, response.headers


def test_a_204_carries_no_content_length(rpc_url: str) -> None:
    """RFC 9110, section 8.6: a server MUST NOT send Content-Length in a 204 response.

    Bug (ASGI, FastAPI): ``pyrpc_asgi.app._send`` adds ``content-length: 0`` to every reply.
    """
    for response in (http_request(rpc_url, "POST", NOTIFICATION), http_request(rpc_url, "OPTIONS")):
        assert response.status == 204
        assert "content-length" not in response.headers, response.headers


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_mounting_twice_at_one_path_never_reports_another_endpoint_than_the_served_one(
    framework: str, asgi_request: Callable[..., Any]
) -> None:
    """Either the second mount is refused (Flask refuses), or it is what is served and reported.

    Bug (FastAPI): ``pyrpc_fastapi.route.mount`` appends a second route for the path (the first
    still answers every request) and replaces the path's entry in ``app.state.pyrpc``, so
    ``endpoints(app)`` reports the second registry: the tooling would write the types of a
    registry that is not served.
    """
    adapter = pyrpc_fastapi if framework == "fastapi" else pyrpc_flask
    first_registry, second_registry = Registry(), Registry()
    first_registry.rpc(name="which")(lambda: "first")
    second_registry.rpc(name="which")(lambda: "second")
    app = MOUNTS[framework]()
    first = adapter.mount(app, first_registry)
    try:
        adapter.mount(app, second_registry)
    except (ValueError, AssertionError):  # refused: nothing changed
        assert adapter.endpoints(app) == [first]
        return
    if framework == "fastapi":
        body = asgi_request(app, "POST", "/rpc", b'{"jsonrpc":"2.0","method":"which","id":1}', JSON)[2]
    else:
        body = app.test_client().post("/rpc", data=b'{"jsonrpc":"2.0","method":"which","id":1}', headers=JSON).data
    served = json.loads(body)["result"]
    [reported] = adapter.endpoints(app)
    assert reported.registry is (first_registry if served == "first" else second_registry)
