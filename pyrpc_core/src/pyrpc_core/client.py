"""A Python client for any pyRPC server: ``RPCClient(url).add(1, 2)``.

Attribute access builds the procedure name (``client.users.get(id=1)`` calls ``users.get``);
``client.call(name, ...)`` reaches names that attributes cannot (``close``, ``batch``). Calls
take positional or keyword arguments, not both, as JSON-RPC params are an array or an object.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import urllib.parse
from types import TracebackType
from typing import Any

from pydantic_core import to_json

from .errors import RpcError


class TransportError(Exception):
    """The server could not be reached, or answered with something that is not JSON-RPC."""


class RPCClient:
    """A synchronous JSON-RPC 2.0 client over one kept-alive HTTP connection.

    ``url`` is the server (``http://127.0.0.1:8000``, the path defaults to ``/rpc``) or the
    full endpoint. Thread-safe: calls from several threads take turns on the connection.
    """

    def __init__(self, url: str, *, headers: dict[str, str] | None = None, timeout: float = 30.0) -> None:
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

    # -- calls ---------------------------------------------------------------------------

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``method`` and return its result; an error response raises ``RpcError``."""
        response = self._post(_request(method, args, kwargs, next(self._ids)))
        if not isinstance(response, dict):
            raise TransportError(f"expected one JSON-RPC response, got {response!r}")
        return _unwrap(response)

    def notify(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Send a notification: the server runs it and answers nothing."""
        self._post(_request(method, args, kwargs, None))

    def batch(self) -> Batch:
        """Collect calls and send them as one JSON-RPC batch when the ``with`` block ends."""
        return Batch(self)

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
        return self._request("POST", to_json(payload))

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

    def _exchange(self, method: str, body: bytes | None) -> tuple[int, bytes]:
        if self._connection is None:
            factory = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            self._connection = factory(self._netloc, timeout=self._timeout)
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
        pending = self._pending[request_id] = Pending(method)
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

    def __init__(self, method: str) -> None:
        self.method = method
        self._done = False
        self._response: dict[str, Any] = {}

    def _settle(self, response: dict[str, Any]) -> None:
        self._response = response
        self._done = True

    def result(self) -> Any:
        """The result, or ``RpcError`` raised; only after the batch was sent."""
        if not self._done:
            raise RuntimeError(f"the batch holding {self.method!r} has not been sent yet")
        return _unwrap(self._response)


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


def _unwrap(response: dict[str, Any]) -> Any:
    if "error" in response:
        error = response["error"]
        raise RpcError(error.get("code", -32603), error.get("message", ""), error.get("data"))
    return response.get("result")
