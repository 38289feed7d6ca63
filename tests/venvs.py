"""Fresh virtual environments holding this repository's distributions as users install them: from wheels."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def dev_pins(*names: str) -> list[str]:
    """The lines of requirements-dev.txt that pin ``names`` (``pytest==9.0.3``...), for a venv's own tools."""
    prefixes = tuple(f"{name}==" for name in names)
    return [line for line in (REPO / "requirements-dev.txt").read_text().splitlines() if line.startswith(prefixes)]


def fresh_venv(root: Path, sources: Sequence[Path], requirements: Sequence[str] = ()) -> Path:
    """A venv in ``root/venv`` with the wheels of ``sources`` and ``requirements``; its python.

    The wheels are built without their dependencies, which pip then takes from the package index
    (through its cache), as for a user; ``requirements`` may pin some of them.
    """
    wheels = root / "wheels"
    _pip("wheel", "--quiet", "--no-deps", "-w", wheels, *sources)
    _run(sys.executable, "-m", "venv", "--without-pip", root / "venv")
    python = root / "venv" / "bin" / "python"
    _pip("--python", python, "install", "--quiet", *sorted(wheels.glob("*.whl")), *requirements)
    return python


def _pip(*arguments: str | Path) -> None:
    _run(sys.executable, "-m", "pip", *arguments)


def _run(*command: str | Path) -> None:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
