"""The Django adapter over real HTTP: the conformance, hardening and streaming kits on the sync
view under waitress (WSGI) and on the async view under uvicorn (ASGI), and the adapter's own rules.

Django's settings can be configured once a process: the first ``create_app`` configures them
(no database, no middleware) and every app made here has its own urlconf, so all of these apps
live together in this process. A user's own Django project is tested in ``pyrpc`` subprocesses
(test_django_cli.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from types import ModuleType
from typing import Any

import pytest
from adapters.servers import serve_wsgi

import pyrpc_django
from pyrpc_core import Registry, get_plugin_manager
from pyrpc_core.testing import (
    AdapterConformance,
    HardeningConformance,
    StreamingConformance,
    conformance_registry,
    http_request,
    post,
    serve_asgi,
)

Serve = Callable[..., str]


class TestDjangoWsgiConformance(AdapterConformance):
    @pytest.fixture(scope="class")
    def rpc_url(self) -> Iterator[str]:
        with serve_wsgi(pyrpc_django.create_app(conformance_registry())) as base_url:
            yield base_url + "/rpc"


class TestDjangoAsgiConformance(AdapterConformance):
    @pytest.fixture(scope="class")
    def rpc_url(self) -> Iterator[str]:
        with serve_asgi(pyrpc_django.create_asgi_app(conformance_registry())) as base_url:
            yield base_url + "/rpc"


class TestDjangoWsgiHardening(HardeningConformance):
    server_buffers_bodies = True  # waitress reads every body before the app sees the request

    @pytest.fixture(scope="class")
    def serve_rpc(self) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                app = pyrpc_django.create_app(registry, "/rpc", **options)
                return stack.enter_context(serve_wsgi(app)) + "/rpc"

            yield serve


class TestDjangoAsgiHardening(HardeningConformance):
    server_buffers_bodies = True  # Django's ASGIHandler reads every body before the view runs

    @pytest.fixture(scope="class")
    def serve_rpc(self) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                app = pyrpc_django.create_asgi_app(registry, "/rpc", **options)
                return stack.enter_context(serve_asgi(app)) + "/rpc"

            yield serve


class TestDjangoWsgiStreaming(StreamingConformance):
    @pytest.fixture(scope="class")
    def serve_rpc(self) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                app = pyrpc_django.create_app(registry, "/rpc", **options)
                return stack.enter_context(serve_wsgi(app)) + "/rpc"

            yield serve


class TestDjangoAsgiStreaming(StreamingConformance):
    @pytest.fixture(scope="class")
    def serve_rpc(self) -> Iterator[Serve]:
        with ExitStack() as stack:

            def serve(registry: Registry, **options: Any) -> str:
                app = pyrpc_django.create_asgi_app(registry, "/rpc", **options)
                return stack.enter_context(serve_asgi(app)) + "/rpc"

            yield serve


class TestBuiltDjangoApp(AdapterConformance):
    """The app the plugin builds, as ``pyrpc serve`` runs it for a module without an app."""

    @pytest.fixture(scope="class")
    def rpc_url(self) -> Iterator[str]:
        adapter = get_plugin_manager().get_adapter("django")
        assert adapter.interface == "wsgi"
        with serve_wsgi(adapter.create_app(conformance_registry(), "/rpc")) as base_url:
            yield base_url + "/rpc"

    def test_404_and_405_bodies_match_the_asgi_adapter(self, rpc_url: str) -> None:
        missing = http_request(rpc_url, "GET", path="/nothing")
        wrong = http_request(rpc_url, "PUT", b"{}")
        assert (missing.status, missing.json()) == (404, {"detail": "Not Found"})
        assert (wrong.status, wrong.json()) == (405, {"detail": "Method Not Allowed"})
        assert set(wrong.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


# -- the view each server gets -------------------------------------------------------------------


def where_registry() -> Registry:
    api = Registry()

    @api.rpc
    async def loop_thread() -> str:
        """The thread of the event loop the async procedure runs on."""
        return threading.current_thread().name

    return api


def test_asgi_runs_async_procedures_on_the_servers_loop() -> None:
    with serve_asgi(pyrpc_django.create_asgi_app(where_registry())) as base_url:
        answer = post(base_url + "/rpc", {"jsonrpc": "2.0", "method": "loop_thread", "id": 1}).json()
    assert answer["result"] == "conformance-uvicorn"  # the async view: uvicorn's own loop


def test_wsgi_runs_async_procedures_on_the_endpoints_one_loop() -> None:
    with serve_wsgi(pyrpc_django.create_app(where_registry())) as base_url:
        threads = {
            post(base_url + "/rpc", {"jsonrpc": "2.0", "method": "loop_thread", "id": index}).json()["result"]
            for index in range(5)
        }
    assert len(threads) == 1  # the sync view: one background loop, never a loop per request
    assert threads != {"conformance-uvicorn"}
    assert not next(iter(threads)).startswith("waitress")


def test_the_pattern_resolves_to_the_view_of_the_calling_mode() -> None:
    pattern = pyrpc_django.path("rpc", where_registry())
    sync_match = pattern.resolve("rpc")
    assert sync_match is not None
    assert not asyncio.iscoroutinefunction(sync_match.func)

    async def resolve_in_loop() -> Any:
        return pattern.resolve("rpc")

    async_match = asyncio.run(resolve_in_loop())
    assert asyncio.iscoroutinefunction(async_match.func)
    assert pattern.resolve("rpc/extra") is None
    for view in (sync_match.func, async_match.func):
        assert view.csrf_exempt is True


# -- patterns in a project's urlconf ---------------------------------------------------------------


def urlconf(*patterns: Any) -> ModuleType:
    module = ModuleType("project_urls")
    module.urlpatterns = list(patterns)  # type: ignore[attr-defined]
    return module


def test_route_is_a_plain_path_without_a_leading_slash() -> None:
    for route in ("/rpc", "rpc/<int:id>"):
        with pytest.raises(ValueError, match="plain path without a leading slash"):
            pyrpc_django.path(route)
    assert pyrpc_django.path("api/rpc/").endpoint.path == "/api/rpc/"
    with pytest.raises(ValueError, match="must start with '/'"):
        pyrpc_django.create_app(where_registry(), "rpc")


def test_endpoints_are_found_in_includes_and_in_the_root_urlconf() -> None:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings
    from django.urls import include, path

    first = pyrpc_django.path("rpc", where_registry())
    second = pyrpc_django.path("v2/rpc", where_registry())
    with override_settings(
        ROOT_URLCONF=urlconf(path("health", lambda request: None), first, path("", include([second])))
    ):
        assert pyrpc_django.endpoints(WSGIHandler()) == [first.endpoint, second.endpoint]
    assert pyrpc_django.endpoints(object()) == []


def test_a_users_project_with_csrf_middleware_calls_the_view_and_the_async_view() -> None:
    from django.test import AsyncClient, Client, override_settings

    pattern = pyrpc_django.path("rpc", where_registry())
    call = b'{"jsonrpc": "2.0", "method": "loop_thread", "id": 1}'
    settings = {"ROOT_URLCONF": urlconf(pattern), "MIDDLEWARE": ["django.middleware.csrf.CsrfViewMiddleware"]}
    with override_settings(**settings):
        sync = Client(enforce_csrf_checks=True).post("/rpc", call, content_type="application/json")

        async def call_async() -> Any:
            return await AsyncClient(enforce_csrf_checks=True).post("/rpc", call, content_type="application/json")

        in_loop = asyncio.run(call_async())
        refused = Client(enforce_csrf_checks=True).post("/rpc", call, content_type="text/plain")
    assert (sync.status_code, in_loop.status_code) == (200, 200)
    assert sync.json()["result"] != in_loop.json()["result"] == threading.current_thread().name
    assert refused.status_code == 415  # the endpoint's rule against cross-site simple requests


def test_an_include_prefix_is_refused_loudly() -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.test import Client, override_settings
    from django.urls import include, path

    included = urlconf(path("api/", include([pyrpc_django.path("rpc", where_registry())])))
    with (
        override_settings(ROOT_URLCONF=included),
        pytest.raises(ImproperlyConfigured, match=r"pyrpc_django.path\('api/rpc'\) in urlpatterns"),
    ):
        Client().get("/api/rpc")


def test_a_chunked_body_without_a_length_is_read_from_a_terminated_input() -> None:
    """What gunicorn gives for a chunked body: no CONTENT_LENGTH, ``wsgi.input_terminated``."""
    import io
    from wsgiref.util import setup_testing_defaults

    body = b'{"jsonrpc": "2.0", "method": "loop_thread", "id": 7}'
    environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "PATH_INFO": "/rpc", "CONTENT_TYPE": "application/json"}
    setup_testing_defaults(environ)
    environ.update({"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
    started: list[str] = []
    app = pyrpc_django.create_app(where_registry())
    answer = b"".join(app(environ, lambda status, headers: started.append(status)))
    assert started == ["200 OK"]
    assert b'"id":7' in answer
    assert b'"result"' in answer


def test_find_app_serves_the_modules_application_through_wsgi() -> None:
    from django.core.handlers.wsgi import WSGIHandler

    plain = ModuleType("plain")
    assert pyrpc_django.find_app(plain) is None
    with_asgi = ModuleType("with_asgi")
    with_asgi.application = pyrpc_django.create_asgi_app(where_registry())  # type: ignore[attr-defined]
    found = pyrpc_django.find_app(with_asgi)
    assert isinstance(found, WSGIHandler)  # the CLI's interface for Django is WSGI
    assert pyrpc_django.endpoints(found) == pyrpc_django.endpoints(with_asgi.application)  # type: ignore[attr-defined]
    with_wsgi = ModuleType("with_wsgi")
    with_wsgi.application = pyrpc_django.create_app(where_registry())  # type: ignore[attr-defined]
    with_wsgi.asgi = with_asgi.application  # type: ignore[attr-defined]
    assert pyrpc_django.find_app(with_wsgi) is with_wsgi.application  # type: ignore[attr-defined]
    with_wsgi.other = pyrpc_django.create_app(where_registry())  # type: ignore[attr-defined]
    with pytest.raises(LookupError, match="'with_wsgi:<attribute>'"):
        pyrpc_django.find_app(with_wsgi)
