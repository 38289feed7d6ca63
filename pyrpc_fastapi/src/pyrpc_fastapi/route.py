"""The pyRPC endpoint as one route of a FastAPI app.

The route is pyrpc-asgi's endpoint itself: it reads the raw body (no pydantic body
parameter, no JSON parsing by FastAPI), hands it to the core dispatcher and sends its bytes
back untouched, so the wire is the same as on every other adapter. The user's own routes,
middleware and dependencies stay as they are; app-wide middleware also wraps ``/rpc``, as
it wraps every route, while FastAPI dependencies do not run for it (guards do that work).
"""

from __future__ import annotations

from types import ModuleType

from fastapi import FastAPI, Request
from starlette.routing import Route

from pyrpc_asgi import RpcApp
from pyrpc_core import CORS, Context, Dispatcher, Headers, Limits, Registry
from pyrpc_core import registry as default_registry
from pyrpc_core.tooling.loading import find_framework_app


def mount(
    app: FastAPI,
    registry: Registry | None = None,
    path: str = "/rpc",
    *,
    debug: bool = False,
    limits: Limits | None = None,
    introspection: bool = True,
    cors: CORS | None = None,
) -> Dispatcher:
    """Serve ``registry`` (the default registry when None) at ``path`` of ``app``.

    ``POST path`` answers JSON-RPC 2.0, ``GET path`` serves the introspection document;
    neither appears in the app's OpenAPI schema. Returns the dispatcher behind the route.
    ``limits`` (``pyrpc_core.Limits``, safe defaults when None) bounds each request;
    ``introspection=False`` makes ``GET path`` answer 404; ``cors`` (``pyrpc_core.CORS``) lets
    the listed browser origins call this route (CORS is off otherwise; Starlette's
    ``CORSMiddleware`` works too). ``debug=True`` puts tracebacks of unexpected errors into
    responses: never in production.
    """
    endpoint = RpcApp(
        registry if registry is not None else default_registry,
        path,
        debug=debug,
        limits=limits,
        introspection=introspection,
        cors=cors,
    )
    # A plain Starlette route around the ASGI endpoint: FastAPI's request parsing and
    # dependency solving would cost more than the whole call, and the wire must not depend on
    # the framework. The app's middleware still wraps it, as it wraps every route.
    app.router.routes.append(Route(path, endpoint=endpoint, name=f"pyrpc:{path}"))
    mounts: dict[str, Dispatcher] = getattr(app.state, "pyrpc", {})
    mounts[path] = endpoint.dispatcher
    app.state.pyrpc = mounts
    return endpoint.dispatcher


def request_context(request: Request) -> Context:
    """The ``Context`` of a request: its headers and the client's (host, port)."""
    client = request.client
    return Context(
        headers=Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw),
        client=(client.host, client.port) if client is not None else None,
    )


def is_mounted(app: FastAPI) -> bool:
    """Whether ``mount`` was called on ``app``."""
    return bool(getattr(app.state, "pyrpc", None))


def find_app(module: ModuleType) -> FastAPI | None:
    """The FastAPI app of ``module`` to serve, for pyrpc.json's ``entrypoint`` (see ``find_framework_app``)."""
    return find_framework_app(module, FastAPI, is_mounted, lambda app, registry: mount(app, registry))


def create_app(
    registry: Registry | None = None,
    path: str = "/rpc",
    *,
    debug: bool = False,
    limits: Limits | None = None,
    introspection: bool = True,
    cors: CORS | None = None,
) -> FastAPI:
    """A FastAPI app serving only pyRPC (no OpenAPI pages), for a module that has no app.

    The keyword options are ``mount``'s.
    """
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    mount(app, registry, path, debug=debug, limits=limits, introspection=introspection, cors=cors)
    return app
