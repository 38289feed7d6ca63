"""The pyRPC endpoint as a plain ASGI 3 application, with no framework underneath."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pyrpc_core import Context, Dispatcher, Headers, Registry
from pyrpc_core import registry as default_registry

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON_HEADERS = [(b"content-type", b"application/json")]


class RpcApp:
    """``POST path`` answers JSON-RPC 2.0, ``GET path`` serves the introspection document.

    Other methods on the path get 405, other paths 404. Sync procedures run in worker
    threads, so a slow one never blocks the event loop.
    """

    def __init__(self, registry: Registry | None = None, path: str = "/rpc", *, debug: bool = False) -> None:
        self.dispatcher = Dispatcher(registry if registry is not None else default_registry, debug=debug)
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
        if method == "POST":
            body = await _read_body(receive)
            answer = await self.dispatcher.dispatch(body, lambda: _context(scope))
            if answer is None:
                await _respond(send, 204, b"", headers=[])
            else:
                await _respond(send, 200, answer)
        elif method in ("GET", "HEAD"):
            schema = self.dispatcher.schema_json()
            await _respond(send, 200, b"" if method == "HEAD" else schema, length=len(schema))
        else:
            await _respond(send, 405, b'{"detail":"Method Not Allowed"}', extra=[(b"allow", b"GET, HEAD, POST")])


def _context(scope: Scope) -> Context:
    headers = Headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"])
    client = scope.get("client")
    return Context(headers=headers, client=(client[0], client[1]) if client else None)


def create_app(registry: Registry | None = None, path: str = "/rpc", *, debug: bool = False) -> RpcApp:
    """An ASGI app serving ``registry`` (the default registry when None) at ``path``."""
    return RpcApp(registry, path, debug=debug)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
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
