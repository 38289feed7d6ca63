"""``pip install pyrpc-core pyrpc-fastapi`` in a fresh virtual environment gives a working server, without Flask.

The wheels are built from this repository, installed into a new venv (their dependencies
come from the package index through pip's normal configuration), and a server started from
that venv is called over HTTP. This checks the dependencies the distributions declare.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from venvs import fresh_venv

from pyrpc_core import RPCClient

REPO = Path(__file__).resolve().parents[2]

SERVER = """
import socket, sys
import uvicorn
from pyrpc_core.tooling.config import load_config
from pyrpc_core.tooling.loading import load_app

loaded = load_app(load_config(sys.argv[1]))
assert loaded.adapter.interface == "asgi", loaded.adapter
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(loaded.app, log_level="warning")).run(sockets=[sock])
"""

LIST_DISTRIBUTIONS = (
    "import json, importlib.metadata as m; "
    "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions())))"
)

MAIN = """
from fastapi import FastAPI
from pyrpc_core import rpc
from pyrpc_fastapi import mount

@rpc
def add(a: int, b: int) -> int:
    return a + b

app = FastAPI()

@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}

mount(app)
"""


def run(*command: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_core_and_fastapi_wheels_make_a_working_server_without_flask(tmp_path: Path) -> None:
    # The endpoint pyrpc-fastapi's route wraps is pyrpc-asgi's.
    python = fresh_venv(tmp_path, [REPO / "pyrpc_core", REPO / "pyrpc_asgi", REPO / "pyrpc_fastapi"])
    built = sorted(path.name for path in (tmp_path / "wheels").glob("*.whl"))
    assert [name.split("-")[0] for name in built] == ["pyrpc_asgi", "pyrpc_core", "pyrpc_fastapi"]

    installed = json.loads(run(python, "-c", LIST_DISTRIBUTIONS))
    assert {"pyrpc-core", "pyrpc-fastapi", "fastapi", "pydantic", "pluggy", "uvicorn"} <= set(installed)
    assert not {"flask", "werkzeug", "pyrpc-flask", "waitress", "pytest"} & set(installed), installed
    run(python, "-c", "import importlib.util as u, sys; sys.exit(u.find_spec('flask') is not None)")

    project = tmp_path / "project"
    project.mkdir()
    (project / "main.py").write_text(textwrap.dedent(MAIN), encoding="utf-8")
    config = {"version": 1, "framework": "fastapi", "entrypoint": "main", "client_root": "../web"}
    (project / "pyrpc.json").write_text(json.dumps({**config, "distribution": "server"}), encoding="utf-8")

    server = subprocess.Popen(
        [str(python), "-c", SERVER, str(project / "pyrpc.json")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline() or 0)
        assert port, server.communicate(timeout=10)
        with RPCClient(f"http://127.0.0.1:{port}") as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    assert client.add(2, 3) == 5
                    break
                except Exception:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.1)
            assert "add" in client.schema()["procedures"]
    finally:
        server.terminate()
        server.wait(10)

    # pyrpc.json naming an adapter that is not installed: one line naming what to pip install.
    (project / "pyrpc.json").write_text(json.dumps({**config, "framework": "flask", "distribution": "server"}))
    probe = subprocess.run(
        [str(python), "-c", SERVER, str(project / "pyrpc.json")], capture_output=True, text=True, timeout=60
    )
    assert probe.returncode != 0
    last_line = probe.stderr.strip().splitlines()[-1]
    assert "no framework adapter named 'flask' is installed" in last_line
    assert last_line.endswith("install it with: pip install pyrpc-flask")
