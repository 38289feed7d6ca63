"""Driving the real ``pyrpc`` command in subprocesses: ``Running`` (a live one) and ``run`` (to the end).

The ``start`` fixture of tests/conftest.py tracks ``Running`` processes and stops them after each test."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

PYRPC = str(Path(sys.executable).with_name("pyrpc"))


class Running:
    """A ``pyrpc`` process whose output is read line by line as it comes."""

    def __init__(self, args: list[str], cwd: Path, stdin: str | None = None) -> None:
        self.process = subprocess.Popen(
            [PYRPC, *args],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"},
        )
        assert self.process.stdin is not None
        if stdin is not None:
            self.process.stdin.write(stdin)
        self.process.stdin.close()
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        """The first new output line matching ``pattern``; fails with all output on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                line = ""
                if remaining <= 0:
                    pytest.fail(f"no line matching {pattern!r} within {timeout} s; output:\n" + "\n".join(self.lines))
                continue
            if line is None:
                pytest.fail(
                    f"pyrpc exited ({self.process.wait()}) before {pattern!r}; output:\n" + "\n".join(self.lines)
                )
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run(args: list[str], cwd: Path, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``pyrpc`` to completion."""
    return subprocess.run(
        [PYRPC, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
    )
