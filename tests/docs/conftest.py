"""The guides of docs/ carried out in temporary folders, as a reader would."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = ("pyrpc_core", "pyrpc_asgi", "pyrpc_fastapi", "pyrpc_ts")
"""What ``pip install "pyrpc-core[dev]" pyrpc-fastapi`` installs of this repository."""


def third_party_requirements() -> list[str]:
    """The requirements of those distributions (with pyrpc-core's dev extra) on other projects."""
    requirements: list[str] = []
    for folder in DISTRIBUTIONS:
        project = tomllib.loads((REPO / folder / "pyproject.toml").read_text())["project"]
        requirements += project["dependencies"]
        requirements += project.get("optional-dependencies", {}).get("dev", [])
    return sorted({requirement for requirement in requirements if not re.match(r"pyrpc[-_]", requirement)})


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of every third-party dependency, taken from the package index once per session
    (through pip's cache), so that the guides' installs run with ``--no-index``."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "-w", str(folder), *third_party_requirements()],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, f"pip wheel of the dependencies failed:\n{completed.stdout}{completed.stderr}"
    return folder
