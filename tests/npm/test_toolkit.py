"""The client toolkit against live servers: tests/npm/toolkit/*.test.ts (node's test runner),
compiled with ``tsc --strict`` against the ``@pyrpc/types`` generated from the live server's
schema, use @pyrpc/client (retries, middleware, meta, typed ``$call``) and @pyrpc/tanstack-query
(with TanStack Query's QueryClient) as built in the workspace.

Servers of ``tests/npm/procedures.py``: the default limits; one that takes a single request
at a time (a second gets 503 with Retry-After); one whose batches hold at most 3 calls (the
limit its schema publishes, which the generated ``meta`` carries); for the streams
(toolkit/stream.test.ts), one that sends a single stream at a time, and one behind a wrapper
that cuts a stream's connection after a few events, as a network would.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pyrpc_ts
from pyrpc_asgi import create_app
from pyrpc_core import Limits
from pyrpc_core.testing import http_request, serve_asgi

from .conftest import NODE, NPM, ROOT, TSC, run
from .procedures import registry

HERE = Path(__file__).resolve().parent
PACKAGES = {
    "@pyrpc/client": ROOT / "pyrpc_ts" / "npm" / "client",
    "@pyrpc/tanstack-query": ROOT / "pyrpc_ts" / "npm" / "tanstack-query",
    "@tanstack/query-core": ROOT / "node_modules" / "@tanstack" / "query-core",
    "@types/node": ROOT / "node_modules" / "@types" / "node",
}


@pytest.fixture(scope="module")
def busy_server() -> Iterator[str]:
    with serve_asgi(create_app(registry, limits=Limits(max_in_flight=1))) as base:
        yield f"{base}/rpc"


@pytest.fixture(scope="module")
def limited_server() -> Iterator[str]:
    with serve_asgi(create_app(registry, limits=Limits(max_batch=3))) as base:
        yield f"{base}/rpc"


@pytest.fixture(scope="module")
def one_stream_server() -> Iterator[str]:
    with serve_asgi(create_app(registry, limits=Limits(max_streams=1))) as base:
        yield f"{base}/rpc"


class _Dropped(Exception):
    """Raised by the wrapper to cut a connection mid-stream (uvicorn closes it, unfinished)."""


def dropping(app: Any) -> Any:
    """``app``, but a first stream request (no ``Last-Event-ID``) carrying ``x-drop-after: N`` loses its
    connection after N events, as a network would cut it: no ``done``, the body unfinished."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        after = headers.get(b"x-drop-after")
        if after is None or b"last-event-id" in headers:
            await app(scope, receive, send)
            return
        left = int(after)

        async def cutting(message: dict[str, Any]) -> None:
            nonlocal left
            await send(message)
            if message["type"] == "http.response.body" and b"\nid: " in b"\n" + message.get("body", b""):
                left -= 1
                if left == 0:
                    await asyncio.sleep(0.2)  # the client has read the events before the cut
                    raise _Dropped

        try:
            await app(scope, receive, cutting)
        except _Dropped:
            return  # the response never completes: uvicorn closes the connection

    return wrapped


@pytest.fixture(scope="module")
def dropping_server() -> Iterator[str]:
    with serve_asgi(dropping(create_app(registry))) as base:
        yield f"{base}/rpc"


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed): connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _schema(url: str) -> dict[str, object]:
    document: dict[str, object] = json.loads(http_request(url, "GET").body)
    return document


PEER_QUERY_CORE = json.loads((PACKAGES["@pyrpc/tanstack-query"] / "package.json").read_text())["peerDependencies"][
    "@tanstack/query-core"
]
OLDEST_QUERY_CORE = re.fullmatch(r"\^(\d+\.\d+\.\d+)", PEER_QUERY_CORE)
assert OLDEST_QUERY_CORE is not None, f"@pyrpc/tanstack-query's peer range is not ^X.Y.Z: {PEER_QUERY_CORE}"
OLDEST_TYPESCRIPT = "5.4.5"
"""The oldest TypeScript docs/typescript.md promises (recent query-core declarations use 5.4's ``NoInfer``)."""


def _project(
    folder: Path,
    server: str,
    query_core: str | None = None,
    packed: dict[str, Path] | None = None,
    typescript: str = OLDEST_TYPESCRIPT,
) -> Path:
    """A client project: the workspace's packages linked, the types of ``server`` written, the tests compiled.

    With ``query_core``, that version of @tanstack/query-core and ``typescript`` come from the
    registry, and pyRPC's two packages from their ``packed`` tarballs: linked, they would see the
    workspace's own query-core beside them, as a user's install never does.
    """
    folder.mkdir(parents=True, exist_ok=True)
    package: dict[str, Any] = {"name": "toolkit", "private": True, "type": "module"}
    installed = {"@tanstack/query-core": query_core, "typescript": typescript} if query_core is not None else {}
    if query_core is not None:
        assert packed is not None
        installed |= {name: f"file:{tarball}" for name, tarball in packed.items()}
        package["dependencies"] = installed
    (folder / "package.json").write_text(json.dumps(package) + "\n")
    if installed:  # before the links: npm would take out what package.json does not name
        assert NPM is not None
        run([NPM, "install", "--no-audit", "--no-fund"], cwd=folder)
        for name, version in [("@tanstack/query-core", query_core), ("typescript", typescript)]:
            assert json.loads((folder / "node_modules" / name / "package.json").read_text())["version"] == version
    for name, source in PACKAGES.items():
        if name in installed:
            continue
        link = folder / "node_modules" / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(source, target_is_directory=True)
    pyrpc_ts.save_typescript_client(_schema(server), folder)
    sources = sorted(HERE.glob("toolkit/*.test.ts"))
    for source in sources:
        shutil.copy(source, folder / source.name)
    config = {
        "compilerOptions": {
            "strict": True,
            "target": "es2022",
            "lib": ["es2022", "dom"],
            "module": "nodenext",
            "moduleResolution": "nodenext",
            "types": ["node"],
            "skipLibCheck": False,
            "outDir": "out",
        },
        "files": [source.name for source in sources],
    }
    (folder / "tsconfig.json").write_text(json.dumps(config, indent=2))
    tsc = folder / "node_modules" / ".bin" / "tsc" if installed else TSC
    run([str(tsc), "-p", "tsconfig.json", "--pretty", "false"], cwd=folder)
    return folder


# The toolkit again on the oldest TypeScript pyRPC supports, with the oldest @tanstack/query-core
# its peer range accepts and with the workspace's (the newest it was tested with): the types it
# ships must compile there (skipLibCheck off), and its calls work there.
@pytest.mark.parametrize(
    "query_core",
    [None, OLDEST_QUERY_CORE.group(1), "workspace's"],
    ids=["workspace", "oldest-query-core-oldest-typescript", "newest-query-core-oldest-typescript"],
)
def test_toolkit_against_live_servers(
    query_core: str | None,
    request: pytest.FixtureRequest,
    npm: str,
    server: str,
    busy_server: str,
    limited_server: str,
    one_stream_server: str,
    dropping_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if query_core == "workspace's":
        query_core = json.loads((PACKAGES["@tanstack/query-core"] / "package.json").read_text())["version"]
    packed = request.getfixturevalue("packed") if query_core is not None else None
    project = _project(tmp_path / "app", server, query_core, packed)
    limited_meta = tmp_path / "limited" / "index.js"
    limited_meta.parent.mkdir()
    limited_meta.write_text(pyrpc_ts.generate(_schema(limited_server))["index.js"])
    assert NODE is not None
    env = {
        "PYRPC_URL": server,
        "PYRPC_BUSY_URL": busy_server,
        "PYRPC_LIMITED_URL": limited_server,
        "PYRPC_LIMITED_META": str(limited_meta),
        "PYRPC_CLOSED_URL": f"http://127.0.0.1:{_closed_port()}/rpc",
        "PYRPC_ONE_STREAM_URL": one_stream_server,
        "PYRPC_DROPPING_URL": dropping_server,
    }
    tests = sorted(str(p.relative_to(project)) for p in (project / "out").glob("*.test.js"))
    assert len(tests) == 3
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # run() passes os.environ on
    completed = run([NODE, "--test", *tests], cwd=project, timeout=120)
    assert "# fail 0" in completed.stdout, completed.stdout
    assert "# pass 23" in completed.stdout, completed.stdout


def test_tanstack_query_npm_test_passes(npm: str) -> None:
    completed = run([npm, "test", "--workspace", "@pyrpc/tanstack-query"], cwd=ROOT, timeout=300)
    assert "# fail 0" in completed.stdout
    assert "# pass" in completed.stdout


def test_tanstack_query_sources_pass_tsc_strict(npm: str) -> None:
    run([npm, "run", "typecheck", "--workspace", "@pyrpc/tanstack-query"], cwd=ROOT)
