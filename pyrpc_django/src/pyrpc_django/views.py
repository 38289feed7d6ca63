"""The pyRPC endpoint as one URL pattern of a Django project, served under WSGI and under ASGI.

The views only translate Django's request to ``pyrpc_core.endpoint.Endpoint`` and its reply
back, so the wire is the same as on every other adapter. One pattern holds two views and
picks per request: Django resolves URLs inside its event loop under ASGI and in the server's
worker thread under WSGI, so the pattern answers with the async view (``Endpoint.respond``)
in the first case and with the sync view (``Endpoint.respond_sync``: async procedures on the
endpoint's own loop, never a loop per request) in the second. A streaming procedure's events go
out as a ``StreamingHttpResponse``: over the reply's async generator under ASGI, over its
``stream_sync`` iterable under WSGI.
"""

from __future__ import annotations

import asyncio
import os
from types import ModuleType
from typing import Any, Unpack

import django  # type: ignore[import-untyped]
from django.apps import apps  # type: ignore[import-untyped]
from django.conf import settings  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured  # type: ignore[import-untyped]
from django.core.handlers.asgi import ASGIHandler  # type: ignore[import-untyped]
from django.core.handlers.wsgi import WSGIHandler  # type: ignore[import-untyped]
from django.http import (  # type: ignore[import-untyped]
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.urls import URLPattern, URLResolver, clear_url_caches, get_resolver  # type: ignore[import-untyped]
from django.urls.resolvers import ResolverMatch, RoutePattern  # type: ignore[import-untyped]
from django.views.decorators.csrf import csrf_exempt  # type: ignore[import-untyped]

from pyrpc_core import Context, Headers, Registry
from pyrpc_core import registry as default_registry
from pyrpc_core.endpoint import NOT_FOUND, Accepted, Endpoint, Options, Reply

urlpatterns: list[URLPattern] = []
"""``ROOT_URLCONF`` of the settings ``create_app`` configures; each app it makes has its own urlconf."""


class RpcPattern(URLPattern):  # type: ignore[misc]
    """A URL pattern serving ``endpoint`` with every HTTP method (the endpoint answers 405 itself)."""

    def __init__(self, route: str, endpoint: Endpoint, name: str | None) -> None:
        super().__init__(RoutePattern(route, name=name, is_endpoint=True), _sync_view(endpoint), name=name)
        self.endpoint = endpoint
        self.async_callback = _async_view(endpoint)

    def resolve(self, path: str) -> ResolverMatch | None:
        match = super().resolve(path)
        if match is not None and _in_event_loop():  # Django under ASGI
            match.func = self.async_callback
        return match


def path(
    route: str = "rpc", registry: Registry | None = None, *, name: str = "pyrpc", **options: Unpack[Options]
) -> RpcPattern:
    """A URL pattern serving ``registry`` (the default registry when None) at ``/route``, for ``urlpatterns``.

    ``route`` is the whole path without its leading slash, as for Django's ``path()``, with no
    converters. The keyword options are ``pyrpc_core.endpoint.Options`` (``limits``,
    ``introspection``, ``cors``, ``debug``). The pattern's ``endpoint`` is the ``Endpoint``.
    """
    if route.startswith("/") or "<" in route:
        raise ValueError(f"pyrpc_django.path: route {route!r} must be a plain path without a leading slash")
    endpoint = Endpoint(registry if registry is not None else default_registry, "/" + route, **options)
    return RpcPattern(route, endpoint, name)


def _receive(endpoint: Endpoint, request: HttpRequest) -> Reply | Accepted:
    if request.path_info != endpoint.path:
        raise ImproperlyConfigured(
            f"the pyRPC endpoint {endpoint.path} was reached at {request.path_info}: put "
            f"pyrpc_django.path({request.path_info[1:]!r}) in urlpatterns, not under an include() prefix"
        )
    return endpoint.receive(request.method, request.path_info, request.headers.get)


def _sync_view(endpoint: Endpoint) -> Any:
    def rpc_view(request: HttpRequest) -> HttpResponseBase:
        step = _receive(endpoint, request)
        if isinstance(step, Reply):
            return _response(step)
        body = _read_body(request, endpoint.max_body_bytes) if step.wants_body else b""
        disconnected = request.META.get("waitress.client_disconnected") if step.stream else None
        reply = endpoint.respond_sync(step, body, lambda: request_context(request), disconnected=disconnected)
        return _response(reply, step.head)

    return csrf_exempt(rpc_view)  # a browser cannot send JSON cross-site without a preflight: the 415


def _async_view(endpoint: Endpoint) -> Any:
    async def rpc_view(request: HttpRequest) -> HttpResponseBase:
        step = _receive(endpoint, request)
        if isinstance(step, Reply):
            return _response(step, close=True)
        body = _read_body(request, endpoint.max_body_bytes) if step.wants_body else b""  # buffered by Django
        return _response(await endpoint.respond(step, body, lambda: request_context(request)), step.head, close=True)

    return csrf_exempt(rpc_view)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (the rest is never read)."""
    stream: Any = request
    if not request.META.get("CONTENT_LENGTH") and request.META.get("wsgi.input_terminated"):
        stream = request.META["wsgi.input"]  # chunked: Django's request reads no body without a length
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(min(65536, limit + 1 - size)):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _response(reply: Reply, head: bool = False, close: bool = False) -> HttpResponseBase:
    if reply.stream is not None or reply.stream_sync is not None:
        return _streaming_response(reply)
    response = HttpResponse(b"" if head else reply.body, status=reply.status)
    del response["Content-Type"]  # Django's default (text/html); the reply says its own
    for name, value in reply.headers:
        response[name] = value
    response["Content-Length"] = str(len(reply.body))
    if reply.close and close:  # ASGI only: WSGI forbids hop-by-hop headers (the server owns the connection)
        response["Connection"] = "close"
    return response


def _streaming_response(reply: Reply) -> StreamingHttpResponse:
    """A stream's events as they come: an async iterator under ASGI, the closable ``stream_sync``
    under WSGI (Django closes it with the response, when it ends or the client leaves)."""
    response = StreamingHttpResponse(reply.stream if reply.stream is not None else reply.stream_sync)
    response.status_code = reply.status
    del response["Content-Type"]
    for name, value in reply.headers:
        response[name] = value
    return response


def request_context(request: HttpRequest) -> Context:
    """The ``Context`` of a request: every header, and the client's (host, port)."""
    host, port = request.META.get("REMOTE_ADDR"), request.META.get("REMOTE_PORT")
    return Context(
        headers=Headers(list(request.headers.items())),
        client=(host, int(port) if port else 0) if host else None,
    )


# -- apps serving only pyRPC -----------------------------------------------------------------


class _URLConf:
    """The urlconf of one app made by ``create_app``: its pattern, and the endpoint's 404 elsewhere."""

    def __init__(self, pattern: RpcPattern) -> None:
        self.urlpatterns = [pattern]

    @staticmethod
    def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
        return _response(NOT_FOUND)


class _WSGIApp(WSGIHandler):  # type: ignore[misc]
    def __init__(self, urlconf: object | None) -> None:
        super().__init__()
        self.urlconf = urlconf

    def get_response(self, request: HttpRequest) -> HttpResponse:
        if self.urlconf is not None:
            request.urlconf = self.urlconf  # Django's per-request urlconf: apps stay independent
        return super().get_response(request)


class _ASGIApp(ASGIHandler):  # type: ignore[misc]
    def __init__(self, urlconf: object) -> None:
        super().__init__()
        self.urlconf = urlconf

    async def get_response_async(self, request: HttpRequest) -> HttpResponse:
        request.urlconf = self.urlconf
        return await super().get_response_async(request)


def _urlconf(registry: Registry | None, path_: str, options: Options) -> _URLConf:
    """Settings configured (unless the user's are), and a urlconf of its own for the new app."""
    if not path_.startswith("/"):
        raise ValueError(f"pyrpc_django: the endpoint's path must start with '/', not {path_!r}")
    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        # A project in code: no database, no apps, no middleware; only pyRPC answers.
        settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, MIDDLEWARE=[], DATABASES={})
    if not apps.ready:
        django.setup(set_prefix=False)
    clear_url_caches()  # forget the resolvers of apps made before (pyrpc dev makes one a reload)
    return _URLConf(path(path_[1:], registry, **options))


def create_app(registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> WSGIHandler:
    """A Django WSGI application serving only pyRPC at ``path`` (other paths: the endpoint's 404).

    Settings are configured for it unless the process has its own (``settings.configure`` or
    ``DJANGO_SETTINGS_MODULE``); either way the app has its own urlconf, so several can coexist.
    """
    return _WSGIApp(_urlconf(registry, path, options))


def create_asgi_app(registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> ASGIHandler:
    """``create_app``'s ASGI twin, for uvicorn, daphne or hypercorn (async procedures on the server's loop)."""
    return _ASGIApp(_urlconf(registry, path, options))


# -- for the tooling (pyrpc.json's entrypoint) --------------------------------------------------


def endpoints(app: Any) -> list[Endpoint]:
    """The pyRPC endpoints a Django application serves (its urlconf, includes too), by path."""
    if not isinstance(app, WSGIHandler | ASGIHandler):
        return []
    found: dict[str, Endpoint] = {}

    def walk(patterns: list[Any]) -> None:
        for pattern in patterns:
            if isinstance(pattern, RpcPattern):
                found.setdefault(pattern.endpoint.path, pattern.endpoint)
            elif isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)

    walk(get_resolver(getattr(app, "urlconf", None)).url_patterns)
    return [found[key] for key in sorted(found)]


def find_app(module: ModuleType) -> WSGIHandler | None:
    """The module's Django application serving pyRPC, as a WSGI application (the CLI serves WSGI).

    An ASGI application (``get_asgi_application()``) is served through a WSGI handler of the
    same project. None when the module has none (pyRPC then builds one with ``create_app``);
    several WSGI applications with pyRPC are ambiguous: ``LookupError`` asks for ``module:attr``.
    """
    clear_url_caches()  # the project's urlconf may have been imported afresh (pyrpc dev)
    handlers = {id(value): value for value in vars(module).values() if isinstance(value, WSGIHandler | ASGIHandler)}
    served = [app for app in handlers.values() if endpoints(app)]
    wsgi = [app for app in served if isinstance(app, WSGIHandler)]
    if len(wsgi) > 1:
        raise LookupError(
            f"module {module.__name__!r} holds {len(wsgi)} Django applications serving pyRPC; "
            f"name one in pyrpc.json's entrypoint as '{module.__name__}:<attribute>'"
        )
    if wsgi or not served:
        return wsgi[0] if wsgi else None
    return _WSGIApp(getattr(served[0], "urlconf", None))
