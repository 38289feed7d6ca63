"""One format for every command's errors, counted nouns, and the npm package's commands, in real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from pyrpc_core.plugins import get_plugin_manager

from .conftest import PYRPC, run
from .messages import own_lines

API = """
from pyrpc_core import rpc

@rpc
def add(a: int, b: int) -> int:
    return a + b
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text(textwrap.dedent(API))
    config = {"version": 1, "framework": "asgi", "entrypoint": "main", "client_root": "web", "distribution": "server"}
    (tmp_path / "pyrpc.json").write_text(json.dumps(config))
    return tmp_path


@pytest.mark.parametrize("name", ["sync", "generate"])
def test_the_npm_package_commands_say_where_to_run_them(tmp_path: Path, name: str) -> None:
    for args in ([name], [name, "--url", "http://127.0.0.1:8000/rpc"]):
        result = run(args, tmp_path)
        assert result.returncode == 2
        assert result.stdout == ""
        assert own_lines(result.stderr) == [
            f"pyrpc: '{name}' is a command of the npm package @pyrpc/client: "
            f"run 'npx pyrpc {name}' in the frontend folder"
        ]


def test_usage_errors_stay_clicks_with_status_2(tmp_path: Path) -> None:
    unknown = run(["syncc"], tmp_path)
    assert unknown.returncode == 2
    assert "No such command 'syncc'" in unknown.stderr
    both = run(["inspect", "--url", "http://127.0.0.1:1", "--entrypoint", "x"], tmp_path)
    assert both.returncode == 2
    assert "Error: give --url or --entrypoint, not both" in both.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["codegen", "--entrypoint", "main"],
            "pyrpc codegen: error: say where to write the typescript client with --out DIR",
        ),
        (
            ["codegen", "--entrypoint", "main", "--emitter", "nonesuch", "--out", "x"],
            "pyrpc codegen: error: no emitter named 'nonesuch' is installed (installed: {emitters}) (from --emitter)",
        ),
        (
            ["serve"],
            "pyrpc serve: error: {root}/pyrpc.json: not found; run 'pyrpc dev' in the project folder to create it",
        ),
        (
            ["inspect"],
            "pyrpc inspect: error: {root}/pyrpc.json: not found; run 'pyrpc dev' in the project folder to create it",
        ),
        (
            ["dev", "--emitter", "nonesuch"],
            "pyrpc dev: error: no emitter named 'nonesuch' is installed (installed: {emitters}) (from --emitter)",
        ),
    ],
)
def test_every_command_fails_in_one_format(tmp_path: Path, args: list[str], line: str) -> None:
    (tmp_path / "main.py").write_text(textwrap.dedent(API))
    result = run(args, tmp_path)
    assert result.returncode == 1
    emitters = ", ".join(get_plugin_manager().emitters())
    assert own_lines(result.stderr) == [line.format(root=tmp_path.resolve(), emitters=emitters)]
    assert "Error:" not in result.stderr


def test_a_corrupt_pyrpc_json_is_one_line_saying_what_to_do(project: Path) -> None:
    (project / "pyrpc.json").write_text('{"version": 1,\n')
    path = (project / "pyrpc.json").resolve()
    dev = run(["dev"], project)
    assert dev.returncode == 1
    assert own_lines(dev.stderr) == [
        f"pyrpc dev: error: {path}: line 2, column 1: not valid JSON: Expecting property name enclosed in double "
        "quotes; fix the file, or run 'pyrpc dev --reconfigure' to answer again"
    ]
    serve = run(["serve"], project)
    assert own_lines(serve.stderr) == [
        f"pyrpc serve: error: {path}: line 2, column 1: not valid JSON: Expecting property name enclosed in double "
        "quotes"
    ]


def test_counts_are_singular_for_one(project: Path) -> None:
    inspected = run(["inspect"], project)
    assert inspected.stdout.splitlines()[-1] == "1 procedure"
    if "python" in get_plugin_manager().emitters():  # the example emitter of examples/plugins, one file
        generated = run(["codegen", "--emitter", "python", "--out", "client"], project)
        assert generated.returncode == 0, generated.stderr
        assert "pyrpc codegen: python: 1 file in client (1 changed)" in generated.stdout
    generated = run(["codegen", "--out", "ts"], project)
    assert "pyrpc codegen: typescript: 3 files in ts (3 changed)" in generated.stdout
    again = run(["codegen", "--out", "ts"], project)
    assert "pyrpc codegen: typescript: 3 files in ts (0 changed)" in again.stdout


def test_one_plugin_problem_is_one_problem(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "fakecount_broken.py").write_text("import a_module_that_is_not_installed\n")
    info = site / "fakecount_broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakecount-broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pyrpc]\nfakecount_broken = fakecount_broken\n")
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run([PYRPC, "plugins"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    plugins = len(get_plugin_manager().plugin_infos())
    assert result.stdout.splitlines()[-1] == f"{plugins} plugins"
    problems = [line for line in result.stderr.splitlines() if "(the other plugins work)" in line]
    assert get_plugin_manager().problems == [], "the installed plugins have problems of their own"
    assert problems == ["1 problem (the other plugins work):"]


def test_plural() -> None:
    from pyrpc_core.tooling.cli import plural

    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
