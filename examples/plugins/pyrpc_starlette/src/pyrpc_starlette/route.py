"""The pyRPC endpoint as one route of a Starlette app.

The route reads the raw body and hands it to the core dispatcher, then sends its bytes back
untouched; all of the protocol lives in ``pyrpc_core.Dispatcher``.
"""

from __future__ import annotations

from types import ModuleType

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pyrpc_core import Context, Dispatcher, Headers, Registry
from pyrpc_core import registry as default_registry
from pyrpc_core.tooling.loading import find_framework_app

_JSON = "application/json"


def mount(app: Starlette, registry: Registry | None = None, path: str = "/rpc", *, debug: bool = False) -> Dispatcher:
    """Serve ``registry`` (the default registry when None) at ``path`` of ``app``; returns the dispatcher."""
    dispatcher = Dispatcher(registry if registry is not None else default_registry, debug=debug)

    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            answer = await dispatcher.dispatch(await request.body(), request_context(request))
            if answer is None:
                return Response(status_code=204)  # only notifications: nothing to answer
            return Response(answer, media_type=_JSON)
        return Response(dispatcher.schema_json(), media_type=_JSON)  # GET (and HEAD): the schema

    # One route for the three methods, so that other methods get 405 with all three in Allow.
    app.router.routes.append(Route(path, endpoint, methods=["GET", "HEAD", "POST"], name=f"pyrpc:{path}"))
    mounts: dict[str, Dispatcher] = getattr(app.state, "pyrpc", {})
    mounts[path] = dispatcher
    app.state.pyrpc = mounts
    return dispatcher


def request_context(request: Request) -> Context:
    """The ``Context`` of a request: every header, and the client's (host, port)."""
    client = request.client
    return Context(
        headers=Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw),
        client=(client.host, client.port) if client is not None else None,
    )


def create_app(registry: Registry | None = None, path: str = "/rpc", *, debug: bool = False) -> Starlette:
    """A Starlette app serving only pyRPC, for an entrypoint module that has no app."""
    app = Starlette()
    mount(app, registry, path, debug=debug)
    return app


def find_app(module: ModuleType) -> Starlette | None:
    """The Starlette app of pyrpc.json's entrypoint module, or None to have one built.

    pyRPC's own rules (``pyrpc_core.tooling.loading.find_framework_app``): an app with pyRPC mounted
    wins; else the module's only app gets the module's registry mounted at ``/rpc``.
    """
    return find_framework_app(
        module,
        Starlette,
        lambda app: bool(getattr(app.state, "pyrpc", None)),
        lambda app, registry: mount(app, registry),
    )
