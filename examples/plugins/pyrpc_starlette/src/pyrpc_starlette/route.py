"""The pyRPC endpoint as one route of a Starlette app.

All of the HTTP rules and the protocol live in ``pyrpc_core.endpoint.Endpoint``: the route
only translates Starlette's request to it (method, path, headers, body) and its reply back,
a streaming procedure's events (``Reply.stream``) as a ``StreamingResponse``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Unpack

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from pyrpc_core import Context, Headers, Registry
from pyrpc_core import registry as default_registry
from pyrpc_core.endpoint import NOT_FOUND, Endpoint, Options, Reply
from pyrpc_core.tooling.loading import find_framework_app

# Every method goes to the route, so that the endpoint answers them all (405s included).
_METHODS = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]


def mount(app: Starlette, registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> Endpoint:
    """Serve ``registry`` (the default registry when None) at ``path`` of ``app``; returns the endpoint."""
    endpoint = Endpoint(registry if registry is not None else default_registry, path, **options)

    async def route(request: Request) -> Response:
        step = endpoint.receive(request.method, path, request.headers.get)
        if isinstance(step, Reply):
            return _response(step)
        body = await _read_body(request, endpoint.max_body_bytes) if step.wants_body else b""
        return _response(await endpoint.respond(step, body, lambda: request_context(request)))

    app.router.routes.append(Route(path, route, methods=_METHODS, name=f"pyrpc:{path}"))
    mounts: dict[str, Endpoint] = getattr(app.state, "pyrpc", {})
    mounts[path] = endpoint
    app.state.pyrpc = mounts
    return endpoint


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The whole body; None as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _response(reply: Reply) -> Response:
    response: Response
    if reply.stream is not None:
        # A streaming procedure's events, sent as they come. Starlette stops sending when the
        # client leaves, which closes the events and so stops the procedure (its finally runs).
        response = StreamingResponse(reply.stream, status_code=reply.status)
    else:
        response = Response(reply.body, status_code=reply.status)
    for name, value in reply.headers:
        response.headers.append(name, value)
    if reply.close:
        response.headers["connection"] = "close"
    return response


def request_context(request: Request) -> Context:
    """The ``Context`` of a request: every header, and the client's (host, port)."""
    client = request.client
    return Context(
        headers=Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw),
        client=(client.host, client.port) if client is not None else None,
    )


def create_app(registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> Starlette:
    """A Starlette app serving only pyRPC, for an entrypoint module that has no app."""
    app = Starlette(exception_handlers={404: lambda request, exc: _response(NOT_FOUND)})
    mount(app, registry, path, **options)
    return app


def endpoints(app: Any) -> list[Endpoint]:
    """The pyRPC endpoints mounted on ``app``, by path."""
    mounts: dict[str, Endpoint] = getattr(getattr(app, "state", None), "pyrpc", None) or {}
    return [mounts[path] for path in sorted(mounts)]


def find_app(module: ModuleType) -> Starlette | None:
    """The Starlette app of pyrpc.json's entrypoint module, or None to have one built.

    pyRPC's own rules (``pyrpc_core.tooling.loading.find_framework_app``): an app with pyRPC
    mounted wins; else the module's only app gets the module's registry mounted at ``/rpc``.
    """
    return find_framework_app(module, Starlette, lambda app: bool(endpoints(app)), mount)
