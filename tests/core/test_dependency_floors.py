"""pyRPC's distributions on the oldest versions of their dependencies that their metadata accepts.

pip trusts ``pydantic>=X`` in a ``pyproject.toml``: a project that pins an older version than
pyRPC works with gets a clean install and then fails at run time (with pydantic 2.10 every call
failed, its validators taking no ``by_alias``; with Django 5.0 a 503 became a 500). So tests run
again in fresh venvs that hold each lower bound exactly, with the wheels of the distributions as
users install them; the development venv keeps its newer pins. Two venvs, because the lower
bounds of the core (click 8.1, jinja2 3.1) are older than Flask 3.0 itself accepts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from venvs import dev_pins, fresh_venv

REPO = Path(__file__).resolve().parents[2]
CORE = [REPO / "pyrpc_core", REPO / "pyrpc_asgi", REPO / "pyrpc_ts"]
ADAPTERS = [REPO / "pyrpc_fastapi", REPO / "pyrpc_flask", REPO / "pyrpc_django"]
TOOLS = ("pytest", "pytest-timeout", "pytest-xdist", "hypothesis")
"""Pinned as in requirements-dev.txt, for the tests themselves."""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(500)]


def lower_bounds(distributions: list[Path], extra: str | None = None) -> list[str]:
    """``name==X`` for each ``name>=X`` (or ``name>=X,<Y``) the distributions depend on (or their
    ``extra`` adds), pyRPC's own left out."""
    pins = []
    for folder in distributions:
        project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        specs = project["optional-dependencies"][extra] if extra is not None else project["dependencies"]
        for spec in specs:
            if spec.startswith("pyrpc-"):
                continue
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([\d.]+)(,<[\d.]+)?", spec)
            assert match is not None, f"{folder.name}: a dependency without a lower bound to test: {spec!r}"
            pins.append(f"{match.group(1).lower()}=={match.group(2)}")
    return pins


def run(command: list[str | Path], **kwargs: object) -> str:
    # The outer run's pytest and xdist variables would steer the inner pytest.
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PYTEST_", "PYTHONPATH"))}
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=400, env=env, check=False, **kwargs
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def exact_venv(root: Path, distributions: list[Path], pins: list[str]) -> Path:
    """``fresh_venv`` with exactly ``pins`` and the test tools; its python. Fails if pip picked other versions."""
    python = fresh_venv(root, distributions, [*pins, *dev_pins(*TOOLS)])
    listed = run([sys.executable, "-m", "pip", "--python", python, "list", "--format=freeze"]).lower().splitlines()
    for pin in pins:
        name, version = pin.split("==")
        assert any(re.fullmatch(rf"{re.escape(name)}=={re.escape(version)}(\.0)*", line) for line in listed), (
            f"pip did not install {pin}: {listed}"
        )
    return python


def run_tests(python: Path, *paths: str) -> None:
    report = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths], cwd=REPO)
    assert re.search(r"\b\d{3,} passed\b", report), report[-2000:]


def test_the_core_passes_on_the_oldest_dependencies_its_metadata_accepts(tmp_path: Path) -> None:
    pins = lower_bounds(CORE)
    assert {pin.split("==")[0] for pin in pins} == {"pydantic", "pluggy", "click", "uvicorn", "jinja2"}
    python = exact_venv(tmp_path, CORE, pins)
    assert run([python.with_name("pyrpc"), "--version"]).startswith("pyrpc, version ")
    assert "Usage: pyrpc" in run([python.with_name("pyrpc"), "--help"])
    # The runtime, but for the two files that need the frameworks (the test below runs them).
    run_tests(
        python,
        "tests/core/runtime",
        "--ignore=tests/core/runtime/test_call_hook.py",
        "--ignore=tests/core/runtime/test_lazy_plugins.py",
    )


def test_the_adapters_pass_on_the_oldest_frameworks_their_metadata_accepts(tmp_path: Path) -> None:
    pydantic = [pin for pin in lower_bounds(CORE) if pin.startswith("pydantic==")]
    watcher = lower_bounds(CORE[:1], extra="dev")  # pyrpc dev serves the Django projects of tests/django
    pins = lower_bounds(ADAPTERS)
    assert {pin.split("==")[0] for pin in pins} == {"fastapi", "flask", "waitress", "django"}
    assert watcher == ["watchdog==4"]
    python = exact_venv(tmp_path, CORE + ADAPTERS, pins + pydantic + watcher)
    run_tests(
        python,
        "tests/fastapi",
        "tests/flask",
        "tests/django",
        "tests/core/runtime/test_call_hook.py",
        "tests/core/runtime/test_lazy_plugins.py",
    )
