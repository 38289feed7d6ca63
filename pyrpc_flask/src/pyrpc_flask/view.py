"""The pyRPC endpoint as one view of a Flask app.

The view only translates Flask's request to ``pyrpc_core.endpoint.Endpoint`` and its reply
back, so the wire is the same as on every other adapter. Sync procedures run in the WSGI
server's worker thread; async ones on one event loop per endpoint in a background thread, so
no event loop is created (or leaked) per request. A streaming procedure's events are the
response's iterable (``Reply.stream_sync``), which the WSGI server closes when the client leaves.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any, Unpack

from flask import Flask, Request, Response, request
from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import NotFound

from pyrpc_core import Context, Headers, Registry
from pyrpc_core import registry as default_registry
from pyrpc_core.endpoint import JSON_HEADERS, NOT_FOUND, Endpoint, Options, Reply
from pyrpc_core.tooling.loading import find_framework_app

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

EXTENSION = "pyrpc"
"""The key of ``app.extensions`` holding ``{path: Endpoint}`` for every mount."""

# Every method goes to the view, so that the endpoint answers them all (405s included) alike.
_METHODS = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]


def mount(app: Flask, registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> Endpoint:
    """Serve ``registry`` (the default registry when None) at ``path`` of ``app``; returns the endpoint.

    ``POST path`` answers JSON-RPC 2.0, ``GET path`` serves the introspection document. The
    keyword options are ``pyrpc_core.endpoint.Options`` (``limits``, ``introspection``,
    ``cors``, ``debug``).
    """
    endpoint = Endpoint(registry if registry is not None else default_registry, path, **options)

    def view() -> Response:
        environ = request.environ  # the ``request`` proxy only works in this thread
        step = endpoint.receive(request.method, path, lambda name: _header(environ, name))
        if isinstance(step, Reply):
            return _response(step)
        body = _read_body(request, endpoint.max_body_bytes) if step.wants_body else b""
        disconnected = environ.get("waitress.client_disconnected") if step.stream else None
        return _response(endpoint.respond_sync(step, body, lambda: request_context(environ), disconnected=disconnected))

    app.add_url_rule(path, endpoint=f"pyrpc:{path}", view_func=view, methods=_METHODS, provide_automatic_options=False)
    app.extensions.setdefault(EXTENSION, {})[path] = endpoint
    return endpoint


def create_app(registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> Flask:
    """A Flask app serving only pyRPC, for a module that has no app (other paths: the endpoint's 404)."""
    app = Flask("pyrpc")
    mount(app, registry, path, **options)
    app.register_error_handler(404, _not_found)
    return app


def _header(environ: WSGIEnvironment, name: str) -> str | None:
    """A request header from the WSGI environ (``content-type`` and ``content-length`` have no ``HTTP_``)."""
    key = name.upper().replace("-", "_")
    value = environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}")
    return value or None


def _read_body(incoming: Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (the rest is never read)."""
    if incoming.content_length is not None:  # already checked against the limit by the endpoint
        return incoming.get_data(cache=False)
    # Chunked: no length announced, so read at most one byte past the limit.
    stream = incoming.stream
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def _response(reply: Reply) -> Response:
    if reply.headers is JSON_HEADERS:  # nearly every answer: werkzeug's own content type argument is its fast path
        return Response(reply.body, status=reply.status, content_type="application/json")
    if reply.stream_sync is not None:
        # A stream: its events are the body, passed to the server as they come (each is a chunk of
        # its own, which waitress sends at once); the server closes it, which stops the procedure.
        return Response(reply.stream_sync, status=reply.status, headers=list(reply.headers), direct_passthrough=True)
    response = Response(reply.body, status=reply.status, headers=list(reply.headers))
    if not any(name == "content-type" for name, _ in reply.headers):
        del response.headers["Content-Type"]  # werkzeug's default text/html, on a reply that has no body
    return response


def _not_found(_error: NotFound) -> Response:
    return _response(NOT_FOUND)


def request_context(environ: WSGIEnvironment | None = None) -> Context:
    """The ``Context`` of a request (the current one by default): headers and the client's (host, port)."""
    if environ is None:
        environ = request.environ
    host = environ.get("REMOTE_ADDR")
    port = environ.get("REMOTE_PORT")
    return Context(
        headers=Headers(list(EnvironHeaders(environ).items())),
        client=(host, int(port) if port else 0) if host else None,
    )


def endpoints(app: Any) -> list[Endpoint]:
    """The pyRPC endpoints mounted on ``app``, by path."""
    mounts: dict[str, Endpoint] = getattr(app, "extensions", {}).get(EXTENSION) or {}
    return [mounts[path] for path in sorted(mounts)]


def is_mounted(app: Flask) -> bool:
    """Whether ``mount`` was called on ``app``."""
    return bool(endpoints(app))


def find_app(module: ModuleType) -> Flask | None:
    """The Flask app of ``module`` to serve, for pyrpc.json's ``entrypoint`` (see ``find_framework_app``)."""
    return find_framework_app(module, Flask, is_mounted, mount)
