"""Errors that travel over the wire as JSON-RPC 2.0 error objects."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")

# The codes JSON-RPC 2.0 reserves (section 5.1 of the specification).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# pyRPC's own server errors, in the range JSON-RPC 2.0 leaves to implementations (-32000..-32099).
TIMEOUT = -32001
"""A call ran past its deadline (``@rpc(timeout=...)`` or ``Limits.timeout``); ``data``: ``{"timeout": seconds}``."""
OVERLOADED = -32002
"""The server has too much in hand (``Limits.max_in_flight``, ``max_waiting``): HTTP 503 with ``Retry-After``."""
STREAM_ONLY = -32003
"""A streaming procedure called as a plain call (in a batch, or without ``Accept: text/event-stream``)."""


class RpcError(Exception):
    """An error a procedure raises on purpose; it reaches the client exactly as raised.

    ``code`` is any integer (application codes should avoid -32768..-32000, which the
    specification reserves); ``data`` is anything JSON can carry.
    """

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        """The JSON-RPC error object; ``data`` is left out when it is None."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    def __repr__(self) -> str:
        return f"RpcError(code={self.code!r}, message={self.message!r}, data={self.data!r})"


class RegistrationError(Exception):
    """A procedure that cannot be registered: a duplicate name, or a signature JSON cannot carry."""


class AnnotationWarning(UserWarning):
    """A procedure's parameter or result has no annotation: it is any JSON value, ``unknown`` in TypeScript."""


class ProcedureExit(Exception):
    """A procedure called ``sys.exit``: an error of that call (-32603), never an exit of the server."""


async def exits_as_errors(coroutine: Awaitable[T]) -> T:
    """Await ``coroutine``; its ``SystemExit`` becomes a ``ProcedureExit``.

    A task whose coroutine raises ``SystemExit`` re-raises it out of the event loop, which
    would stop the server: a procedure run as a task of its own goes through this.
    """
    try:
        return await coroutine
    except SystemExit as exc:
        raise ProcedureExit(f"the procedure called sys.exit({exc.code!r})") from exc
