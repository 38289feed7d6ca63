"""The pyRPC endpoint as a plain ASGI 3 application, with no framework underneath."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pyrpc_core import CORS, Context, Dispatcher, Headers, Limits, Registry
from pyrpc_core import registry as default_registry
from pyrpc_core.endpoint import Reply, body_refusal, cors_headers, preflight, too_large

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON_HEADERS = [(b"content-type", b"application/json")]


class RpcApp:
    """``POST path`` answers JSON-RPC 2.0, ``GET path`` serves the introspection document.

    Other methods on the path get 405, other paths 404. Sync procedures run in worker
    threads, so a slow one never blocks the event loop. ``limits``, ``introspection`` and
    ``cors`` are the ``Dispatcher``'s; the HTTP decisions they imply (413, preflight, CORS
    headers, 404/403 for ``GET``) come from ``pyrpc_core.endpoint``, as on every adapter.
    """

    def __init__(
        self,
        registry: Registry | None = None,
        path: str = "/rpc",
        *,
        debug: bool = False,
        limits: Limits | None = None,
        introspection: bool = True,
        cors: CORS | None = None,
    ) -> None:
        self.dispatcher = Dispatcher(
            registry if registry is not None else default_registry,
            debug=debug,
            limits=limits,
            introspection=introspection,
            cors=cors,
        )
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # websockets are not served; the server closes the connection
        if scope["path"] != self.path:
            await _respond(send, 404, b'{"detail":"Not Found"}')
            return
        method = scope["method"]
        dispatcher = self.dispatcher
        extra: list[tuple[bytes, bytes]] = []
        if dispatcher.cors is not None:
            origin = _header(scope, b"origin")
            if method == "OPTIONS":
                asked = _header(scope, b"access-control-request-method")
                reply = preflight(dispatcher.cors, origin, asked, _header(scope, b"access-control-request-headers"))
                if reply is not None:
                    await _send_reply(send, reply)
                    return
            extra = _encoded(cors_headers(dispatcher.cors, origin))
        if method == "POST":
            limits = dispatcher.limits
            message = await receive()
            refusal = None
            if message.get("more_body", False):
                # Only now is there more to read: refuse it unread when it says it is too big.
                refusal = body_refusal(limits, _header(scope, b"content-length"))
                body = await _read_body(receive, limits.max_body_bytes, message) if refusal is None else None
            else:  # the usual case: the whole body in one message
                body = message.get("body", b"") if message["type"] == "http.request" else b""
                if len(body) > limits.max_body_bytes:
                    body = None
            if body is None:  # refused before reading, or a chunked body went past the limit
                # The rest of the body stays unread, so the connection cannot serve another request.
                await _send_reply(send, refusal or too_large(limits), [(b"connection", b"close"), *extra])
                return
            answer = await dispatcher.dispatch(body, lambda: _context(scope))
            if answer is None:
                await _respond(send, 204, b"", headers=[], extra=extra)
                return
            # The answer to nearly every request, written out: this is the hot path.
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [*_JSON_HEADERS, *extra, (b"content-length", b"%d" % len(answer))],
                }
            )
            await send({"type": "http.response.body", "body": answer})
        elif method in ("GET", "HEAD"):
            reply = await dispatcher.introspect(lambda: _context(scope))
            await _send_reply(send, reply, extra, head=method == "HEAD")
        else:
            allow = [(b"allow", b"GET, HEAD, POST")]
            await _respond(send, 405, b'{"detail":"Method Not Allowed"}', extra=[*allow, *extra])


def _header(scope: Scope, name: bytes) -> str | None:
    """The value of header ``name`` (lower-case) of the request, or None."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _encoded(headers: tuple[tuple[str, str], ...]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


async def _send_reply(send: Send, reply: Reply, extra: list[tuple[bytes, bytes]] = [], *, head: bool = False) -> None:  # noqa: B006 - never mutated
    await _respond(
        send,
        reply.status,
        b"" if head else reply.body,
        headers=_encoded(reply.headers),
        extra=extra,
        length=len(reply.body),
    )


def _context(scope: Scope) -> Context:
    headers = Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"])
    client = scope.get("client")
    return Context(headers=headers, client=(client[0], client[1]) if client else None)


def create_app(
    registry: Registry | None = None,
    path: str = "/rpc",
    *,
    debug: bool = False,
    limits: Limits | None = None,
    introspection: bool = True,
    cors: CORS | None = None,
) -> RpcApp:
    """An ASGI app serving ``registry`` (the default registry when None) at ``path``.

    ``limits`` (``pyrpc_core.Limits``, safe defaults when None) bounds each request;
    ``introspection=False`` makes ``GET path`` answer 404; ``cors`` (``pyrpc_core.CORS``)
    lets the listed browser origins call. ``debug=True`` puts tracebacks into responses.
    """
    return RpcApp(registry, path, debug=debug, limits=limits, introspection=introspection, cors=cors)


async def _read_body(receive: Receive, limit: int, first: Message) -> bytes | None:
    """The whole body from its ``first`` message on; None once past ``limit`` bytes (the rest stays unread)."""
    chunks: list[bytes] = []
    size = 0
    message = first
    while message["type"] == "http.request":
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
        message = await receive()
    return b"".join(chunks)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    *,
    headers: list[tuple[bytes, bytes]] = _JSON_HEADERS,
    extra: list[tuple[bytes, bytes]] = [],  # noqa: B006 - never mutated
    length: int | None = None,
) -> None:
    content_length = str(len(body) if length is None else length).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, *extra, (b"content-length", content_length)],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
