"""Fake installed plugins for subprocess tests: a module and a ``.dist-info`` with an entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PYRPC = str(Path(sys.executable).with_name("pyrpc"))


def install_fake(
    root: Path, module: str, source: str, *, dist: str | None = None, entry_name: str | None = None
) -> None:
    """Lay out distribution ``dist`` (default: the module's name) whose ``pyrpc`` entry point loads ``module``."""
    dist = dist or module
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[pyrpc]\n{entry_name or module} = {module}\n")


def pyrpc(args: list[str], cwd: Path, site: Path | None) -> subprocess.CompletedProcess[str]:
    """Run the real ``pyrpc`` with the fake distributions of ``site`` (if any) on PYTHONPATH."""
    env = {**os.environ, "NO_COLOR": "1"}
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return subprocess.run([PYRPC, *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=env, check=False)
