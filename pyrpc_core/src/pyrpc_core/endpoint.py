"""The HTTP decisions every adapter shares, so that the wire is the same on all of them.

Adapters stay thin: they read the few request headers these functions need, call them, and
send the ``Reply`` they get (or go on with the call when they get None). Nothing here knows
a web framework.

- ``body_refusal``: 413 from ``Content-Length``, before the body is read; ``too_large`` is
  the same answer for a chunked body that streamed past the limit;
- ``preflight``: the answer to a CORS preflight (``OPTIONS`` with
  ``Access-Control-Request-Method``), when CORS is configured;
- ``cors_headers``: the headers that let a browser read an answer, for an allowed origin;
- ``Dispatcher.introspect``/``introspect_sync`` (in ``dispatch.py``) give the ``GET``
  answer: 404 when introspection is off, 403 when a guard refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic_core import to_json

from .limits import Limits, limit_error

JSON_CONTENT_TYPE = ("content-type", "application/json")

_SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})
"""Request headers browsers send without asking (the CORS-safelisted ones)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer an adapter sends as it is: status, body and headers (names lower-case)."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = (JSON_CONTENT_TYPE,)


NOT_FOUND = Reply(404, b'{"detail":"Not Found"}')
"""What every adapter answers for a path it does not serve, and for ``GET`` with introspection off."""


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
    allow_headers: Iterable[str] = ("authorization", "content-type")
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


def cors_headers(cors: CORS | None, origin: str | None) -> tuple[tuple[str, str], ...]:
    """The headers to add to an answer for a request from ``origin`` (none when not allowed)."""
    if cors is None or origin is None or not cors.allows(origin):
        return ()
    headers: list[tuple[str, str]] = []
    if "*" in cors._origins and not cors.allow_credentials:
        headers.append(("access-control-allow-origin", "*"))
    else:
        # The answer depends on the Origin header: caches must keep one copy per origin.
        headers += [("access-control-allow-origin", origin), ("vary", "Origin")]
    if cors.allow_credentials:
        headers.append(("access-control-allow-credentials", "true"))
    if cors.expose_headers:
        headers.append(("access-control-expose-headers", ", ".join(cors.expose_headers)))
    return tuple(headers)


def preflight(
    cors: CORS | None, origin: str | None, request_method: str | None, request_headers: str | None
) -> Reply | None:
    """The answer to ``OPTIONS`` when it is a CORS preflight and CORS is configured, else None.

    An allowed preflight gets 204 with the ``Access-Control-Allow-*`` headers; one asking for
    an origin, a method or a header that is not allowed gets 403 without them, so the browser
    refuses the call. None leaves ``OPTIONS`` to the adapter's usual answer.
    """
    if cors is None or origin is None or request_method is None:
        return None
    if not cors.allows(origin):
        return _refused("origin not allowed")
    if request_method.upper() not in cors._methods:
        return _refused("method not allowed")
    asked = [name.strip().lower() for name in (request_headers or "").split(",") if name.strip()]
    if "*" not in cors._headers and any(
        name not in cors._headers and name not in _SAFELISTED_HEADERS for name in asked
    ):
        return _refused("header not allowed")
    allowed_headers = ", ".join(asked) if "*" in cors._headers else ", ".join(cors.allow_headers)
    headers = [
        *cors_headers(cors, origin),
        ("access-control-allow-methods", ", ".join(cors.allow_methods)),
        ("access-control-max-age", str(cors.max_age)),
    ]
    if allowed_headers:
        headers.append(("access-control-allow-headers", allowed_headers))
    if ("vary", "Origin") not in headers:
        headers.append(("vary", "Origin"))
    return Reply(204, b"", tuple(headers))


def _refused(reason: str) -> Reply:
    return Reply(403, to_json({"detail": f"CORS preflight refused: {reason}"}))


def body_refusal(limits: Limits, content_length: str | bytes | None) -> Reply | None:
    """413 when the declared ``Content-Length`` is over ``limits.max_body_bytes``, else None.

    A missing or unreadable length is left to the server (chunked bodies are counted while
    they are read, with ``too_large``).
    """
    if content_length is None:
        return None
    try:
        length = int(content_length)
    except ValueError:
        return None
    return too_large(limits) if length > limits.max_body_bytes else None


def too_large(limits: Limits) -> Reply:
    """The 413 answer: a JSON-RPC error (id null) naming ``max_body_bytes``.

    The rest of the body is never read, so an ASGI adapter should also say
    ``Connection: close`` (WSGI apps may not: the server decides).
    """
    body = b'{"jsonrpc":"2.0","error":' + to_json(limit_error(limits, "max_body_bytes")) + b',"id":null}'
    return Reply(413, body)
