"""``pyrpc check`` in real subprocesses: the snapshot of pyrpc.json's client project, --against a
file or a URL, the exit status, --json, and the messages about a missing or broken snapshot."""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import run
from .messages import own_lines

BEFORE = """
from pyrpc_core import rpc

@rpc
def add(a: int, b: int = 1) -> int:
    return a + b

@rpc(name="users.get")
def get_user(id: int) -> str:
    return "Ada"
"""

SAFE = """
from pyrpc_core import rpc

@rpc
def add(a: int, b: int = 1, c: int = 0) -> int:
    \"\"\"Add, documented now.\"\"\"
    return a + b + c

@rpc(name="users.get")
def get_user(id: int | str) -> str:
    return "Ada"
"""

BREAKING = """
from pyrpc_core import rpc

@rpc
def add(a: int, b: int = 1, c: int = 0) -> int:
    return a + b + c

@rpc(name="users.get")
def get_user(id: str) -> str | None:
    return None
"""


def project(tmp_path: Path, source: str = BEFORE) -> Path:
    """A backend with pyrpc.json and its frontend folder (no snapshot yet)."""
    root = tmp_path / "backend"
    root.mkdir()
    (root / "main.py").write_text(textwrap.dedent(source))
    config = {
        "version": 1,
        "framework": "asgi",
        "entrypoint": "main",
        "client_root": "../frontend",
        "distribution": "workspace",
    }
    (root / "pyrpc.json").write_text(json.dumps(config))
    (tmp_path / "frontend").mkdir()
    return root


def snapshot(root: Path) -> Path:
    """The client project's snapshot of the current API, as `pyrpc inspect --json` prints it."""
    inspected = run(["inspect", "--json"], root)
    assert inspected.returncode == 0, inspected.stderr
    path = root.parent / "frontend" / "pyrpc" / "schema.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(inspected.stdout)
    return path


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The snapshot of BEFORE, made once."""
    return snapshot(project(tmp_path_factory.mktemp("saved")))


def test_nothing_changed(tmp_path: Path, saved: Path) -> None:
    root = project(tmp_path)
    (tmp_path / "frontend" / "pyrpc").mkdir()
    (tmp_path / "frontend" / "pyrpc" / "schema.json").write_bytes(saved.read_bytes())
    result = run(["check"], root)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0 breaking changes, 0 safe\n"


def test_safe_changes_exit_0(tmp_path: Path, saved: Path) -> None:
    root = project(tmp_path, SAFE)
    result = run(["check", "--against", str(saved)], root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "safe     add: parameter 'c' added with a default",
        "safe     users.get: parameter 'id' changed from integer to integer | string (input widened)",
        "0 breaking changes, 2 safe",
    ]


def test_breaking_changes_exit_1_as_lines_and_as_json(tmp_path: Path, saved: Path) -> None:
    root = project(tmp_path, BREAKING)
    (tmp_path / "frontend" / "pyrpc").mkdir()
    (tmp_path / "frontend" / "pyrpc" / "schema.json").write_bytes(saved.read_bytes())
    result = run(["check"], root)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "safe     add: parameter 'c' added with a default",
        "BREAKING users.get: parameter 'id' changed from integer to string (input narrowed)",
        "BREAKING users.get: result may now be null (output widened)",
        "2 breaking changes, 1 safe",
    ]
    assert own_lines(result.stderr) == []

    as_json = run(["check", "--json"], root)
    assert as_json.returncode == 1, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["safe"] == [
        {"procedure": "add", "kind": "param-added", "path": "params.c", "message": "parameter 'c' added with a default"}
    ]
    assert [(change["procedure"], change["kind"], change["path"]) for change in document["breaking"]] == [
        ("users.get", "type-changed", "params.id"),
        ("users.get", "null-added", "result"),
    ]


def test_against_a_file_with_an_entrypoint_and_no_pyrpc_json(tmp_path: Path, saved: Path) -> None:
    (tmp_path / "api.py").write_text(
        textwrap.dedent(BEFORE.replace("def add(a: int, b: int = 1)", "def add(b: int, a: int)"))
    )
    result = run(["check", "--against", str(saved), "--entrypoint", "api"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "BREAKING add: parameters reordered from (a, b) to (b, a): by-position calls break",
        "BREAKING add: parameter 'b' lost its default (now required)",
        "2 breaking changes, 0 safe",
    ]


class _Saved(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(saved: Path) -> Iterator[str]:
    """A server whose GET /rpc answers the saved schema (a deployed API's, say)."""
    _Saved.body = saved.read_bytes()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Saved)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/rpc"
    httpd.shutdown()
    httpd.server_close()


def test_against_a_url(tmp_path: Path, server: str) -> None:
    root = project(tmp_path, SAFE)
    result = run(["check", "--against", server, "--json"], root)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["safe"]) == 2


def test_a_missing_snapshot_says_how_to_make_one(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run(["check"], root)
    assert result.returncode == 1
    path = (tmp_path / "frontend" / "pyrpc" / "schema.json").resolve()
    assert own_lines(result.stderr) == [
        f"pyrpc check: error: no saved schema at {path}: make one with 'pyrpc dev' (workspace mode writes it), "
        "'npx pyrpc sync' in the client project, or 'pyrpc inspect --json > schema.json' before the change "
        "(then --against schema.json)"
    ]
    assert result.stdout == ""


def test_a_corrupt_snapshot_is_named(tmp_path: Path) -> None:
    root = project(tmp_path)
    path = tmp_path / "frontend" / "pyrpc" / "schema.json"
    path.parent.mkdir()
    path.write_text('{"version": 1, "procedures": {')
    result = run(["check"], root)
    assert result.returncode == 1
    [line] = own_lines(result.stderr)
    assert line.startswith(f"pyrpc check: error: {path.resolve()}: line 1, column 31: not valid JSON: ")
    assert "make it again with 'pyrpc dev'" in line


def test_without_pyrpc_json_it_asks_for_against(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text(textwrap.dedent(BEFORE))
    result = run(["check", "--entrypoint", "api"], tmp_path)
    assert result.returncode == 1
    assert own_lines(result.stderr) == [
        "pyrpc check: error: no saved schema to check against: give --against FILE_OR_URL, or run in the folder "
        "of pyrpc.json (whose client project's pyrpc/schema.json is the default)"
    ]


def test_listed_in_the_help(tmp_path: Path) -> None:
    listing = run(["--help"], tmp_path)
    assert "  check " in listing.stdout
    assert "--against FILE_OR_URL" in run(["check", "--help"], tmp_path).stdout
