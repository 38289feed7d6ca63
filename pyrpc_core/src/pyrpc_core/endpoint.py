"""The pyRPC HTTP endpoint, sans-IO: every HTTP rule in one place, so the wire is the same on every adapter.

An adapter only translates its framework's IO. For each request it calls ``receive`` with the
method, the path and a way to read request headers, and gets either a finished ``Reply``
(404, 405, 415, 413 from ``Content-Length``, a CORS preflight, ``OPTIONS``) or an ``Accepted``
request. For an accepted ``POST`` it reads the body, at most ``max_body_bytes`` of it
(``None`` when it is longer), and asks ``respond`` (or ``respond_sync`` under WSGI) for the
reply; for ``GET``/``HEAD`` it asks straight away. It then sends the reply as it is, adding
``Content-Length``, leaving the body out for ``HEAD`` and closing the connection when
``Reply.close`` says so (a refused body was left unread)::

    step = endpoint.receive(method, path, header)
    if isinstance(step, Reply):
        send(step)
    else:
        body = read_body(limit=endpoint.max_body_bytes) if step.wants_body else b""
        send(await endpoint.respond(step, body, make_context))

The rules: ``POST`` needs a JSON content type (``application/json`` or
``application/json-rpc``, any parameters): anything else is 415, so a browser cannot send a
call cross-site without a CORS preflight. ``GET`` and ``HEAD`` serve the introspection
document (404 when it is off, 403 when a guard refuses, run as for ``rpc.discover``).
``OPTIONS`` is a CORS preflight when CORS is configured, else 204 with ``Allow``. Other
methods are 405, other paths 404.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict, overload

from pydantic_core import to_json

from . import stream as sse
from .dispatch import ContextSource, Dispatcher, EventSource
from .errors import INVALID_REQUEST, OVERLOADED, RpcError
from .limits import Limits, limit_error
from .procedure import Procedure
from .registry import Registry
from .schema import build_schema, dump_schema
from .timers import TICK

if TYPE_CHECKING:
    from .plugins import PluginManager

Header = Callable[[str], "str | None"]
"""How the endpoint reads a request header: ``header("content-type")`` (lower-case name), None when absent."""

JSON_HEADERS: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
ALLOW = "GET, HEAD, POST, OPTIONS"
JSON_CONTENT_TYPES = frozenset({"application/json", "application/json-rpc"})

_SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})
"""Request headers browsers send without asking (the CORS-safelisted ones)."""

DISCOVER = "rpc.discover"
"""The name guards see for an introspection request (``GET``): OpenRPC's method name."""


def _discover() -> dict[str, Any]:
    """The introspection document (``GET`` on the endpoint)."""
    raise NotImplementedError  # never called: only guards see this procedure


DISCOVER_PROCEDURE = Procedure.from_function(_discover, name=DISCOVER)
"""What a guard receives as ``procedure`` when it runs for ``GET``; it is in no registry."""


def _json_error(error: dict[str, Any]) -> bytes:
    return b'{"jsonrpc":"2.0","error":' + to_json(error) + b',"id":null}'


class Reply(NamedTuple):
    """An HTTP answer to send as it is: status, body and headers (names lower-case).

    ``close``: the connection cannot serve another request (a body was left unread), so the
    adapter closes it, on ASGI with ``Connection: close``. (A tuple: one is made per request.)
    """

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = JSON_HEADERS
    close: bool = False
    stream: AsyncGenerator[bytes, None] | None = None
    """A streaming procedure's events (``body`` is empty): send each chunk as it comes, then end the body."""
    stream_sync: sse.SyncEvents | None = None
    """The same from ``respond_sync`` (WSGI): the response's iterable, which the server closes."""


NOT_FOUND = Reply(404, b'{"detail":"Not Found"}')
"""What every adapter answers for a path it does not serve, and for ``GET`` with introspection off."""

_NO_CONTENT = Reply(204, b"", ())

_OVERLOADED = Reply(
    503,
    _json_error({"code": OVERLOADED, "message": "Server overloaded: too many calls in flight; retry after 1 s"}),
    (*JSON_HEADERS, ("retry-after", "1")),
)

METHOD_NOT_ALLOWED = Reply(405, b'{"detail":"Method Not Allowed"}', (*JSON_HEADERS, ("allow", ALLOW)))


class Accepted(NamedTuple):
    """A request the endpoint takes: a call (``POST``, whose body is to be read) or introspection."""

    wants_body: bool
    """``POST``: read the body (at most ``Endpoint.max_body_bytes``) and pass it to ``respond``."""
    head: bool = False
    """``HEAD``: send the reply's headers and no body."""
    cors: tuple[tuple[str, str], ...] = ()
    """Headers ``respond`` adds to the reply (CORS, for an allowed origin)."""
    stream: bool = False
    """The client takes ``text/event-stream``: a streaming procedure's items go out as they come."""


_CALL = Accepted(wants_body=True)
_GET = Accepted(wants_body=False)
_HEAD = Accepted(wants_body=False, head=True)


@dataclass(frozen=True)
class CORS:
    """Which browser origins may call the endpoint (CORS is off unless one of these is given).

    ``allow_origins`` holds exact origins (``"https://app.example.com"``) or ``"*"`` for any;
    ``"*"`` cannot be combined with ``allow_credentials`` (every site could then call with the
    user's cookies). ``allow_headers`` are the request headers a page may send beyond the
    safelisted ones (``"*"``: any); ``expose_headers`` the response headers it may read;
    ``max_age`` how many seconds a browser may cache a preflight answer.
    """

    allow_origins: Iterable[str]
    allow_methods: Iterable[str] = ("GET", "POST")
    allow_headers: Iterable[str] = ("authorization", "content-type", "last-event-id")  # last-event-id: resumed streams
    expose_headers: Iterable[str] = ()
    allow_credentials: bool = False
    max_age: int = 600
    _origins: frozenset[str] = field(init=False, repr=False, compare=False)
    _headers: frozenset[str] = field(init=False, repr=False, compare=False)
    _methods: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.allow_origins, str):
            raise TypeError("CORS.allow_origins must be a list of origins, not one string")
        # Tuples, so that the object stays hashable and cannot change under a running server.
        for name in ("allow_origins", "allow_methods", "allow_headers", "expose_headers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "_origins", frozenset(origin.rstrip("/") for origin in self.allow_origins))
        object.__setattr__(self, "_headers", frozenset(name.lower() for name in self.allow_headers))
        object.__setattr__(self, "_methods", frozenset(method.upper() for method in self.allow_methods))
        if self.allow_credentials and "*" in self._origins:
            raise ValueError("CORS: allow_credentials cannot be combined with allow_origins=['*']; list the origins")
        if self.max_age < 0:
            raise ValueError(f"CORS.max_age must not be negative, not {self.max_age}")

    def allows(self, origin: str) -> bool:
        """Whether a page of ``origin`` may call the endpoint."""
        return "*" in self._origins or origin in self._origins

    def headers_for(self, origin: str | None) -> tuple[tuple[str, str], ...]:
        """The headers to add to an answer for a request from ``origin`` (none when not allowed)."""
        if origin is None or not self.allows(origin):
            return ()
        headers: list[tuple[str, str]] = []
        if "*" in self._origins and not self.allow_credentials:
            headers.append(("access-control-allow-origin", "*"))
        else:
            # The answer depends on the Origin header: caches must keep one copy per origin.
            headers += [("access-control-allow-origin", origin), ("vary", "Origin")]
        if self.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
        if self.expose_headers:
            headers.append(("access-control-expose-headers", ", ".join(self.expose_headers)))
        return tuple(headers)

    def preflight(self, origin: str, method: str, asked_headers: str | None) -> Reply:
        """The answer to a preflight: 204 with the ``Access-Control-Allow-*`` headers, or 403 without them."""
        if not self.allows(origin):
            return _refused("origin not allowed")
        if method.upper() not in self._methods:
            return _refused("method not allowed")
        asked = [name.strip().lower() for name in (asked_headers or "").split(",") if name.strip()]
        if "*" not in self._headers and any(
            name not in self._headers and name not in _SAFELISTED_HEADERS for name in asked
        ):
            return _refused("header not allowed")
        allowed_headers = ", ".join(asked) if "*" in self._headers else ", ".join(self.allow_headers)
        headers = [
            *self.headers_for(origin),
            ("access-control-allow-methods", ", ".join(self.allow_methods)),
            ("access-control-max-age", str(self.max_age)),
        ]
        if allowed_headers:
            headers.append(("access-control-allow-headers", allowed_headers))
        if ("vary", "Origin") not in headers:
            headers.append(("vary", "Origin"))
        return Reply(204, b"", tuple(headers))


def _refused(reason: str) -> Reply:
    return Reply(403, to_json({"detail": f"CORS preflight refused: {reason}"}))


class Options(TypedDict, total=False):
    """The options of an endpoint, taken by every adapter's ``create_app``/``mount`` as keywords.

    - ``debug``: put the type, text and traceback of unexpected errors into answers (never in production);
    - ``limits``: what one request may hold (``Limits()``, safe defaults, when absent);
    - ``introspection``: False makes ``GET`` answer 404;
    - ``cors``: the browser origins that may call (CORS is off when absent);
    - ``plugins``: the plugin manager (the installed plugins when absent; tests and tools pass their own).
    """

    debug: bool
    limits: Limits
    introspection: bool
    cors: CORS | None
    plugins: PluginManager


class Endpoint:
    """One pyRPC endpoint: a registry served at ``path``, with the HTTP rules of the module docstring.

    ``plugins`` (the installed ones when None) add procedures to the registry
    (``pyrpc_register_procedures``), amend its schema (``pyrpc_amend_schema``) and wrap its
    calls (``pyrpc_call``). The other keywords are ``Options``.
    """

    def __init__(
        self,
        registry: Registry,
        path: str = "/rpc",
        *,
        debug: bool = False,
        limits: Limits | None = None,
        introspection: bool = True,
        cors: CORS | None = None,
        plugins: PluginManager | None = None,
    ) -> None:
        if plugins is None:
            from .plugins import get_plugin_manager

            plugins = get_plugin_manager()
        plugins.prepare_registry(registry)
        self.path = path
        self.registry = registry
        self.plugins = plugins
        self.introspection = introspection
        self.cors = cors
        self.dispatcher = Dispatcher(registry, debug=debug, limits=limits, around_call=plugins.call_wrapper())
        self.limits = self.dispatcher.limits
        self.max_body_bytes = self.limits.max_body_bytes
        self._too_large = Reply(413, _json_error(limit_error(self.limits, "max_body_bytes")), close=True)
        self._schema: tuple[int, bytes] | None = None
        self.in_flight = 0
        """Requests being answered now (``Limits.max_in_flight``)."""
        self.streams = 0
        """Streams being sent now (``Limits.max_streams``)."""
        self._in_flight_lock = threading.Lock()  # respond_sync runs in many threads
        self._clients = _Clients()

    def __repr__(self) -> str:
        return f"<Endpoint {self.path} serving {self.registry!r}>"

    # -- the two steps -----------------------------------------------------------------------

    def receive(self, method: str, path: str, header: Header) -> Reply | Accepted:
        """What to do with a request, from its method, path and headers: a finished reply, or go on."""
        if path != self.path:
            return NOT_FOUND
        cors: tuple[tuple[str, str], ...] = ()
        if self.cors is not None:
            origin = header("origin")
            if method == "OPTIONS" and origin is not None:
                asked = header("access-control-request-method")
                if asked is not None:
                    return self.cors.preflight(origin, asked, header("access-control-request-headers"))
            cors = self.cors.headers_for(origin)
        if method == "POST":
            content_type = header("content-type")
            if content_type != "application/json" and (  # the usual one, at once
                content_type is None or content_type.partition(";")[0].strip().lower() not in JSON_CONTENT_TYPES
            ):
                return _with(_unsupported(content_type), cors)
            length = header("content-length")
            # isascii: "²".isdigit() is True too; more than 18 digits is over any limit (and int() may refuse it).
            if (
                length is not None
                and length.isascii()
                and length.isdigit()
                and (len(length) > 18 or int(length) > self.max_body_bytes)
            ):
                return _with(self._too_large, cors)
            if self.in_flight >= self.limits.max_in_flight or self.dispatcher.waiting >= self.limits.max_waiting:
                return _with(_OVERLOADED, cors)  # at once, before the body: a queue that only grows helps nobody
            accept = header("accept")
            if accept is not None and "text/event-stream" in accept:
                return Accepted(wants_body=True, cors=cors, stream=True)
            return Accepted(wants_body=True, cors=cors) if cors else _CALL
        if method == "GET" or method == "HEAD":
            if not self.introspection:
                return _with(NOT_FOUND, cors)
            if cors:
                return Accepted(wants_body=False, head=method == "HEAD", cors=cors)
            return _HEAD if method == "HEAD" else _GET
        if method == "OPTIONS":
            return Reply(204, b"", (("allow", ALLOW), *cors))
        return _with(METHOD_NOT_ALLOWED, cors)

    @overload
    async def respond(self, request: Accepted, body: bytes | None, context: ContextSource = None) -> Reply: ...

    @overload
    async def respond(
        self,
        request: Accepted,
        body: bytes | None,
        context: ContextSource = None,
        *,
        disconnected: Callable[[], Awaitable[bool]],
    ) -> Reply | None: ...

    async def respond(
        self,
        request: Accepted,
        body: bytes | None,
        context: ContextSource = None,
        *,
        disconnected: Callable[[], Awaitable[bool]] | None = None,
    ) -> Reply | None:
        """The reply to an accepted request; ``body`` is None when it was longer than ``max_body_bytes``.

        ``context`` is the request's ``Context`` or a function making it (called only when a
        procedure or a guard needs it). ``disconnected``, when given, waits for the client to
        go away and returns True then: a request still running after a moment starts waiting
        on it, and if the client leaves, the calls are cancelled (their ``finally`` runs) and
        the answer is None: nothing is to be sent.
        """
        self.in_flight += 1
        task = None
        if disconnected is not None:
            task = asyncio.current_task()
            assert task is not None
            self._clients.enter(task, disconnected)
        try:
            limits = self.limits
            if request.wants_body and (  # others came in while this body was read
                self.in_flight > limits.max_in_flight or self.dispatcher.waiting >= limits.max_waiting
            ):
                return _with(_OVERLOADED, request.cors)
            if not request.wants_body:
                try:
                    await self.dispatcher.run_guards(DISCOVER_PROCEDURE, context)
                    reply = Reply(200, self.schema_json())
                except Exception as exc:
                    reply = self._introspection_failure(exc)
            elif body is None:
                reply = self._too_large
            elif request.stream:
                opened = await self.dispatcher.open_stream(body, context)
                if isinstance(opened, EventSource):
                    if self.streams >= limits.max_streams:
                        return _with(_OVERLOADED, request.cors)
                    events = self._stream(opened, disconnected)
                    return Reply(200, b"", sse.HEADERS + request.cors, stream=events)
                reply = _NO_CONTENT if opened is None else Reply(200, opened)
            else:
                answer = await self.dispatcher.dispatch(body, context)
                reply = _NO_CONTENT if answer is None else Reply(200, answer)
            return _with(reply, request.cors) if request.cors else reply
        except asyncio.CancelledError:
            if task is None or not self._clients.gone(task):
                raise
            task.uncancel()  # the client left: nothing to send, and no one to tell
            return None
        finally:
            self.in_flight -= 1
            if task is not None:
                self._clients.leave(task)

    async def _stream(
        self, stream: EventSource, disconnected: Callable[[], Awaitable[bool]] | None
    ) -> AsyncGenerator[bytes, None]:
        """A stream's events, counted (``Limits.max_streams``) and watched for the client leaving."""
        self.streams += 1
        task = asyncio.current_task()
        if disconnected is not None and task is not None:
            self._clients.enter(task, disconnected)
        events = sse.events(stream, seconds=self.limits.stream_seconds, heartbeat=self.limits.stream_heartbeat)
        try:
            async for chunk in events:
                yield chunk
        except asyncio.CancelledError:
            if task is None or not self._clients.gone(task):
                raise
            task.uncancel()  # the client left: the procedure was stopped, and there is no one to tell
        finally:
            await events.aclose()
            self.streams -= 1
            if disconnected is not None and task is not None:
                self._clients.leave(task)

    def respond_sync(
        self,
        request: Accepted,
        body: bytes | None,
        context: ContextSource = None,
        *,
        disconnected: Callable[[], bool] | None = None,
    ) -> Reply:
        """``respond`` from a worker thread (WSGI): sync procedures run in it, async ones on the dispatcher's loop.

        A stream's reply carries its events as ``stream_sync``, the response's iterable; the
        server closes it when the response ends or the client leaves. ``disconnected``, when
        the server can tell (waitress: ``environ.get("waitress.client_disconnected")``), returns
        True once the client has left, so a stream stops within ``TICK`` rather than at the next
        write.
        """
        with self._in_flight_lock:
            self.in_flight += 1
        try:
            if request.wants_body and self._overloaded():  # others came in while this body was read
                return _with(_OVERLOADED, request.cors)
            return self._respond_sync(request, body, context, disconnected)
        finally:
            with self._in_flight_lock:
                self.in_flight -= 1

    def _respond_sync(
        self, request: Accepted, body: bytes | None, context: ContextSource, disconnected: Callable[[], bool] | None
    ) -> Reply:
        if not request.wants_body:
            try:
                self.dispatcher.run_guards_sync(DISCOVER_PROCEDURE, context)
                reply = Reply(200, self.schema_json())
            except Exception as exc:
                reply = self._introspection_failure(exc)
        elif body is None:
            reply = self._too_large
        elif request.stream:
            opened = self.dispatcher.open_stream_sync(body, context)
            if isinstance(opened, EventSource):
                return self._stream_sync(opened, request.cors, disconnected)
            reply = _NO_CONTENT if opened is None else Reply(200, opened)
        else:
            answer = self.dispatcher.dispatch_sync(body, context)
            reply = _NO_CONTENT if answer is None else Reply(200, answer)
        return _with(reply, request.cors) if request.cors else reply

    def _stream_sync(
        self, stream: EventSource, cors: tuple[tuple[str, str], ...], disconnected: Callable[[], bool] | None
    ) -> Reply:
        """A stream's reply under WSGI: its slot taken now (``Limits.max_streams``), given back on ``close()``."""
        with self._in_flight_lock:
            if self.streams >= self.limits.max_streams:
                return _with(_OVERLOADED, cors)
            self.streams += 1
        events = sse.SyncEvents(
            stream,
            seconds=self.limits.stream_seconds,
            heartbeat=self.limits.stream_heartbeat,
            disconnected=disconnected,
            closed=self._stream_closed,
        )
        return Reply(200, b"", sse.HEADERS + cors, stream_sync=events)

    def _stream_closed(self) -> None:
        with self._in_flight_lock:
            self.streams -= 1

    def _overloaded(self) -> bool:
        """Past ``max_in_flight`` (this request counted) or ``max_waiting``: answered 503 unread."""
        return self.in_flight > self.limits.max_in_flight or self.dispatcher.waiting >= self.limits.max_waiting

    # -- introspection ---------------------------------------------------------------------

    def schema(self) -> dict[str, Any]:
        """The introspection document ``GET`` serves: the registry's schema (plugins' amendments
        included) and the limits a client must keep to (``limits``: ``max_batch``, ``max_body_bytes``).

        Read-only: unchanged parts are shared with earlier documents (see ``build_schema``).
        """
        document = build_schema(self.registry, self.plugins)
        limits = {"max_batch": self.limits.max_batch, "max_body_bytes": self.limits.max_body_bytes}
        return {**document, "limits": limits}

    def schema_json(self) -> bytes:
        """The introspection document as bytes, rebuilt only when the registry changed."""
        cached = self._schema
        version = self.registry.version
        if cached is None or cached[0] != version:
            cached = (version, dump_schema(self.schema()))
            self._schema = cached
        return cached[1]

    def _introspection_failure(self, exc: Exception) -> Reply:
        if isinstance(exc, RpcError):
            try:
                return Reply(403, _json_error(exc.to_dict()))
            except Exception as unsendable:  # data JSON cannot carry
                exc = unsendable
        return Reply(500, self.dispatcher.internal_error(b"null", exc, "introspection (GET) failed"))


class _Clients:
    """The clients of the requests in flight, listened to once a request has run a ``TICK``:
    when one leaves (``disconnected()`` returns True), its request's task is cancelled.

    A request costs a dict entry; one timer per endpoint runs while requests are in flight.
    """

    def __init__(self) -> None:
        self._running: dict[asyncio.Task[Any], _Client] = {}
        self._timer: asyncio.TimerHandle | None = None

    def enter(self, task: asyncio.Task[Any], disconnected: Callable[[], Awaitable[bool]]) -> None:
        self._running[task] = _Client(disconnected)
        if self._timer is None:
            self._timer = task.get_loop().call_later(TICK, self._tick)

    def gone(self, task: asyncio.Task[Any]) -> bool:
        client = self._running.get(task)
        return client is not None and client.gone

    def leave(self, task: asyncio.Task[Any]) -> None:
        client = self._running.pop(task)
        if client.listener is not None:
            client.listener.cancel()

    def _tick(self) -> None:
        self._timer = None
        for task, client in list(self._running.items()):
            if not client.seen:  # it began within the last tick: most are answered before the next
                client.seen = True
            elif client.listener is None:
                client.listener = task.get_loop().create_task(self._listen(task, client))
        if self._running:
            self._timer = next(iter(self._running)).get_loop().call_later(TICK, self._tick)

    @staticmethod
    async def _listen(task: asyncio.Task[Any], client: _Client) -> None:
        if await client.disconnected():
            client.gone = True
            task.cancel()


class _Client:
    __slots__ = ("disconnected", "gone", "listener", "seen")

    def __init__(self, disconnected: Callable[[], Awaitable[bool]]) -> None:
        self.disconnected = disconnected
        self.seen = False
        self.gone = False
        self.listener: asyncio.Task[None] | None = None


def _unsupported(content_type: str | None) -> Reply:
    given = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
    error = {
        "code": INVALID_REQUEST,
        "message": f"Unsupported Media Type: a JSON-RPC call needs Content-Type: application/json, not {given}",
    }
    return Reply(415, _json_error(error))


def _with(reply: Reply, headers: tuple[tuple[str, str], ...]) -> Reply:
    if not headers:
        return reply
    return Reply(reply.status, reply.body, reply.headers + headers, reply.close)
