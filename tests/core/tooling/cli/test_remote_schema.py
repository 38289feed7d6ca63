"""pyrpc codegen --url and inspect --url check the answer before anything is written, in real subprocesses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pyrpc_core import Registry, build_schema
from pyrpc_core.plugins import PluginManager

from .conftest import run
from .messages import own_lines


def _good_schema() -> bytes:
    registry = Registry()

    @registry.rpc
    def add(a: int, b: int = 1) -> int:
        """Add two integers."""
        return a + b

    return json.dumps(build_schema(registry, PluginManager())).encode()


# path: (status, content type, body)
ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "/rpc": (200, "application/json", _good_schema()),
    "/missing": (404, "text/plain", b"not found"),
    "/crash": (500, "application/json", b'{"detail": "boom"}'),
    "/health": (200, "application/json", b'{"status": "ok"}'),
    "/page": (200, "text/html; charset=utf-8", b"<!doctype html><html><body>Welcome</body></html>"),
    "/list": (200, "application/json", b"[1, 2, 3]"),
    "/half": (200, "application/json", b'{"version": 1}'),
    "/text-version": (200, "application/json", b'{"version": "1", "procedures": {}}'),
    "/true-version": (200, "application/json", b'{"version": true, "procedures": {}}'),
    "/procedure-list": (200, "application/json", b'{"version": 1, "procedures": []}'),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, content_type, body = ANSWERS.get(self.path, ANSWERS["/missing"])
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


HINT = "is the URL the pyRPC endpoint (…/rpc)?"


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/missing", "answered HTTP 404 Not Found"),
        ("/crash", "answered HTTP 500 Internal Server Error"),
        ("/health", 'did not return a pyRPC schema (no "version" and "procedures")'),
        ("/page", "did not return JSON (it sent a text/html body)"),
        ("/list", 'did not return a pyRPC schema (not an object with "version" and "procedures")'),
        ("/half", 'did not return a pyRPC schema (no "procedures" object)'),
        ("/text-version", 'did not return a pyRPC schema (no integer "version")'),
        ("/true-version", 'did not return a pyRPC schema (no integer "version")'),
        ("/procedure-list", 'did not return a pyRPC schema (no "procedures" object)'),
    ],
)
def test_codegen_refuses_what_is_not_a_schema_and_keeps_the_good_types(
    tmp_path: Path, server: str, path: str, says: str
) -> None:
    good = run(["codegen", "--url", f"{server}/rpc", "--out", "types"], tmp_path)
    assert good.returncode == 0, good.stderr
    types = tmp_path / "types" / "index.d.ts"
    before = types.read_bytes()
    assert b"add(a: number, b?: number): Promise<number>;" in before
    stamp = types.stat().st_mtime_ns

    refused = run(["codegen", "--url", f"{server}{path}", "--out", "types"], tmp_path)
    assert refused.returncode == 1, refused.stdout
    assert own_lines(refused.stderr) == [f"pyrpc codegen: error: GET {server}{path} {says}; {HINT}"]
    assert refused.stdout == ""
    assert types.read_bytes() == before
    assert types.stat().st_mtime_ns == stamp

    inspected = run(["inspect", "--url", f"{server}{path}"], tmp_path)
    assert inspected.returncode == 1
    assert own_lines(inspected.stderr) == [f"pyrpc inspect: error: GET {server}{path} {says}; {HINT}"]
    assert "KeyError" not in inspected.stderr


def test_the_example_message_word_for_word(tmp_path: Path, server: str) -> None:
    refused = run(["codegen", "--url", f"{server}/health", "--out", "types"], tmp_path)
    assert own_lines(refused.stderr) == [
        f"pyrpc codegen: error: GET {server}/health did not return a pyRPC schema "
        '(no "version" and "procedures"); is the URL the pyRPC endpoint (…/rpc)?'
    ]
    assert not (tmp_path / "types").exists()


def test_a_good_schema_is_inspected_and_a_bare_origin_means_rpc(tmp_path: Path, server: str) -> None:
    table = run(["inspect", "--url", server], tmp_path)  # no path: /rpc, as RPCClient reads it
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[1].split()[:2] == ["add", "a:"]
    assert table.stdout.splitlines()[-1] == "1 procedure"
    document = json.loads(run(["inspect", "--url", f"{server}/rpc", "--json"], tmp_path).stdout)
    assert list(document["procedures"]) == ["add"]


def test_an_unreachable_server_and_a_wrong_scheme(tmp_path: Path) -> None:
    down = run(["inspect", "--url", "http://127.0.0.1:9/rpc"], tmp_path)
    assert down.returncode == 1
    [line] = own_lines(down.stderr)
    assert line.startswith("pyrpc inspect: error: cannot fetch the schema from http://127.0.0.1:9/rpc: ")
    ftp = run(["codegen", "--url", "ftp://example.com/rpc", "--out", "x"], tmp_path)
    assert ftp.returncode == 1
    assert "is not an http:// or https:// URL" in ftp.stderr
    assert not (tmp_path / "x").exists()
