"""The pyRPC endpoint as one view of a Flask app.

The view hands the raw request body to the core dispatcher's ``dispatch_sync`` and sends
its bytes back untouched, so the wire is the same as on every other adapter. Sync
procedures run in the WSGI server's worker thread; async ones run on one event loop per
dispatcher in a background thread, so no event loop is created (or leaked) per request.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from flask import Flask, Request, Response, current_app, request
from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import MethodNotAllowed, NotFound

from pyrpc_core import CORS, Context, Dispatcher, Headers, Limits, Registry
from pyrpc_core import registry as default_registry
from pyrpc_core.endpoint import Reply, body_refusal, cors_headers, preflight, too_large
from pyrpc_core.tooling.loading import find_framework_app

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

_JSON = "application/json"
EXTENSION = "pyrpc"
"""The key of ``app.extensions`` holding ``{path: Dispatcher}`` for every mount."""


def mount(
    app: Flask,
    registry: Registry | None = None,
    path: str = "/rpc",
    *,
    debug: bool = False,
    limits: Limits | None = None,
    introspection: bool = True,
    cors: CORS | None = None,
) -> Dispatcher:
    """Serve ``registry`` (the default registry when None) at ``path`` of ``app``.

    ``POST path`` answers JSON-RPC 2.0, ``GET path`` serves the introspection document.
    Returns the dispatcher behind the view. ``limits`` (``pyrpc_core.Limits``, safe defaults
    when None) bounds each request; ``introspection=False`` makes ``GET path`` answer 404;
    ``cors`` (``pyrpc_core.CORS``) lets the listed browser origins call (CORS is off
    otherwise). ``debug=True`` puts tracebacks of unexpected errors into responses: never in
    production.
    """
    dispatcher = Dispatcher(
        registry if registry is not None else default_registry,
        debug=debug,
        limits=limits,
        introspection=introspection,
        cors=cors,
    )

    def endpoint() -> Response:
        environ = request.environ  # the ``request`` proxy only works in this thread
        extra: tuple[tuple[str, str], ...] = ()
        if cors is not None:
            origin = request.headers.get("Origin")
            if request.method == "OPTIONS":
                headers = request.headers
                asked = headers.get("Access-Control-Request-Method")
                reply = preflight(cors, origin, asked, headers.get("Access-Control-Request-Headers"))
                return _response(reply) if reply is not None else current_app.make_default_options_response()
            extra = cors_headers(cors, origin)
        if request.method == "POST":
            refusal = body_refusal(dispatcher.limits, environ.get("CONTENT_LENGTH") or None)
            body = _read_body(request, dispatcher.limits.max_body_bytes) if refusal is None else None
            if body is None:  # refused before reading, or a chunked body went past the limit
                return _response(refusal or too_large(dispatcher.limits), extra)
            answer = dispatcher.dispatch_sync(body, lambda: request_context(environ))
            if answer is None:
                return Response(status=204, headers=extra)
            return Response(answer, status=200, content_type=_JSON, headers=extra)
        return _response(dispatcher.introspect_sync(lambda: request_context(environ)), extra)

    # With CORS configured the view answers OPTIONS itself (preflights); otherwise Flask's
    # automatic OPTIONS answer stays, so that CORS extensions keep working.
    methods = ["GET", "POST", "OPTIONS"] if cors is not None else ["GET", "POST"]
    app.add_url_rule(path, endpoint=f"pyrpc:{path}", view_func=endpoint, methods=methods)
    app.extensions.setdefault(EXTENSION, {})[path] = dispatcher
    return dispatcher


def _read_body(incoming: Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (the rest is never read)."""
    if incoming.content_length is not None:  # already checked against the limit
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


def _response(reply: Reply, extra: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(reply.body, status=reply.status, headers=[*reply.headers, *extra])


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


def is_mounted(app: Flask) -> bool:
    """Whether ``mount`` was called on ``app``."""
    return bool(app.extensions.get(EXTENSION))


def find_app(module: ModuleType) -> Flask | None:
    """The Flask app of ``module`` to serve, for pyrpc.json's ``entrypoint`` (see ``find_framework_app``)."""
    return find_framework_app(module, Flask, is_mounted, lambda app, registry: mount(app, registry))


def create_app(
    registry: Registry | None = None,
    path: str = "/rpc",
    *,
    debug: bool = False,
    limits: Limits | None = None,
    introspection: bool = True,
    cors: CORS | None = None,
) -> Flask:
    """A Flask app serving only pyRPC, for a module that has no app.

    Its 404 and 405 answers are the same JSON as the other adapters' built apps. The
    keyword options are ``mount``'s.
    """
    app = Flask("pyrpc")
    mount(app, registry, path, debug=debug, limits=limits, introspection=introspection, cors=cors)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _method_not_allowed)
    return app


def _not_found(_error: NotFound) -> Response:
    return Response(b'{"detail":"Not Found"}', 404, content_type=_JSON)


def _method_not_allowed(error: MethodNotAllowed) -> Response:
    allow = ", ".join(sorted(error.valid_methods or ()))
    return Response(b'{"detail":"Method Not Allowed"}', 405, content_type=_JSON, headers={"Allow": allow})
