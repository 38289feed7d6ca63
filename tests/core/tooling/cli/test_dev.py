"""pyrpc dev in a real subprocess: pyrpc.json set-up, serving, the 300 ms watcher, broken saves."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import RPCClient, RpcError
from pyrpc_core.plugins import get_plugin_manager

from .conftest import Running

FIRST = """from pyrpc_core import rpc


@rpc
def add(a: int, b: int) -> int:
    return a + b
"""

SECOND = (
    FIRST
    + """

@rpc(name="math.mul")
def mul(a: int, b: int) -> int:
    return a * b
"""
)


@pytest.fixture
def backend(tmp_path: Path) -> Path:
    root = tmp_path / "backend"
    root.mkdir()
    (tmp_path / "frontend").mkdir()
    (root / "main.py").write_text(FIRST)
    return root


def types_file(backend: Path) -> Path:
    return backend.parent / "frontend" / "pyrpc" / "types" / "index.d.ts"


def flags(framework: str = "asgi", distribution: str = "workspace") -> list[str]:
    return [
        "dev",
        "--port",
        "0",
        "--framework",
        framework,
        "--entrypoint",
        "main",
        "--client-root",
        "../frontend",
        "--distribution",
        distribution,
    ]


def wait_until(condition: Any, timeout: float = 10) -> float:
    """Seconds until ``condition()`` holds (fails after ``timeout``)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - started


def test_first_run_asks_and_writes_pyrpc_json(backend: Path, start: Any) -> None:
    dev = start(["dev", "--port", "0"], backend, stdin="asgi\nmain\n../frontend\nworkspace\n")
    dev.wait_for(r"wrote .*pyrpc\.json")
    url = dev.wait_for(r"serving 1 procedure at (http://\S+)").group(1)
    assert json.loads((backend / "pyrpc.json").read_text()) == {
        "version": 1,
        "framework": "asgi",
        "entrypoint": "main",
        "client_root": "../frontend",
        "distribution": "workspace",
    }
    adapters = ", ".join(get_plugin_manager().adapters())  # the installed ones, starlette's example too
    assert "starlette" in adapters
    assert any(f"Framework ({adapters}) [fastapi]: " in line for line in dev.lines)
    assert any(line.endswith("pyrpc dev: types in " + str(types_file(backend).parent.resolve())) for line in dev.lines)
    with RPCClient(url) as client:
        assert client.add(1, 2) == 3
    assert "add(a: number, b: number): Promise<number>;" in types_file(backend).read_text()


def test_all_flags_ask_nothing_and_single_flags_update_one_field(backend: Path, start: Any) -> None:
    dev = start(flags(distribution="server"), backend, stdin="")  # a prompt would hit end of input
    dev.wait_for(r"serving 1 procedure")
    dev.stop()
    assert json.loads((backend / "pyrpc.json").read_text())["distribution"] == "server"
    dev = start(["dev", "--port", "0", "--distribution", "workspace"], backend, stdin="")
    dev.wait_for(r"updated .*pyrpc\.json")
    dev.wait_for(r"serving 1 procedure")
    config = json.loads((backend / "pyrpc.json").read_text())
    assert (config["distribution"], config["framework"]) == ("workspace", "asgi")


def test_reconfigure_asks_again_with_current_answers_as_defaults(backend: Path, start: Any) -> None:
    start(flags(), backend).wait_for(r"serving")
    dev = start(["dev", "--port", "0", "--reconfigure"], backend, stdin="\n\n\nserver\n")
    dev.wait_for(r"updated .*pyrpc\.json")
    assert json.loads((backend / "pyrpc.json").read_text())["distribution"] == "server"
    assert json.loads((backend / "pyrpc.json").read_text())["framework"] == "asgi"


def test_a_save_regenerates_the_types_after_the_debounce(backend: Path, start: Any) -> None:
    dev: Running = start(flags(), backend)
    url = dev.wait_for(r"serving 1 procedure at (http://\S+)").group(1)
    before = types_file(backend).read_text()
    saved = time.monotonic()
    (backend / "main.py").write_text(SECOND)
    wait_until(lambda: types_file(backend).read_text() != before)
    elapsed = time.monotonic() - saved
    assert elapsed >= 0.3  # not before the debounce
    assert elapsed < 5  # the debounce plus a generous margin for a loaded machine
    assert "mul(a: number, b: number): Promise<number>;" in types_file(backend).read_text()
    dev.wait_for(r"reloaded: \+ math\.mul")
    with RPCClient(url) as client:
        assert client.math.mul(3, 4) == 12


def test_a_burst_of_saves_regenerates_once(backend: Path, start: Any) -> None:
    dev: Running = start(flags(), backend)
    dev.wait_for(r"serving")
    for index in range(5):
        (backend / "main.py").write_text(FIRST + f"\n# edit {index}\n")
        time.sleep(0.05)
    dev.wait_for(r"reloaded: no API change")
    time.sleep(0.8)
    (backend / "main.py").write_text(SECOND)
    dev.wait_for(r"reloaded: \+ math\.mul")
    assert sum("reloaded" in line for line in dev.lines) == 2


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("def broken(:\n", r"main\.py:\d+: SyntaxError"),
        (
            "import not_a_module_anywhere\n",
            r"main\.py:\d+: ModuleNotFoundError: No module named 'not_a_module_anywhere'",
        ),
        (
            "@rpc(name='add')\ndef again() -> None: ...\n",
            r"main\.py:\d+: RegistrationError: duplicate procedure name 'add'",
        ),
    ],
)
def test_a_broken_save_keeps_the_server_and_the_last_good_types(
    backend: Path, start: Any, broken: str, message: str
) -> None:
    dev: Running = start(flags(), backend)
    url = dev.wait_for(r"serving 1 procedure at (http://\S+)").group(1)
    (backend / "main.py").write_text(SECOND)
    dev.wait_for(r"reloaded: \+ math\.mul")
    good_types = types_file(backend).read_text()

    (backend / "main.py").write_text(SECOND + "\n" + broken)
    dev.wait_for(message)
    dev.wait_for(r"still serving the last good version")
    assert types_file(backend).read_text() == good_types
    with RPCClient(url) as client:
        assert client.math.mul(2, 5) == 10
        assert client.add(1, 1) == 2

    (backend / "main.py").write_text(FIRST)
    dev.wait_for(r"reloaded: - math\.mul")
    with RPCClient(url) as client, pytest.raises(RpcError, match="Method not found"):
        client.math.mul(2, 5)
    assert "mul" not in types_file(backend).read_text()


def test_server_mode_writes_no_types_and_serves_the_new_schema(backend: Path, start: Any) -> None:
    dev: Running = start(flags(distribution="server"), backend)
    url = dev.wait_for(r"serving 1 procedure at (http://\S+)").group(1)
    (backend / "main.py").write_text(SECOND)
    dev.wait_for(r"reloaded: \+ math\.mul")
    assert sorted(RPCClient(url).schema()["procedures"]) == ["add", "math.mul"]
    assert list((backend.parent / "frontend").iterdir()) == []
    assert f"pyrpc dev: the frontend gets the types with 'npx pyrpc sync' from {url}" in dev.lines


def test_a_changed_signature_is_reported_as_changed(backend: Path, start: Any) -> None:
    dev: Running = start(flags(), backend)
    dev.wait_for(r"serving")
    (backend / "main.py").write_text(FIRST.replace("b: int)", "b: str)"))
    dev.wait_for(r"reloaded: ~ add")
    assert "add(a: number, b: string): Promise<number>;" in types_file(backend).read_text()


def test_flask_projects_are_served_by_a_threaded_wsgi_server(backend: Path, start: Any) -> None:
    dev: Running = start(flags(framework="flask"), backend)
    url = dev.wait_for(r"serving 1 procedure at (http://\S+)").group(1)
    with RPCClient(url) as client:
        assert client.add(20, 22) == 42
    (backend / "main.py").write_text(SECOND)
    dev.wait_for(r"reloaded: \+ math\.mul")
    with RPCClient(url) as client:
        assert client.math.mul(6, 7) == 42
