"""Plain HTTP for the kits: requests with the standard library, Server-Sent Events read event by
event, and a uvicorn server in a thread."""

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


# -- Server-Sent Events ----------------------------------------------------------------------

Event = dict[str, str]
"""One Server-Sent Event as its fields (``id``, ``event``, ``data``); a comment is ``{"comment": text}``."""


def parse_events(body: bytes | str) -> list[Event]:
    """The events of a whole ``text/event-stream`` body, comments included, in order."""
    text = body.decode() if isinstance(body, bytes) else body
    return [_event(block.split("\n")) for block in text.replace("\r\n", "\n").split("\n\n") if block]


def _event(lines: list[str]) -> Event:
    event: Event = {}
    for line in lines:
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            event["comment"] = value
        elif name == "data" and "data" in event:
            event["data"] += "\n" + value
        else:
            event[name] = value
    return event


class EventReader:
    """One POST with ``Accept: text/event-stream`` on a connection of its own, its answer read
    event by event as it comes. ``close()`` (or leaving the ``with`` block) hangs up."""

    def __init__(
        self, url: str, payload: Any, headers: Mapping[str, str] | None = None, *, timeout: float = 10.0
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
        all_headers = {"Content-Type": "application/json", "Accept": "text/event-stream", **(headers or {})}
        self.connection.request("POST", parts.path, body=body, headers=all_headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.headers = {name.lower(): value for name, value in self.response.getheaders()}

    @property
    def is_stream(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/event-stream")

    def next_event(self, *, comments: bool = True) -> Event | None:
        """The next event (or comment, unless ``comments`` is False); None at the end of the body."""
        while True:
            lines: list[str] = []
            while True:
                line = self.response.readline()
                if not line:
                    return _event(lines) if lines else None
                text = line.decode().rstrip("\r\n")
                if not text:
                    break
                lines.append(text)
            if lines:
                event = _event(lines)
                if comments or set(event) != {"comment"}:
                    return event

    def events(self, *, comments: bool = False) -> list[Event]:
        """The remaining events until the body ends (without comments unless asked)."""
        found = []
        while (event := self.next_event(comments=comments)) is not None:
            found.append(event)
        return found

    def body(self) -> bytes:
        """The rest of the body, whole (for an answer that is not a stream)."""
        return self.response.read()

    def json(self) -> Any:
        return json.loads(self.body())

    def close(self) -> None:
        """Hang up: the server sees the client leave."""
        self.response.close()  # a response that ends its connection (Connection: close) holds the socket
        self.connection.close()

    def __enter__(self) -> EventReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_events(url: str, payload: Any, headers: Mapping[str, str] | None = None) -> tuple[EventReader, list[Event]]:
    """POST ``payload`` for a stream, read to its end: the reader (status, headers) and the events, pings left out."""
    with EventReader(url, payload, headers) as reader:
        return reader, reader.events() if reader.is_stream else []


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
