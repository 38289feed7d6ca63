"""The pyRPC endpoint as one route of a FastAPI app.

The route is pyrpc-asgi's ASGI app itself, in a plain Starlette ``Route``: it reads the raw
body (no pydantic body parameter, no JSON parsing by FastAPI) and hands it to the core
endpoint, so the wire is the same as on every other adapter. The user's own routes,
middleware and dependencies stay as they are; app-wide middleware also wraps the route, as it
wraps every route, while FastAPI dependencies do not run for it (guards do that work).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Unpack

from fastapi import FastAPI, Request
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pyrpc_asgi import RpcApp
from pyrpc_asgi.app import route_path
from pyrpc_core import Context, Headers, Registry
from pyrpc_core.endpoint import Endpoint, Options
from pyrpc_core.tooling.loading import find_framework_app


def mount(app: FastAPI, registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> Endpoint:
    """Serve ``registry`` (the default registry when None) at ``path`` of ``app``; returns the endpoint.

    ``POST path`` answers JSON-RPC 2.0, ``GET path`` serves the introspection document;
    neither appears in the app's OpenAPI schema. The keyword options are
    ``pyrpc_core.endpoint.Options`` (``limits``, ``introspection``, ``cors``, ``debug``);
    Starlette's ``CORSMiddleware`` works too.
    """
    mounts: dict[str, Endpoint] = getattr(app.state, "pyrpc", {})
    if path in mounts:  # the first route would answer, and the tooling would see the second
        raise ValueError(f"pyRPC is already mounted at {path} of this app")
    endpoint = RpcApp(registry, path, **options)
    # A plain Starlette route around the ASGI endpoint: FastAPI's request parsing and
    # dependency solving would cost more than the whole call, and the wire must not depend on
    # the framework. The app's middleware still wraps it, as it wraps every route.
    app.router.routes.append(Route(path, endpoint=endpoint, name=f"pyrpc:{path}"))
    mounts[path] = endpoint.endpoint
    app.state.pyrpc = mounts
    shortcuts: dict[str, RpcApp] | None = getattr(app.state, "pyrpc_apps", None)
    if shortcuts is None and app.middleware_stack is None:  # not serving yet: the stack is still to be built
        shortcuts = app.state.pyrpc_apps = {}
        # The innermost of the app's own middleware (add_middleware puts later ones outside it).
        app.user_middleware.append(Middleware(_Shortcut, apps=shortcuts))
    if shortcuts is not None:
        shortcuts[path] = endpoint
    return endpoint.endpoint


class _Shortcut:
    """Requests for pyRPC's paths go from the app's middleware to the endpoint straight.

    The app's own middleware still wraps every call, as it wraps every route; what is skipped
    is FastAPI's routing and its exception and exit-stack middleware, which cost more than the
    call itself and do nothing for an endpoint that answers every error itself. The route
    stays, for an app whose middleware stack was built before the mount.
    """

    def __init__(self, app: ASGIApp, apps: dict[str, RpcApp]) -> None:
        self.app = app
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            target = self.apps.get(route_path(scope))
            if target is not None:
                await target(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> FastAPI:
    """A FastAPI app serving only pyRPC (no OpenAPI pages), for a module that has no app."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    mount(app, registry, path, **options)
    return app


def request_context(request: Request) -> Context:
    """The ``Context`` of a request: its headers and the client's (host, port)."""
    client = request.client
    return Context(
        headers=Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw),
        client=(client.host, client.port) if client is not None else None,
    )


def endpoints(app: Any) -> list[Endpoint]:
    """The pyRPC endpoints mounted on ``app``, by path."""
    mounts: dict[str, Endpoint] = getattr(getattr(app, "state", None), "pyrpc", None) or {}
    return [mounts[path] for path in sorted(mounts)]


def is_mounted(app: FastAPI) -> bool:
    """Whether ``mount`` was called on ``app``."""
    return bool(endpoints(app))


def find_app(module: ModuleType) -> FastAPI | None:
    """The FastAPI app of ``module`` to serve, for pyrpc.json's ``entrypoint`` (see ``find_framework_app``)."""
    return find_framework_app(module, FastAPI, is_mounted, mount)
