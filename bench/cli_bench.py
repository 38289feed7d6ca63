"""How long the ``pyrpc`` command takes to start: ``--version`` and ``--help``, with every plugin installed.

Each is run as a real subprocess (the console script of this environment, whose plugins are the
built-in adapters and emitter and the examples), and the median of several runs is kept: the
targets are absolute (0.2 s and 0.5 s), since there is no peer to measure beside.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

PYRPC = str(Path(sys.executable).with_name("pyrpc"))
COMMANDS = {"pyrpc --version": ["--version"], "pyrpc --help": ["--help"]}
GOALS = {"pyrpc --version": 0.2, "pyrpc --help": 0.5}


def measure(runs: int) -> dict[str, float]:
    """The median seconds of each command, over ``runs`` runs (after one to warm the file cache)."""
    medians: dict[str, float] = {}
    for name, args in COMMANDS.items():
        subprocess.run([PYRPC, *args], capture_output=True, check=True)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([PYRPC, *args], capture_output=True, check=True)
            timings.append(time.perf_counter() - started)
        medians[name] = statistics.median(timings)
    return medians
