"""A Python client for any pyRPC server: ``RPCClient(url).add(1, 2)``.

Attribute access builds the procedure name (``client.users.get(id=1)`` calls ``users.get``);
``client.call(name, ...)`` reaches names that attributes cannot (``close``, ``batch``,
``stream``). Calls take positional or keyword arguments, not both, as JSON-RPC params are an
array or an object.

A streaming procedure (a generator on the server) is called through ``client.stream``, which
returns a ``Stream``: its items as they come, an iterator::

    with client.stream.progress("job-1") as steps:
        for step in steps:
            print(step)

The call says it streams, rather than the client guessing from the answer: without the schema
the client cannot know which procedures stream, and a call that returns a value for some
procedures and an iterator for others (by what the server answered) would surprise its caller
and fool type checkers; ``client.stream.x`` always gives a ``Stream`` and ``client.x`` never does.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import threading
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

from pydantic_core import to_json

from .errors import RpcError, fixed_code


class TransportError(Exception):
    """The server could not be reached, or answered with something that is not JSON-RPC."""


class RPCClient:
    """A synchronous JSON-RPC 2.0 client over one kept-alive HTTP connection.

    ``url`` is the server (``http://127.0.0.1:8000``, the path defaults to ``/rpc``) or the
    full endpoint. Thread-safe: calls from several threads take turns on the connection.
    ``errors`` are declared errors (``RpcError`` subclasses with a fixed code, as listed in
    ``@rpc(errors=[...])``): an error answer with one of their codes raises that class, its data
    validated into the declared type (plain ``RpcError`` when it does not fit); any other, ``RpcError``.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        errors: Iterable[type[RpcError]] = (),
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"RPCClient needs an http:// or https:// URL, got {url!r}")
        self._scheme = parts.scheme
        self._netloc = parts.netloc
        self._path = parts.path if parts.path not in ("", "/") else "/rpc"
        self._headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None
        self._errors: dict[int, type[RpcError]] = {}
        for error in errors:
            code = fixed_code(error)
            if code is None:
                raise ValueError(f"RPCClient(errors=...) takes RpcError subclasses with a fixed code, not {error!r}")
            self._errors[code] = error

    # -- calls ---------------------------------------------------------------------------

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``method`` and return its result; an error response raises ``RpcError``."""
        response = self._post(_request(method, args, kwargs, next(self._ids)))
        if not isinstance(response, dict):
            raise TransportError(f"expected one JSON-RPC response, got {response!r}")
        return _unwrap(response, self._errors)

    def notify(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Send a notification: the server runs it and answers nothing."""
        self._post(_request(method, args, kwargs, None))

    def batch(self) -> Batch:
        """Collect calls and send them as one JSON-RPC batch when the ``with`` block ends."""
        return Batch(self)

    @property
    def stream(self) -> Streams:
        """Streaming calls: ``client.stream.progress("job")`` is a ``Stream`` of ``progress``' items."""
        return Streams(self)

    def stream_call(self, method: str, *args: Any, last_event_id: str | int | None = None, **kwargs: Any) -> Stream:
        """Call the streaming procedure ``method``: a ``Stream`` of its items, as they come.

        ``last_event_id`` resumes a stream whose connection dropped: the procedure goes on after
        the item of that id (``Stream.last_event_id`` of the stream that dropped). The request is
        sent now: a refused call (an unknown method, invalid params, a guard) raises ``RpcError``
        here, as does a server with too many streams (-32002, HTTP 503).
        """
        payload = _encode(_request(method, args, kwargs, next(self._ids)))
        return Stream(self, method, payload, None if last_event_id is None else str(last_event_id))

    def schema(self) -> dict[str, Any]:
        """The server's introspection document (``GET`` on the endpoint)."""
        result = self._request("GET", None)
        if not isinstance(result, dict):
            raise TransportError(f"expected the schema document, got {result!r}")
        return result

    def __getattr__(self, name: str) -> _Method:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Method(self.call, name)

    # -- transport -----------------------------------------------------------------------

    def _post(self, payload: Any) -> Any:
        return self._request("POST", _encode(payload))

    def _request(self, method: str, body: bytes | None) -> Any:
        with self._lock:
            try:
                status, data = self._exchange(method, body)
            except (ConnectionError, http.client.HTTPException):
                # A kept-alive connection the server has closed: one fresh try, as browsers do.
                self.close()
                try:
                    status, data = self._exchange(method, body)
                except (OSError, http.client.HTTPException) as exc:
                    self.close()
                    raise TransportError(f"cannot reach {self._scheme}://{self._netloc}{self._path}: {exc}") from exc
            except OSError as exc:
                self.close()
                raise TransportError(f"cannot reach {self._scheme}://{self._netloc}{self._path}: {exc}") from exc
        if status == 204:
            return None
        try:
            return json.loads(data)
        except ValueError as exc:
            raise TransportError(f"HTTP {status} with a body that is not JSON: {data[:200]!r}") from exc

    def _connect(self) -> http.client.HTTPConnection:
        factory = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return factory(self._netloc, timeout=self._timeout)

    def _exchange(self, method: str, body: bytes | None) -> tuple[int, bytes]:
        if self._connection is None:
            self._connection = self._connect()
        self._connection.request(method, self._path, body=body, headers=self._headers)
        response = self._connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        """Close the connection (the next call opens a new one)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> RPCClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Streams:
    """``client.stream``: attributes name a streaming procedure (``client.stream.jobs.progress``),
    calling one sends the call and returns its ``Stream``; ``client.stream_call`` takes options."""

    def __init__(self, client: RPCClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> _Method:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Method(self._client.stream_call, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "client.stream is the namespace of streaming calls: client.stream.<procedure>(...); "
            "call a procedure named 'stream' with client.call('stream', ...)"
        )


class Stream(Iterator[Any]):
    """The items of one call of a streaming procedure, as the server sends them.

    Iterate it (``for item in stream``): each item is its JSON value, as ``call`` returns
    results. The iteration stops when the procedure is done; an error the procedure raised (or a
    stream past the server's ``stream_seconds``) raises ``RpcError``; a connection that drops
    before the end raises ``TransportError``, and ``client.stream_call(method, ...,
    last_event_id=stream.last_event_id)`` resumes after the last item received.

    A stream has a connection of its own, open until the stream ends: ``close()`` it (or use
    ``with``) when you stop early, which stops the procedure on the server (its ``finally``
    runs). A stream that is dropped unfinished is closed too. The client's ``timeout`` bounds
    the wait between two events; the server sends a ping every ``Limits.stream_heartbeat``
    seconds (15) while the procedure is idle, so keep the timeout above it.
    """

    def __init__(self, client: RPCClient, method: str, payload: bytes, last_event_id: str | None) -> None:
        self.method = method
        self.last_event_id = last_event_id
        """The id of the last item received (the one resumed after, before the first)."""
        self._closed = True
        self._errors = client._errors
        self._where = f"{client._scheme}://{client._netloc}{client._path}"
        headers = {**client._headers, "Accept": "text/event-stream, application/json"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self._connection = client._connect()
        try:
            self._connection.request("POST", client._path, body=payload, headers=headers)
            self._response = self._connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            self._connection.close()
            raise TransportError(f"cannot reach {self._where}: {exc}") from exc
        self._closed = False
        if not self._response.getheader("content-type", "").startswith("text/event-stream"):
            self._refused()

    def _refused(self) -> None:
        """The server answered with JSON, not a stream: why, raised."""
        try:
            status, data = self._response.status, self._response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"cannot read the answer of {self._where}: {exc}") from exc
        finally:
            self.close()
        try:
            answer = json.loads(data)
        except ValueError as exc:
            raise TransportError(f"HTTP {status}, a body neither JSON nor a stream: {data[:200]!r}") from exc
        if isinstance(answer, dict) and "error" in answer:
            _unwrap(answer, self._errors)
        raise TransportError(
            f"{self.method} answered with one result, not a stream: it is not a streaming procedure, "
            f"call it as client.call({self.method!r}, ...)"
        )

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> Any:
        while not self._closed:
            try:
                event = self._read_event()
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self.close()
                raise TransportError(
                    f"the stream of {self.method} broke off ({exc}); resume it with "
                    f"last_event_id={self.last_event_id!r}"
                ) from exc
            if event is None:
                self.close()
                raise TransportError(
                    f"the stream of {self.method} ended before the procedure did (the connection dropped); "
                    f"resume it with last_event_id={self.last_event_id!r}"
                )
            kind, data, event_id = event
            if kind == "message":
                if event_id is not None:
                    self.last_event_id = event_id
                return json.loads(data)
            if kind == "done":
                self.close()
                break
            if kind == "error":
                self.close()
                answer = json.loads(data)
                _unwrap(answer if isinstance(answer, dict) and "error" in answer else {"error": {}}, self._errors)
        raise StopIteration

    def _read_event(self) -> tuple[str, str, str | None] | None:
        """The next event with data, as (event type, data, id); None when the body ends first.

        Server-Sent Events as the HTML standard reads them: ``field: value`` lines, a blank line
        ends an event, comments (``: ping``) are skipped, several ``data`` lines are joined.
        """
        kind, data, event_id = "message", None, None
        while True:
            raw = self._response.readline()
            if not raw:
                return None
            line = raw.decode("utf-8").rstrip("\r\n")
            if not line:
                if data is not None:
                    return kind, data, event_id
                kind, data, event_id = "message", None, None
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "data":
                data = value if data is None else data + "\n" + value
            elif field == "event":
                kind = value
            elif field == "id" and "\0" not in value:
                event_id = value

    def close(self) -> None:
        """Hang up (the server stops the procedure); the iteration ends. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError, http.client.HTTPException):
            self._response.close()  # its connection's socket, when the server said Connection: close
        self._connection.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()


class Batch:
    """Calls collected in a ``with client.batch() as batch:`` block, sent together at its end.

    Each call returns a ``Pending``; its ``result()`` is available after the block.
    """

    def __init__(self, client: RPCClient) -> None:
        self._client = client
        self._requests: list[dict[str, Any]] = []
        self._pending: dict[int, Pending] = {}

    def call(self, method: str, *args: Any, **kwargs: Any) -> Pending:
        request_id = next(self._client._ids)
        self._requests.append(_request(method, args, kwargs, request_id))
        pending = self._pending[request_id] = Pending(method, self._client._errors)
        return pending

    def notify(self, method: str, *args: Any, **kwargs: Any) -> None:
        self._requests.append(_request(method, args, kwargs, None))

    def __getattr__(self, name: str) -> _Method:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Method(self.call, name)

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None or not self._requests:
            return
        responses = self._client._post(self._requests) or []
        if not isinstance(responses, list):
            # A whole-batch error (the server could not read it) fails every call.
            responses = [{**responses, "id": request_id} for request_id in self._pending]
        for response in responses:
            pending = self._pending.get(response.get("id"))
            if pending is not None:
                pending._settle(response)
        for pending in self._pending.values():
            if not pending._done:
                pending._settle({"error": {"code": -32603, "message": "no response for this call"}})


class Pending:
    """The outcome of one call of a batch."""

    def __init__(self, method: str, errors: Mapping[int, type[RpcError]] | None = None) -> None:
        self.method = method
        self._errors = errors or {}
        self._done = False
        self._response: dict[str, Any] = {}

    def _settle(self, response: dict[str, Any]) -> None:
        self._response = response
        self._done = True

    def result(self) -> Any:
        """The result, or ``RpcError`` raised; only after the batch was sent."""
        if not self._done:
            raise RuntimeError(f"the batch holding {self.method!r} has not been sent yet")
        return _unwrap(self._response, self._errors)


class _Method:
    """``client.users`` is a namespace, ``client.users.get(...)`` a call."""

    def __init__(self, invoke: Any, name: str) -> None:
        self._invoke = invoke
        self._name = name

    def __getattr__(self, name: str) -> _Method:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Method(self._invoke, f"{self._name}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._invoke(self._name, *args, **kwargs)


def _encode(payload: Any) -> bytes:
    """``payload`` as JSON; a pydantic model among the arguments goes by alias, the names the server validates."""
    return to_json(payload, by_alias=True)


def _request(method: str, args: tuple[Any, ...], kwargs: dict[str, Any], request_id: int | None) -> dict[str, Any]:
    if args and kwargs:
        raise TypeError(
            f"{method}: pass arguments by position or by name, not both (JSON-RPC params are one or the other)"
        )
    request: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if args or kwargs:
        request["params"] = list(args) if args else kwargs
    if request_id is not None:
        request["id"] = request_id
    return request


def _unwrap(response: dict[str, Any], errors: Mapping[int, type[RpcError]]) -> Any:
    """The result of a response, or its error raised: the declared class of its code when there is one."""
    if "error" in response:
        error = response["error"]
        code, message, data = error.get("code", -32603), error.get("message", ""), error.get("data")
        declared = errors.get(code) if isinstance(code, int) else None
        if declared is not None:
            try:
                raised = declared(message=message, data=data)
            except TypeError:  # data that does not fit the declared type: as sent, then
                pass
            else:
                raise raised
        raise RpcError(code, message, data)
    return response.get("result")
