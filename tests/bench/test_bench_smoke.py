"""The benchmark scripts still run, on a tiny setting (the numbers themselves are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_on_a_tiny_setting(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny", "--markdown", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    text = report.read_text()
    for heading in [
        "## Requests over HTTP",
        "## The pyrpc_call hook",
        "## The pyrpc command's start",
        "## A batch of 100",
        "## A batch of a 10 ms call beside a 200 ms one",
        "## Code generation",
        "## Start-up",
        "## pyrpc dev",
        "## Server memory",
        "## Streaming",
    ]:
        assert heading in text
    # Every server answered every call correctly (the bench checks the answers) and without errors.
    rows = [line for line in text.splitlines() if line.startswith("| ") and "req/s" not in line and "---" not in line]
    http_rows = [row for row in rows if row.count("|") == 8]
    assert len(http_rows) == 18
    assert all(row.split("|")[6].strip() == "0" for row in http_rows)
