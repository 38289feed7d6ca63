"""Plain HTTP for the kits: requests with the standard library, and a uvicorn server in a thread."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..tooling.serve import bind

# -- HTTP ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpResponse:
    """One HTTP response, read whole."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    local_address: tuple[str, int]
    """The (host, port) the request left from, as the server should see it."""

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(
    url: str,
    method: str = "POST",
    body: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    path: str | None = None,
    timeout: float = 30.0,
) -> HttpResponse:
    """One request on a fresh connection; an iterable body is sent chunked."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        chunked = body is not None and not isinstance(body, bytes)
        connection.request(method, path or parts.path, body=body, headers=all_headers, encode_chunked=chunked)
        assert connection.sock is not None
        local_address = connection.sock.getsockname()[:2]
        response = connection.getresponse()
        return HttpResponse(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            body=response.read(),
            local_address=(local_address[0], local_address[1]),
        )
    finally:
        connection.close()


def post(url: str, payload: Any, headers: Mapping[str, str] | None = None) -> HttpResponse:
    """POST ``payload`` (bytes as they are, anything else as JSON) to ``url``."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return http_request(url, "POST", body, headers)


@contextmanager
def serve_asgi(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread on an ephemeral port; yields ``http://host:port``."""
    import uvicorn

    sock = bind(host, 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="auto", timeout_keep_alive=30))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="conformance-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
