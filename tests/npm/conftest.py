"""The npm side, end to end: @pyrpc/client packed, installed into a fresh project, and run
against a live server (uvicorn on 127.0.0.1) serving ``tests/npm/procedures.py``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyrpc_asgi import create_app
from pyrpc_core.testing import serve_asgi

from .procedures import registry

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "pyrpc_ts" / "npm" / "client"
TSC = ROOT / "node_modules" / ".bin" / "tsc"
NPM = shutil.which("npm")
NODE = shutil.which("node")


def run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a command (as in CI: no prompts); fail the test with its output when it exits non-zero."""
    env = {**os.environ, "CI": "true", "npm_config_audit": "false", "npm_config_fund": "false"}
    completed = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    if completed.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {completed.returncode}\n{completed.stdout}\n{completed.stderr}")
    return completed


@pytest.fixture(scope="session")
def npm() -> str:
    if NPM is None or NODE is None:
        pytest.fail("node and npm are needed (Node 20+): the npm side is part of the test suite")
    if not TSC.exists() or not (ROOT / "node_modules" / "@types" / "node").exists():
        pytest.fail("the npm workspace is not installed: run `make setup` (npm ci)")
    return NPM


@pytest.fixture(scope="session")
def packed(npm: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``npm pack`` of @pyrpc/client and @pyrpc/tanstack-query (their prepack scripts build them), by name."""
    destination = tmp_path_factory.mktemp("pack")
    names = ["@pyrpc/client", "@pyrpc/tanstack-query"]
    workspaces = [argument for name in names for argument in ("--workspace", name)]
    completed = run([npm, "pack", "--json", "--pack-destination", str(destination), *workspaces], cwd=ROOT)
    packs = json.loads(completed.stdout[completed.stdout.index("[") :])
    return {pack["name"]: destination / Path(pack["filename"]).name for pack in packs}


@pytest.fixture(scope="session")
def tarball(packed: dict[str, Path]) -> Path:
    """``npm pack`` of @pyrpc/client."""
    return packed["@pyrpc/client"]


def new_project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"name": "e2e-app", "private": True, "type": "module"}) + "\n")
    return folder


@pytest.fixture(scope="session")
def project(npm: str, tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A client project with the packed @pyrpc/client installed (no registry needed: no dependencies)."""
    folder = new_project(tmp_path_factory.mktemp("app"))
    run([npm, "install", "--offline", str(tarball)], cwd=folder)
    return folder


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The live server's endpoint, ``http://127.0.0.1:PORT/rpc``."""
    with serve_asgi(create_app(registry)) as base:
        yield f"{base}/rpc"
