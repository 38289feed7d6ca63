"""Limits on what one request may hold and on what a worker takes on, so that hostile input
and load cost the server little.

``Limits`` is passed through every adapter (``create_app``/``mount``, pyrpc.json's
``endpoint.limits``). Every limit is answered the same way on every adapter:

- ``max_body_bytes``: HTTP 413, decided from ``Content-Length`` before the body is read, or
  while a chunked body streams in, as soon as it passes the limit;
- ``max_batch``, ``max_depth``, ``max_string``: JSON-RPC -32600 Invalid Request (HTTP 200),
  with ``id`` null, a message naming the limit and ``data`` ``{"limit": name, "max": value}``;
- ``timeout``: a call past its deadline is answered -32001 (``errors.TIMEOUT``);
- ``max_in_flight``, ``max_waiting``: beyond them a request is answered at once with HTTP 503
  and ``Retry-After``, never queued.

The checks cost almost nothing on ordinary requests: a body shorter than ``max_string``
cannot hold a longer string, and a body with no more than ``max_depth`` brackets cannot nest
deeper, so the parsed structure is only walked when the body's size or bracket count says
it might break a limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import INVALID_REQUEST

PARSER_MAX_DEPTH = 200
"""The deepest nesting the JSON parser (pydantic-core's jiter) accepts at all."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one HTTP request to the endpoint may hold. The defaults suit a public endpoint.

    - ``max_body_bytes``: the request body, in bytes (4 MiB);
    - ``max_batch``: the requests of one batch (1000);
    - ``max_depth``: the nesting of arrays and objects, the batch's own array included (200,
      which the parser itself enforces at no cost; a lower value costs a walk of nested bodies);
    - ``max_string``: the characters of any one string, object keys included (1 MiB);
    - ``timeout``: seconds a call may take, guards included, unless its procedure says
      otherwise (``@rpc(timeout=...)``); None: no deadline. An async call past it is
      cancelled; a sync call's thread cannot be stopped, so its caller is answered and the
      thread runs on until the function returns;
    - ``max_in_flight``: requests one endpoint answers at once (1000); more get 503;
    - ``max_waiting``: sync calls waiting for a worker thread (1000); more get 503;
    - ``threads``: the worker threads that run sync procedures under ASGI (40);
    - ``max_streams``: streams one endpoint sends at once (100); more get 503;
    - ``stream_seconds``: how long a stream may last, in seconds (None: as long as it yields);
      past it the stream ends with a -32001 error event;
    - ``stream_heartbeat``: seconds a stream stays silent before a ``: ping`` comment goes out
      (15), which keeps proxies from closing an idle connection and, under WSGI, is when the
      server finds out that a client has left.
    """

    max_body_bytes: int = 4 * 1024 * 1024
    max_batch: int = 1000
    max_depth: int = PARSER_MAX_DEPTH
    max_string: int = 1024 * 1024
    timeout: float | None = None
    max_in_flight: int = 1000
    max_waiting: int = 1000
    threads: int = 40
    max_streams: int = 100
    stream_seconds: float | None = None
    stream_heartbeat: float = 15.0

    def __post_init__(self) -> None:
        for name in (
            "max_body_bytes",
            "max_batch",
            "max_depth",
            "max_string",
            "max_in_flight",
            "threads",
            "max_streams",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, not {value!r}")
        if isinstance(self.max_waiting, bool) or not isinstance(self.max_waiting, int) or self.max_waiting < 0:
            raise ValueError(f"Limits.max_waiting must be an integer of 0 or more, not {self.max_waiting!r}")
        check_timeout(self.timeout, "Limits.timeout")
        check_timeout(self.stream_seconds, "Limits.stream_seconds")
        heartbeat = self.stream_heartbeat
        if isinstance(heartbeat, bool) or not isinstance(heartbeat, (int, float)) or not 0 < heartbeat < float("inf"):
            raise ValueError(f"Limits.stream_heartbeat must be a positive number of seconds, not {heartbeat!r}")

    def may_exceed(self, body: bytes) -> bool:
        """Whether ``body`` might break ``max_depth`` or ``max_string`` (then walk it with ``excess``).

        Both tests are conservative: a string decodes to no more characters than its bytes,
        and nesting needs one ``[`` or ``{`` per level, so False proves the body within limits.
        """
        if len(body) > self.max_string:
            return True
        # At the parser's own ceiling the parser has already checked the depth.
        return self.max_depth < PARSER_MAX_DEPTH and body.count(b"[") + body.count(b"{") > self.max_depth

    def excess(self, value: Any, depth: int = 0) -> str | None:
        """The name of the limit ``value`` (parsed JSON, nested ``depth`` deep) breaks, or None."""
        return _excess(value, depth, self.max_depth, self.max_string)


def _excess(value: Any, depth: int, max_depth: int, max_string: int) -> str | None:
    # Recursion is safe: the parser refuses anything nested deeper than PARSER_MAX_DEPTH.
    kind = type(value)
    if kind is str:
        return "max_string" if len(value) > max_string else None
    if kind is list:
        items = value
    elif kind is dict:
        for key in value:
            if len(key) > max_string:
                return "max_string"
        items = value.values()
    else:
        return None
    if depth >= max_depth:
        return "max_depth"
    for item in items:
        kind = type(item)
        if kind is str:
            if len(item) > max_string:
                return "max_string"
        elif kind is list or kind is dict:
            found = _excess(item, depth + 1, max_depth, max_string)
            if found is not None:
                return found
    return None


_WHAT = {
    "max_body_bytes": "request body larger than",
    "max_batch": "batch longer than",
    "max_depth": "nested deeper than",
    "max_string": "string longer than",
}


def limit_error(limits: Limits, name: str) -> dict[str, Any]:
    """The JSON-RPC error object saying that the request broke the limit ``name``."""
    value = getattr(limits, name)
    return {
        "code": INVALID_REQUEST,
        "message": f"Invalid Request: {_WHAT[name]} {name} ({value})",
        "data": {"limit": name, "max": value},
    }


def check_timeout(value: object, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is None or a positive number of seconds."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == float("inf"):
        raise ValueError(f"{what} must be a positive number of seconds (or None for no deadline), not {value!r}")
