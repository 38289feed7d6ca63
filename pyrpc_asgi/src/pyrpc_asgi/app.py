"""The pyRPC endpoint as a plain ASGI 3 application, with no framework underneath.

It only translates ASGI to ``pyrpc_core.endpoint.Endpoint`` and back: the HTTP rules, the
limits, CORS and introspection are the endpoint's, the same on every adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from types import ModuleType
from typing import Any, Unpack

from pyrpc_core import Context, Headers, Registry
from pyrpc_core import registry as default_registry
from pyrpc_core.endpoint import JSON_HEADERS, Accepted, Endpoint, Options, Reply

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON_HEADERS = [(b"content-type", b"application/json")]
_CLOSE = (b"connection", b"close")


class RpcApp:
    """``POST path`` answers JSON-RPC 2.0, ``GET path`` serves the introspection document.

    Sync procedures run in worker threads, so a slow one never blocks the event loop. The
    keyword options are ``pyrpc_core.endpoint.Options`` (``debug``, ``limits``,
    ``introspection``, ``cors``).
    """

    def __init__(self, registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> None:
        self.endpoint = Endpoint(registry if registry is not None else default_registry, path, **options)

    @property
    def path(self) -> str:
        return self.endpoint.path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # websockets are not served; the server closes the connection
        endpoint = self.endpoint
        headers = scope["headers"]
        step = endpoint.receive(scope["method"], route_path(scope), lambda name: _header(headers, name))
        if isinstance(step, Reply):
            await _send(send, step)
            return
        if step.wants_body:
            body = await _read_body(receive, endpoint.max_body_bytes)
            reply = await endpoint.respond(step, body, lambda: _context(scope), disconnected=lambda: _left(receive))
            if reply is None:
                return  # the client went away: its calls were cancelled, and there is no one to answer
        else:
            reply = await endpoint.respond(step, b"", lambda: _context(scope))
        if reply.headers is JSON_HEADERS and step.wants_body and not reply.close:
            # The answer to nearly every call, written out: the hot path.
            await send(
                {
                    "type": "http.response.start",
                    "status": reply.status,
                    "headers": [*_JSON_HEADERS, (b"content-length", b"%d" % len(reply.body))],
                }
            )
            await send({"type": "http.response.body", "body": reply.body})
            return
        await _send(send, reply, step)


def create_app(registry: Registry | None = None, path: str = "/rpc", **options: Unpack[Options]) -> RpcApp:
    """An ASGI app serving ``registry`` (the default registry when None) at ``path``.

    The keyword options are ``pyrpc_core.endpoint.Options``: ``limits`` bounds each request,
    ``introspection=False`` makes ``GET path`` answer 404, ``cors`` lets the listed browser
    origins call, ``debug=True`` puts tracebacks into responses (never in production).
    """
    return RpcApp(registry, path, **options)


def route_path(scope: Scope) -> str:
    """The path below the app's mount point (``root_path``: a Starlette Mount, ``--root-path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :] or "/"
    return path


_KEYS = {name: name.encode("latin-1") for name in ("content-type", "content-length", "origin")}


def _header(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    """The value of header ``name`` (lower-case), or None."""
    key = _KEYS.get(name) or name.encode("latin-1")
    for header, value in headers:
        if header == key:
            return value.decode("latin-1")
    return None


def _context(scope: Scope) -> Context:
    headers = Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"])
    client = scope.get("client")
    return Context(headers=headers, client=(client[0], client[1]) if client else None)


async def _left(receive: Receive) -> bool:
    """Wait (after the body) until the client disconnects: True then."""
    while (await receive())["type"] != "http.disconnect":
        pass
    return True


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body; None as soon as it passes ``limit`` bytes (the rest stays unread)."""
    message = await receive()
    if not message.get("more_body", False):  # the usual case: the whole body in one message
        body: bytes = message.get("body", b"") if message["type"] == "http.request" else b""
        return body if len(body) <= limit else None
    chunks: list[bytes] = []
    size = 0
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


async def _send(send: Send, reply: Reply, request: Accepted | None = None) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers]
    if reply.stream is not None:  # a streaming procedure: each event as it comes
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        try:
            async for chunk in reply.stream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await reply.stream.aclose()
        await send({"type": "http.response.body", "body": b""})
        return
    if reply.status != 204:  # a 204 has no body, and says nothing of its length (RFC 9110, 8.6)
        headers.append((b"content-length", b"%d" % len(reply.body)))
    if reply.close:
        headers.append(_CLOSE)
    head = request is not None and request.head
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else reply.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


# -- for the tooling (pyrpc.json's entrypoint) --------------------------------------------------


def find_app(module: ModuleType) -> RpcApp | None:
    """The module's ``RpcApp`` (made with ``create_app``), or None to have one built.

    Several are ambiguous: ``LookupError`` asks for ``module:attr`` in pyrpc.json.
    """
    apps = list({id(value): value for value in vars(module).values() if isinstance(value, RpcApp)}.values())
    if len(apps) > 1:
        raise LookupError(
            f"module {module.__name__!r} holds {len(apps)} pyRPC ASGI apps; "
            f"name one in pyrpc.json's entrypoint as '{module.__name__}:<attribute>'"
        )
    return apps[0] if apps else None


def endpoints(app: Any) -> list[Endpoint]:
    """The endpoint an ``RpcApp`` serves (none for any other app)."""
    return [app.endpoint] if isinstance(app, RpcApp) else []
