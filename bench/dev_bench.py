"""``pyrpc dev``: from a file save to the new types on disk, on a large project."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from .harness import PYTHON
from .synthetic import write_api


def measure(procedures: int, saves: int) -> list[float]:
    """Seconds from each save to the changed ``index.d.ts`` (the 300 ms debounce included)."""
    with tempfile.TemporaryDirectory() as temporary:
        backend = Path(temporary) / "backend"
        api = write_api(backend, max(1, procedures // 2), procedures)
        (Path(temporary) / "frontend").mkdir()
        config = {
            "version": 1,
            "framework": "asgi",
            "entrypoint": "api",
            "client_root": "../frontend",
            "distribution": "workspace",
        }
        (backend / "pyrpc.json").write_text(json.dumps(config))
        types = Path(temporary) / "frontend" / "node_modules" / "@pyrpc" / "types" / "index.d.ts"
        command = [str(Path(PYTHON).with_name("pyrpc")), "dev", "--port", "0"]
        process = subprocess.Popen(
            command,
            cwd=backend,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if "serving" in line:
                    break
            else:
                raise RuntimeError("pyrpc dev did not start")
            source = api.read_text()
            timings = []
            for save in range(saves):
                before = types.read_bytes()
                # A new docstring changes the JSDoc, so the types really change on every save.
                api.write_text(source.replace('"""Procedure number 0."""', f'"""Procedure number 0, edit {save}."""'))
                saved = time.perf_counter()
                deadline = saved + 30
                while types.read_bytes() == before:
                    if time.perf_counter() > deadline:
                        raise RuntimeError("the types did not change within 30 s of a save")
                    time.sleep(0.002)
                timings.append(time.perf_counter() - saved)
                time.sleep(0.5)  # let the reload settle before the next save
            return timings
        finally:
            process.terminate()
            process.wait(timeout=10)


def p50(timings: list[float]) -> float:
    return statistics.median(timings)
