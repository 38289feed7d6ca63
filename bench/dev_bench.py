"""``pyrpc dev``: from a file save to the new types on disk, on a large project.

The project is a package as a real one of that size is organized (``bench.synthetic.write_api_package``):
``api/models.py`` with the models, ``api/group{k}.py`` with the procedures, ``api/__init__.py``
importing the groups. Two edits are timed, each a docstring, so the types really change:

- one procedure's, in its group module (the everyday save: only that module and the
  entrypoint are re-imported);
- one model's, in the models module (every group imports it: the whole project is re-imported).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .harness import PYTHON
from .synthetic import write_api_package

LEAF = "edit one procedure (its group module)"
MODELS = "edit one model (the models module: everything reloads)"
FLOOR = "floor of a models edit: the debounce + re-executing api/models.py alone"
DEBOUNCE = 0.3
"""``pyrpc dev``'s wait after a save (the mission's 300 ms), counted in the floor."""


def write_project(folder: Path, procedures: int) -> Path:
    """Write the project into ``folder``: ``backend/`` (package ``api``, pyrpc.json) and ``frontend/``; the package."""
    backend = folder / "backend"
    package = write_api_package(backend, max(1, procedures // 2), procedures)
    (folder / "frontend").mkdir()
    config = {
        "version": 1,
        "framework": "asgi",
        "entrypoint": "api",
        "client_root": "../frontend",
        "distribution": "workspace",
    }
    (backend / "pyrpc.json").write_text(json.dumps(config))
    return package


def edits(package: Path) -> dict[str, tuple[Path, str, str]]:
    """The two edits timed, by label: the file, the text replaced, and its replacement (``{}``: the save's number)."""
    return {
        LEAF: (package / "group0.py", '"""Procedure number 0."""', '"""Procedure number 0, edit {}."""'),
        MODELS: (package / "models.py", '"""Model number 0."""', '"""Model number 0, edit {}."""'),
    }


def measure(procedures: int, saves: int) -> dict[str, list[float]]:
    """Seconds from each save to the changed ``index.d.ts`` (the 300 ms debounce included), by edit."""
    with tempfile.TemporaryDirectory() as temporary:
        package = write_project(Path(temporary), procedures)
        backend = package.parent
        types = Path(temporary) / "frontend" / "pyrpc" / "types" / "index.d.ts"  # the workspace layout of 2.0
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
            # Keep reading what it prints: a full pipe would block it.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            results: dict[str, list[float]] = {}
            for label, (path, old, new) in edits(package).items():
                source = path.read_text()
                results[label] = [
                    _timed_save(path, source.replace(old, new.format(save)), types) for save in range(saves)
                ]
            return results
        finally:
            process.terminate()
            process.wait(timeout=10)


def _timed_save(path: Path, text: str, types: Path) -> float:
    """Write ``text`` to ``path``; seconds until ``types`` changes."""
    before = types.read_bytes()
    path.write_text(text)
    saved = time.perf_counter()
    deadline = saved + 30
    while types.read_bytes() == before:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the types did not change within 30 s of a save to {path.name}")
        time.sleep(0.002)
    elapsed = time.perf_counter() - saved
    time.sleep(0.5)  # let the reload settle before the next save
    return elapsed


def models_floor(procedures: int, runs: int) -> list[float]:
    """Seconds a models edit cannot go under, by run: the debounce and re-executing the models module.

    Any reload must run the edited module again, and there pydantic builds every class of it; the
    rest of a models edit (the modules that import it, the procedures' own models, the schema,
    the types) is what ``pyrpc dev`` adds. Timed in a warm interpreter, as ``pyrpc dev`` is one.
    """
    code = """
import importlib, json, sys, time
sys.path.insert(0, sys.argv[1])
import api.models
timings = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    importlib.reload(api.models)
    timings.append(time.perf_counter() - started)
print(json.dumps(timings))
"""
    with tempfile.TemporaryDirectory() as temporary:
        backend = write_project(Path(temporary), procedures).parent  # the project measure() edits
        completed = subprocess.run(
            [PYTHON, "-c", code, str(backend), str(runs)], capture_output=True, text=True, check=True
        )
    return [DEBOUNCE + seconds for seconds in json.loads(completed.stdout)]


def p50(timings: list[float]) -> float:
    return statistics.median(timings)
