"""Errors that travel over the wire as JSON-RPC 2.0 error objects."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Mapping
from typing import Any, ClassVar, TypeVar
from weakref import WeakKeyDictionary

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

    A subclass with a fixed ``code`` is a *declared error*: list it in ``@rpc(errors=[...])``
    and the schema and the TypeScript types know it (``docs/typescript.md``, Declared errors)::

        class NotFound(RpcError):
            code = 4004
            message = "not found"  # the default message (else the class name)
            data: NotFoundData  # optional: the type of ``data``, anything pydantic takes

        raise NotFound(data=NotFoundData(id=7))  # or data={"id": 7}; message= overrides the default

    ``data`` is validated into the declared type when the error is made (a dict for a model
    becomes the model, read by alias or by name; a value that does not fit is a ``TypeError``
    at the ``raise``) and sent as results are: serialized by alias, always present (``null``
    included). Without a ``data`` annotation, ``data`` is anything, as for ``RpcError`` itself.
    """

    code: int
    message: str
    data: Any
    # A declared error's fixed code and default message, read once per class (not per raise).
    _fixed_code: ClassVar[int | None] = None
    _default_message: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fixed_code = fixed_code(cls)
        cls._default_message = default_message(cls)

    def __init__(self, code: int | None = None, message: str | None = None, data: Any = None) -> None:
        cls = type(self)
        fixed = cls._fixed_code
        if code is None:
            if fixed is None:
                raise TypeError(f"{cls.__name__} needs a code: {cls.__name__}(code=4004, message=..., data=...)")
            code = fixed
        elif fixed is not None and code != fixed:
            raise TypeError(
                f"{cls.__name__} has the fixed code {fixed}, not {code}; "
                f"raise RpcError(code={code}, ...) or another declared error for that code"
            )
        if message is None:
            if fixed is None:
                raise TypeError(f"{cls.__name__} needs a message: {cls.__name__}(code=..., message=..., data=...)")
            message = cls._default_message
        super().__init__(message)
        self.code = code
        self.message = message
        adapter = data_adapter(cls)
        if adapter is not None:
            from pydantic import ValidationError

            try:
                data = adapter.validate_python(data, by_alias=True, by_name=True)
            except ValidationError as exc:
                raise TypeError(
                    f"{cls.__name__}(data=...): the data does not fit its declared type "
                    f"{_type_name(declared_data(cls)[1])}: {exc}"
                ) from None
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        """The JSON-RPC error object; ``data`` is left out when it is None (a declared error's is always there)."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        adapter = data_adapter(type(self))
        if adapter is not None:
            error["data"] = adapter.dump_python(self.data, mode="json", by_alias=True)
        elif self.data is not None:
            error["data"] = self.data
        return error

    def data_json(self) -> bytes | None:
        """A declared error's ``data`` as JSON, serialized through its declared type (by alias); else None."""
        adapter = data_adapter(type(self))
        return None if adapter is None else adapter.dump_json(self.data, by_alias=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, data={self.data!r})"


# The declared error classes' data types, resolved once (``declared_data``) and their adapters.
_DATA_TYPES: WeakKeyDictionary[type, tuple[bool, Any]] = WeakKeyDictionary()
_ADAPTERS: WeakKeyDictionary[type, Any] = WeakKeyDictionary()


def fixed_code(cls: type[RpcError]) -> int | None:
    """The code a declared error class fixes (``code = 4004``), or None (``RpcError`` itself)."""
    for klass in cls.__mro__:
        if klass is RpcError:
            return None
        value = klass.__dict__.get("code")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def declared_message(cls: type[RpcError]) -> str | None:
    """The ``message`` a declared error class sets (``message = "not found"``), or None."""
    for klass in cls.__mro__:
        if klass is RpcError:
            break
        value = klass.__dict__.get("message")
        if isinstance(value, str):
            return value
    return None


def default_message(cls: type[RpcError]) -> str:
    """A declared error class's ``message``, else its name."""
    message = declared_message(cls)
    return cls.__name__ if message is None else message


def declared_data(cls: type[RpcError], localns: Mapping[str, Any] | None = None) -> tuple[bool, Any]:
    """``(True, type)`` when the class annotates ``data`` (or a base below ``RpcError`` does), else ``(False, None)``.

    Resolved once per class; ``localns`` resolves names of types defined beside the class
    (``@rpc(errors=...)`` passes the caller's locals). A name that cannot be resolved raises ``NameError``.
    """
    known = _DATA_TYPES.get(cls)
    if known is not None:
        return known
    found: tuple[bool, Any] = (False, None)
    for klass in cls.__mro__:
        if klass is RpcError or klass is object:
            break
        if "data" in inspect.get_annotations(klass):
            hints = typing.get_type_hints(klass, localns=dict(localns or {}), include_extras=True)
            found = (True, hints["data"])
            break
    _DATA_TYPES[cls] = found
    return found


def data_adapter(cls: type[RpcError]) -> Any:
    """The ``TypeAdapter`` of a declared error's data type (made once), or None when it declares none."""
    if cls is RpcError:
        return None
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        declared, data_type = declared_data(cls)
        if not declared:
            return None
        from pydantic import TypeAdapter

        adapter = _ADAPTERS[cls] = TypeAdapter(data_type)
    return adapter


def _type_name(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else repr(annotation)


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
