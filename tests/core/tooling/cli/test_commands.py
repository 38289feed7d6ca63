"""pyrpc codegen, inspect and serve, and the messages of every failure, in real subprocesses."""

from __future__ import annotations

import json
import socket
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import RPCClient

from .conftest import run
from .messages import own_lines

API = """
from pydantic import BaseModel
from pyrpc_core import rpc

class User(BaseModel):
    id: int
    name: str

@rpc
def add(a: int, b: int = 1) -> int:
    \"\"\"Add two integers.\"\"\"
    return a + b

@rpc(name="users.get")
def get_user(id: int) -> User:
    return User(id=id, name="Ada")
"""


def project(tmp_path: Path, framework: str = "asgi", distribution: str = "server", source: str = API) -> Path:
    root = tmp_path / "backend"
    root.mkdir()
    (root / "main.py").write_text(textwrap.dedent(source))
    config = {
        "version": 1,
        "framework": framework,
        "entrypoint": "main",
        "client_root": "../frontend",
        "distribution": distribution,
    }
    (root / "pyrpc.json").write_text(json.dumps(config))
    return root


def test_help_of_every_command_lists_the_installed_plugins(tmp_path: Path) -> None:
    for command in ["dev", "serve", "codegen", "inspect"]:
        result = run([command, "--help"], tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Usage: pyrpc" in result.stdout
    assert "installed: " in run(["codegen", "--help"], tmp_path).stdout
    assert "typescript" in run(["codegen", "--help"], tmp_path).stdout
    assert "asgi" in run(["dev", "--help"], tmp_path).stdout


def test_inspect_table_and_json(tmp_path: Path) -> None:
    root = project(tmp_path)
    table = run(["inspect"], root)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["PROCEDURE", "PARAMS", "RESULT", "DOC"]
    assert lines[1].split(None, 1)[0] == "add"
    assert "a: int, b?: int" in lines[1]
    assert lines[1].rstrip().endswith("Add two integers.")
    assert "users.get" in lines[2]
    assert "User" in lines[2]
    assert lines[-1] == "2 procedures"
    document = json.loads(run(["inspect", "--json"], root).stdout)
    assert sorted(document["procedures"]) == ["add", "users.get"]


def test_inspect_by_entrypoint_without_pyrpc_json(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text(textwrap.dedent(API))
    result = run(["inspect", "--entrypoint", "api", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "users.get" in json.loads(result.stdout)["procedures"]


def test_codegen_from_entrypoint_and_from_url(tmp_path: Path, start: Any) -> None:
    root = project(tmp_path)
    result = run(["codegen", "--out", "generated"], root)
    assert result.returncode == 0, result.stderr
    assert "typescript" in result.stdout
    generated = {path.name: path.read_text() for path in (root / "generated").iterdir()}
    assert "index.d.ts" in generated
    assert "add(a: number, b?: number): Promise<number>;" in generated["index.d.ts"]

    server = start(["serve", "--port", "0"], root)
    url = server.wait_for(r"at (http://\S+)").group(1)
    result = run(["codegen", "--url", url, "--out", str(tmp_path / "from-url")], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-url" / "index.d.ts").read_text() == generated["index.d.ts"]


def test_codegen_defaults_to_the_workspace_types_folder(tmp_path: Path) -> None:
    root = project(tmp_path, distribution="workspace")
    result = run(["codegen"], root)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "frontend" / "pyrpc" / "types" / "index.d.ts").exists()
    assert "typescript: 3 files in" in result.stdout
    assert not (tmp_path / "frontend" / "node_modules").exists()


def test_unknown_emitter_lists_the_installed_ones(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = run(["codegen", "--emitter", "cobol", "--out", "x"], root)
    assert result.returncode == 1
    assert "no emitter named 'cobol' is installed (installed: " in result.stderr
    assert "typescript" in result.stderr
    assert not (root / "x").exists()


def test_serve_answers_over_http(tmp_path: Path, start: Any) -> None:
    root = project(tmp_path)
    server = start(["serve", "--port", "0"], root)
    url = server.wait_for(r"pyrpc serve: asgi at (http://\S+)").group(1)
    with RPCClient(url) as client:
        assert client.add(2, 3) == 5
        assert client.users.get(7) == {"id": 7, "name": "Ada"}


def test_serve_prints_where_the_app_serves_the_endpoint(tmp_path: Path, start: Any) -> None:
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\n\nimport pyrpc_fastapi\nfrom pyrpc_core import Registry\n\n"
        "api = Registry()\n\n\n@api.rpc\ndef ping() -> str:\n    return 'pong'\n\n\n"
        "app = FastAPI()\npyrpc_fastapi.mount(app, api, path='/api/rpc')\n"
    )
    config = {"version": 1, "framework": "fastapi", "entrypoint": "main"}
    (tmp_path / "pyrpc.json").write_text(json.dumps({**config, "client_root": "web", "distribution": "server"}))
    server = start(["serve", "--port", "0"], tmp_path)
    url = server.wait_for(r"pyrpc serve: fastapi at (http://\S+)").group(1)
    assert url.endswith("/api/rpc")
    with RPCClient(url) as client:
        assert client.ping() == "pong"


def test_serve_with_worker_processes(tmp_path: Path, start: Any) -> None:
    root = project(tmp_path)
    server = start(["serve", "--port", "0", "--workers", "2"], root)
    url = server.wait_for(r"at (http://\S+), 2 workers").group(1)
    server.wait_for(r"Application startup complete", timeout=30)
    server.wait_for(r"Application startup complete", timeout=30)
    with RPCClient(url) as client:
        assert [client.add(i, i) for i in range(5)] == [0, 2, 4, 6, 8]


FROM_FILE = """(from pyrpc.json's "entrypoint")"""


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("none", ["serve"], "pyrpc.json: not found; run 'pyrpc dev'"),
        ("bad-field", ["serve"], "field 'distribution'"),
        ("bad-module", ["serve"], "entrypoint module 'nowhere' not found: no nowhere.py or nowhere/__init__.py in"),
        ("bad-module", ["serve"], FROM_FILE),
        ("bad-module", ["inspect"], "entrypoint module 'nowhere' not found"),
        ("bad-module", ["codegen", "--out", "x"], FROM_FILE),
        ("good", ["inspect", "--entrypoint", "nowhere"], "not found: no nowhere.py or nowhere/__init__.py in"),
        ("good", ["inspect", "--entrypoint", "nowhere"], "(from --entrypoint)"),
        ("good", ["inspect", "--entrypoint", "main:nothing"], "module 'main' has no 'nothing' (from --entrypoint)"),
        ("bad-attr", ["serve"], f"module 'main' has no 'nothing' {FROM_FILE}"),
        ("broken-code", ["inspect"], "main.py:3: ZeroDivisionError: division by zero"),
        ("broken-code", ["serve"], "main.py:3: ZeroDivisionError: division by zero"),
        ("not-installed", ["serve"], "no framework adapter named 'nonesuch' is installed (installed: asgi"),
        ("good", ["inspect", "--url", "http://127.0.0.1:9/rpc"], "cannot fetch the schema from http://127.0.0.1:9/rpc"),
        ("good", ["codegen", "--emitter", "cobol", "--out", "x"], "no emitter named 'cobol' is installed"),
    ],
)
def test_failures_give_one_actionable_message(tmp_path: Path, setup: str, args: list[str], message: str) -> None:
    root = tmp_path
    if setup != "none":
        root = project(
            tmp_path, source="from pyrpc_core import rpc\nx = 1\ny = x / 0\n" if setup == "broken-code" else API
        )
    config_path = root / "pyrpc.json"
    if setup == "bad-field":
        config_path.write_text(config_path.read_text().replace('"server"', '"cloud"'))
    if setup == "bad-module":
        config_path.write_text(config_path.read_text().replace('"main"', '"nowhere"'))
    if setup == "bad-attr":
        config_path.write_text(config_path.read_text().replace('"main"', '"main:nothing"'))
    if setup == "not-installed":
        config_path.write_text(config_path.read_text().replace('"asgi"', '"nonesuch"'))
    result = run(args, root)
    assert result.returncode == 1, result.stdout
    [line] = own_lines(result.stderr)  # one line, in one format for every command
    assert line.startswith(f"pyrpc {args[0]}: error: ")
    assert message in line
    assert "LoadError" not in line


def test_port_in_use(tmp_path: Path) -> None:
    root = project(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["serve", "--port", str(port)], root)
    assert result.returncode == 1
    assert own_lines(result.stderr) == [
        f"pyrpc serve: error: port {port} on 127.0.0.1 is already in use; stop the other server or pick another "
        "with --port"
    ]


def test_url_and_entrypoint_together_is_a_usage_error(tmp_path: Path) -> None:
    result = run(["inspect", "--url", "http://127.0.0.1:1", "--entrypoint", "x"], tmp_path)
    assert result.returncode == 2
    assert "not both" in result.stderr


def test_inspect_names_a_big_integer_as_such(tmp_path: Path) -> None:
    source = """
    from pyrpc_core import BigInt, rpc

    @rpc
    def next_id(after: BigInt, step: int = 1) -> BigInt | None:
        return after + step
    """
    table = run(["inspect"], project(tmp_path, source=source))
    assert table.returncode == 0, table.stderr
    # On the wire a BigInt is a string of digits; the table says what it is, not "str".
    assert "after: BigInt, step?: int" in table.stdout
    assert "BigInt | null" in table.stdout
