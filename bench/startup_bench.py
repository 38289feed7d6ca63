"""Start-up of a large API: importing it against importing its models alone, and its cold schema
document against pydantic's own ``models_json_schema`` on the same models.

Each figure is measured in a fresh interpreter (nothing warm from another step), the import
timed around the ``import`` statement alone (the interpreter's own start is no part of it);
the median of ``runs`` interpreters is reported.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .harness import PYTHON
from .synthetic import write_api_package

IMPORT_CODE = """
import sys, time
sys.path.insert(0, {folder!r})
started = time.perf_counter()
import {module}
print(time.perf_counter() - started)
"""

# build_schema against models_json_schema on the (model, mode) pairs the document holds: each
# procedure's params model for validation, its result model for serialization. Both cold: the
# API is imported first, then one of the two runs, alone in its interpreter.
SCHEMA_CODE = """
import sys, time, typing
sys.path.insert(0, {folder!r})
import api
from pyrpc_core import build_schema, registry
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
if {ours!r}:
    started = time.perf_counter()
    build_schema(registry)
else:
    pairs = {{}}
    for procedure in registry:
        for name, hint in typing.get_type_hints(procedure.func).items():
            if name == "return":
                for model in typing.get_args(hint):
                    pairs[(model, "serialization")] = None
            elif isinstance(hint, type) and issubclass(hint, BaseModel):
                pairs[(hint, "validation")] = None
    started = time.perf_counter()
    models_json_schema(list(pairs))
print(time.perf_counter() - started)
"""


@dataclass
class StartupResult:
    procedures: int
    models: int
    import_models: float
    import_api: float
    build_schema: float
    models_json_schema: float

    @property
    def import_ratio(self) -> float:
        return self.import_api / self.import_models

    @property
    def schema_ratio(self) -> float:
        return self.build_schema / self.models_json_schema


def _median_seconds(code: str, runs: int) -> float:
    timings = []
    for _ in range(runs):
        completed = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"the start-up bench's interpreter failed:\n{completed.stderr[-2000:]}")
        timings.append(float(completed.stdout.strip().splitlines()[-1]))
    return statistics.median(timings)


def measure(procedures: int, models: int, runs: int) -> StartupResult:
    with tempfile.TemporaryDirectory() as temporary:
        folder = str(Path(temporary))
        write_api_package(Path(folder), models, procedures)
        return StartupResult(
            procedures,
            models,
            import_models=_median_seconds(IMPORT_CODE.format(folder=folder, module="api.models"), runs),
            import_api=_median_seconds(IMPORT_CODE.format(folder=folder, module="api"), runs),
            build_schema=_median_seconds(SCHEMA_CODE.format(folder=folder, ours=True), runs),
            models_json_schema=_median_seconds(SCHEMA_CODE.format(folder=folder, ours=False), runs),
        )


if __name__ == "__main__":  # a quick look: python -m bench.startup_bench
    print(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, 1000, 3))
