"""pyrpc-core, pyrpc-asgi and pyrpc-ts on the oldest versions of their dependencies that their metadata accepts.

pip trusts ``pydantic>=X`` in a ``pyproject.toml``: a project that pins an older version than
pyRPC works with gets a clean install and then fails at run time (with pydantic 2.10, every call
failed: its validators take no ``by_alias``). So the runtime's tests run again in a fresh venv
holding each of those lower bounds exactly (pydantic, pluggy, click, uvicorn, jinja2), with the
wheels of the three distributions as users install them; ``pyrpc --version`` and ``--help`` run
there too. The development venv keeps its newer pins.
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
DISTRIBUTIONS = [REPO / "pyrpc_core", REPO / "pyrpc_asgi", REPO / "pyrpc_ts"]
RUNTIME_TESTS = Path("tests") / "core" / "runtime"
# These need the frameworks (FastAPI, Flask), which the fresh venv leaves out.
NEEDS_FRAMEWORKS = ["test_call_hook.py", "test_lazy_plugins.py"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def floors() -> list[str]:
    """``name==X`` for each ``name>=X`` (or ``name>=X,<Y``) the distributions depend on, pyRPC's own left out."""
    pins = []
    for folder in DISTRIBUTIONS:
        for spec in tomllib.loads((folder / "pyproject.toml").read_text())["project"]["dependencies"]:
            if spec.startswith("pyrpc-"):
                continue
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([\d.]+)(,<[\d.]+)?", spec)
            assert match is not None, f"{folder.name}: a dependency without a lower bound to test: {spec!r}"
            pins.append(f"{match.group(1)}=={match.group(2)}")
    return pins


def run(command: list[str | Path], **kwargs: object) -> str:
    # The outer run's pytest and xdist variables would steer the inner pytest.
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PYTEST_", "PYTHONPATH"))}
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=300, env=env, check=False, **kwargs
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_the_runtime_tests_pass_on_the_oldest_dependencies_the_metadata_accepts(tmp_path: Path) -> None:
    lowest = floors()
    assert {pin.split("==")[0].lower() for pin in lowest} >= {"pydantic", "pluggy", "click", "uvicorn", "jinja2"}
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels, *DISTRIBUTIONS])
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    tools = ("pytest==", "pytest-timeout==", "pytest-xdist==", "hypothesis==")
    pins = [line for line in (REPO / "requirements-dev.txt").read_text().splitlines() if line.startswith(tools)]
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet"]
    run([*pip, *sorted(wheels.glob("*.whl")), *lowest, *pins])
    freeze = [sys.executable, "-m", "pip", "--python", python, "list", "--format=freeze"]
    listed = run(freeze).lower().splitlines()
    for pin in lowest:
        name, version = pin.lower().split("==")
        assert any(re.fullmatch(rf"{re.escape(name)}=={re.escape(version)}(\.0)*", line) for line in listed), (
            f"pip did not install {pin}: {listed}"
        )

    assert run([venv / "bin" / "pyrpc", "--version"]).startswith("pyrpc, version ")
    assert "Usage: pyrpc" in run([venv / "bin" / "pyrpc", "--help"])
    ignored = [f"--ignore={RUNTIME_TESTS / name}" for name in NEEDS_FRAMEWORKS]
    report = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", RUNTIME_TESTS, *ignored], cwd=REPO)
    assert re.search(r"\b\d{3,} passed\b", report), report[-2000:]
