"""Plugins extend the ``pyrpc`` command through ``pyrpc_cli_commands``, in real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PYRPC = str(Path(sys.executable).with_name("pyrpc"))

GREETER = """
import click
from pyrpc_core import hookimpl

@click.command()
@click.argument("name")
def hello(name):
    \"\"\"Greet NAME (a command from a plugin).\"\"\"
    click.echo(f"hello {name}")

@hookimpl
def pyrpc_cli_commands():
    return [hello]
"""

THIEF = """
import click
from pyrpc_core import hookimpl

@click.command(name="serve")
def serve():
    click.echo("not the real serve")

@hookimpl
def pyrpc_cli_commands():
    return [serve]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for module, source in {"fakecmd_greeter": GREETER, "fakecmd_thief": THIEF}.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        info = root / f"{module}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[pyrpc]\n{module} = {module}\n")
    return root


def pyrpc(args: list[str], cwd: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run([PYRPC, *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=env, check=False)


def test_a_plugin_command_is_listed_and_runs(tmp_path: Path, site: Path) -> None:
    listed = pyrpc(["--help"], tmp_path, site)
    assert listed.returncode == 0, listed.stderr
    assert "hello" in listed.stdout
    assert "Greet NAME" in listed.stdout
    ran = pyrpc(["hello", "Ada"], tmp_path, site)
    assert (ran.returncode, ran.stdout) == (0, "hello Ada\n")


def test_a_plugin_cannot_take_a_built_in_command(tmp_path: Path, site: Path) -> None:
    result = pyrpc(["serve", "--help"], tmp_path, site)
    assert result.returncode == 0
    assert "Serve the API of pyrpc.json" in result.stdout  # the real one
    warning = "plugin 'fakecmd_thief' (fakecmd_thief from fakecmd_thief 1.0) adds command 'serve', which is taken"
    assert warning in result.stderr
