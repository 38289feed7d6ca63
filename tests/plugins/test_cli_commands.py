"""Plugins extend the ``pyrpc`` command through ``pyrpc_cli_commands``, in real subprocesses."""

from __future__ import annotations

from pathlib import Path

import pytest

from .fakes import install_fake, pyrpc

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
        install_fake(root, module, source)
    return root


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
