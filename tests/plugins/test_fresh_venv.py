"""The example plugins from the outside: a fresh venv holding pyrpc-core and the two plugins only.

The wheels of pyrpc-core and of the two example plugins are built from this repository once
per session and installed, with pytest, into a new virtual environment (dependencies come from
the package index through pip's cache). There the conformance kit and the emitter harness run
unchanged against the installed plugins, ``pyrpc plugins`` lists them, and ``pyrpc codegen``
and ``pyrpc dev`` use the ``python`` emitter and the ``starlette`` adapter exactly like the
built-in ones.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from venvs import dev_pins, fresh_venv

from .conftest import EXAMPLES, REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

THIRD_PARTY_TESTS = '''
"""What a plugin author's own test file looks like: the kit and the harness, unchanged."""

import pytest

import pyrpc_starlette
from pyrpc_core import get_plugin_manager
from pyrpc_core.testing import AdapterConformance, EmitterHarness, conformance_registry, serve_asgi


class TestStarletteAdapter(AdapterConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def rpc_url(cls):
        adapter = get_plugin_manager().get_adapter("starlette")  # through the entry point
        with serve_asgi(adapter.create_app(conformance_registry(), "/rpc")) as base_url:
            yield base_url + "/rpc"


class TestPythonEmitter(EmitterHarness):
    @pytest.fixture(scope="class")
    @classmethod
    def emitter(cls):
        return get_plugin_manager().get_emitter("python")
'''

MAIN = """
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from pyrpc_core import rpc


async def health(request):
    return PlainTextResponse("ok")


@rpc
def add(a: int, b: int) -> int:
    return a + b


app = Starlette(routes=[Route("/health", health)])
"""

MUL = """

@rpc(name="math.mul")
def mul(a: int, b: int = 2) -> int:
    return a * b
"""

CALL = """
import json, sys
sys.path.insert(0, sys.argv[1])
from pyrpc_client import Client

with Client(sys.argv[2]) as api:
    print(json.dumps({name: getattr(api, name)(*args) for name, args in json.loads(sys.argv[3]).items()}))
"""


def run(*command: str | Path, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if check:
        assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheels of pyrpc-core, pyrpc-starlette and pyrpc-pyclient, and pytest."""
    root = tmp_path_factory.mktemp("fresh")
    sources = [REPO / "pyrpc_core", EXAMPLES / "pyrpc_starlette", EXAMPLES / "pyrpc_pyclient"]
    # pytest for the kits, and watchdog (the file watcher of pyrpc-core's dev extra, whose other
    # half is pyrpc-ts) for pyrpc dev: pinned as in the dev requirements.
    return fresh_venv(root, sources, dev_pins("pytest", "watchdog")).parents[1]


def installed(venv: Path) -> set[str]:
    script = "import json, importlib.metadata as m; print(json.dumps([d.metadata['Name'] for d in m.distributions()]))"
    return {name.lower() for name in json.loads(run(venv / "bin" / "python", "-c", script).stdout)}


def test_only_core_and_the_plugins_are_installed_and_pyrpc_plugins_lists_them(venv: Path, tmp_path: Path) -> None:
    names = installed(venv)
    assert {"pyrpc-core", "pyrpc-starlette", "pyrpc-pyclient", "starlette"} <= names
    assert not {"pyrpc-asgi", "pyrpc-fastapi", "pyrpc-flask", "pyrpc-ts", "fastapi", "flask"} & names, names

    listing = json.loads(run(venv / "bin" / "pyrpc", "plugins", "--json", "--check", cwd=tmp_path).stdout)
    assert listing == {
        "plugins": [
            {
                "name": "python",
                "module": "pyrpc_pyclient.plugin",
                "distribution": "pyrpc-pyclient",
                "version": "2.0.0",
                "hooks": ["pyrpc_emitters"],
                "adapters": [],
                "emitters": ["python"],
            },
            {
                "name": "starlette",
                "module": "pyrpc_starlette.plugin",
                "distribution": "pyrpc-starlette",
                "version": "2.0.0",
                "hooks": ["pyrpc_adapters"],
                "adapters": ["starlette"],
                "emitters": [],
            },
        ],
        "problems": [],
    }


def test_the_conformance_kit_and_the_emitter_harness_pass_unchanged(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_third_party.py").write_text(THIRD_PARTY_TESTS)
    result = run(
        venv / "bin" / "python",
        "-m",
        "pytest",
        "-v",
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    passed = int(re.search(r"(\d+) passed", summary).group(1))  # type: ignore[union-attr]
    assert passed >= 45, summary  # the whole kit and the whole harness ran
    assert "failed" not in summary
    assert "1 skipped" in summary  # only the snapshot check, which needs a snapshot_dir
    assert "test_third_party.py::TestPythonEmitter::test_same_output_in_fresh_processes PASSED" in result.stdout


class Dev:
    """``pyrpc dev`` of the fresh venv, its output read line by line."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match
        pytest.fail(f"no line matching {pattern!r}; output:\n" + "\n".join(self.seen))


@pytest.fixture
def dev_process() -> Iterator[list[Dev]]:
    started: list[Dev] = []
    yield started
    for dev in started:
        dev.process.terminate()
        dev.process.wait(10)


def test_codegen_and_dev_use_the_python_emitter_and_the_starlette_adapter(
    venv: Path, tmp_path: Path, dev_process: list[Dev]
) -> None:
    pyrpc, python = venv / "bin" / "pyrpc", venv / "bin" / "python"
    backend = tmp_path / "backend"
    backend.mkdir()
    (backend / "main.py").write_text(textwrap.dedent(MAIN))

    codegen = run(pyrpc, "codegen", "--entrypoint", "main", "--emitter", "python", "--out", "once", cwd=backend)
    assert "pyrpc codegen: python: 1 file" in codegen.stdout
    assert "def add(self, a: int, b: int) -> int:" in (backend / "once" / "pyrpc_client.py").read_text()

    missing = run(pyrpc, "dev", "--emitter", "python", "--framework", "starlette", cwd=backend, check=False)
    assert missing.returncode == 1
    assert "say where to write the python client with --out DIR" in missing.stderr

    flags = ["--framework", "starlette", "--entrypoint", "main", "--client-root", "../web", "--distribution", "server"]
    dev = Dev([str(pyrpc), "dev", "--port", "0", *flags, "--emitter", "python", "--out", "client"], backend)
    dev_process.append(dev)
    dev.wait_for(rf"python client in {re.escape(str((backend / 'client').resolve()))}")
    url = dev.wait_for(r"serving 1 procedure at (http://\S+)").group(1)
    assert json.loads((backend / "pyrpc.json").read_text())["framework"] == "starlette"

    def call(calls: dict[str, list[int]]) -> dict[str, int]:
        result: dict[str, int] = json.loads(run(python, "-c", CALL, backend / "client", url, json.dumps(calls)).stdout)
        return result

    assert call({"add": [2, 3]}) == {"add": 5}
    base_url = url.removesuffix("/rpc")
    run(python, "-c", f"import urllib.request as u; assert u.urlopen('{base_url}/health').read() == b'ok'")

    with (backend / "main.py").open("a") as source:
        source.write(MUL)
    dev.wait_for(r"reloaded: \+ math\.mul; wrote 1 file\b")
    assert (
        "def math_mul(self, a: int, b: int | _Unset = UNSET) -> int:"
        in (backend / "client" / "pyrpc_client.py").read_text()
    )
    assert call({"add": [1, 1], "math_mul": [6]}) == {"add": 2, "math_mul": 12}
    time.sleep(0.6)  # the client written into the project is not a change of its sources: no second reload
    dev.process.terminate()
    dev.process.wait(10)
    rest = []
    while not dev.lines.empty():
        rest.append(dev.lines.get())
    assert not [line for line in rest if "reloaded" in line], rest
