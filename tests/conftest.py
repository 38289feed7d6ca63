"""Fixtures shared by the whole suite."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from pyrpc_command import Running

from pyrpc_core.testing import serve_asgi as serve_app

# `make test` runs the suite on two workers (pytest-xdist, --dist loadgroup); each test file is
# a group, so that its module fixtures (a server, a built project) are made once. The tests that
# build the npm workspace's packages in place (`npm test` and `npm pack` run their build, which
# empties dist/ first) or read what that build writes are one group: run one after another, as
# they would without workers, none sees dist/ half built.
NPM_WORKSPACE_GROUP = "npm-workspace"
NPM_WORKSPACE_TESTS = (
    "npm/",
    "fullstack/",
    "ts/test_declared_errors_wire.py",
    "ts/test_workspace.py",
)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        relative = item.path.relative_to(tests).as_posix()
        npm = relative.startswith(NPM_WORKSPACE_TESTS)
        item.add_marker(pytest.mark.xdist_group(NPM_WORKSPACE_GROUP if npm else relative))


@pytest.fixture
def start() -> Iterator[type[Running]]:
    started: list[Running] = []

    class Tracked(Running):
        def __init__(self, args: list[str], cwd: Path, stdin: str | None = None) -> None:
            super().__init__(args, cwd, stdin)
            started.append(self)

    yield Tracked
    for running in started:
        running.stop()


@pytest.fixture
def serve_asgi() -> Iterator[Callable[[Any], str]]:
    """Start ASGI apps under a real uvicorn on 127.0.0.1 (an ephemeral port); returns the base URL."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serve_app(app))


AsgiResponse = tuple[int, dict[str, str], bytes]


def _asgi_request(
    app: Any,
    method: str = "POST",
    path: str = "/rpc",
    body: bytes | list[bytes] = b"",
    headers: Mapping[str, str] | None = None,
    *,
    root_path: str = "",
) -> AsgiResponse:
    """One request to an ASGI app in process, on a fresh event loop: (status, headers, body).

    A list ``body`` arrives in several ``http.request`` messages, as a chunked body does.
    """
    parts = body if isinstance(body, list) else [body]
    messages = [
        {"type": "http.request", "body": part, "more_body": index < len(parts) - 1} for index, part in enumerate(parts)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (headers or {}).items()
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = next(message for message in sent if message["type"] == "http.response.start")
    answer = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    response_headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in start["headers"]}
    assert len(response_headers) == len(start["headers"]), start["headers"]  # no header twice
    return start["status"], response_headers, answer


@pytest.fixture
def asgi_request() -> Callable[..., AsgiResponse]:
    """Send one request to an ASGI app in process (no server): ``asgi_request(app, method, path, body, headers)``."""
    return _asgi_request
