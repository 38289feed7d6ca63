"""pyrpc-core on the oldest pydantic its metadata accepts, in a fresh venv.

pip trusts ``pydantic>=X`` in pyrpc-core's ``pyproject.toml``: a project that pins an older
pydantic than pyRPC works with gets a clean install and then an internal error at every call
(pydantic 2.10's validators take no ``by_alias``). So the runtime's tests run again against
pydantic ``X`` itself, with the wheels of pyrpc-core, pyrpc-asgi and pyrpc-ts as users install
them; the development venv keeps its newer pin.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNTIME_TESTS = Path("tests") / "core" / "runtime"
# These need the frameworks (FastAPI, Flask), which the fresh venv leaves out.
NEEDS_FRAMEWORKS = ["test_call_hook.py", "test_lazy_plugins.py"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def pydantic_floor() -> str:
    """The X of pyrpc-core's ``pydantic>=X,<3``."""
    project = tomllib.loads((REPO / "pyrpc_core" / "pyproject.toml").read_text())["project"]
    found = [re.fullmatch(r"pydantic>=([\d.]+),<3", spec) for spec in project["dependencies"]]
    floors = [match.group(1) for match in found if match is not None]
    assert len(floors) == 1, f"pyrpc-core's pydantic requirement is not 'pydantic>=X,<3': {project['dependencies']}"
    return floors[0]


def run(command: list[str | Path], **kwargs: object) -> str:
    # The outer run's pytest and xdist variables would steer the inner pytest.
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PYTEST_", "PYTHONPATH"))}
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=300, env=env, check=False, **kwargs
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_the_runtime_tests_pass_on_the_oldest_pydantic_pyrpc_core_accepts(tmp_path: Path) -> None:
    floor = pydantic_floor()
    wheels = tmp_path / "wheels"
    sources = [REPO / "pyrpc_core", REPO / "pyrpc_asgi", REPO / "pyrpc_ts"]
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels, *sources])
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    tools = ("pytest==", "pytest-timeout==", "pytest-xdist==", "hypothesis==", "uvicorn==")
    pins = [line for line in (REPO / "requirements-dev.txt").read_text().splitlines() if line.startswith(tools)]
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", f"pydantic=={floor}"])
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", *sorted(wheels.glob("*.whl")), *pins])
    installed = run([python, "-c", "import pydantic; print(pydantic.VERSION)"]).strip()
    assert installed.startswith(floor), f"pip kept pydantic {installed}, not {floor}"

    ignored = [f"--ignore={RUNTIME_TESTS / name}" for name in NEEDS_FRAMEWORKS]
    report = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", RUNTIME_TESTS, *ignored], cwd=REPO)
    assert re.search(r"\b\d{3,} passed\b", report), report[-2000:]
