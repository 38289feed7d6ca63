"""Code generation for a large synthetic API: pyRPC's emitters, tsc on their output, and a peer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .harness import PYTHON, ROOT
from .synthetic import write_api

NODE_BIN = ROOT / "node_modules" / ".bin"


@dataclass
class CodegenResult:
    procedures: int
    models: int
    seconds: dict[str, float | None] = field(default_factory=dict)
    """By step: schema, python emitter, js emitter, tsc (half and full API), peer."""


def _time_in_subprocess(code: str, cwd: Path) -> float:
    """Seconds the code reports, run in a fresh interpreter (so nothing is warm from another step)."""
    completed = subprocess.run([PYTHON, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return float(completed.stdout.strip().splitlines()[-1])


def _schema_and_emit(folder: Path, module: str) -> tuple[float, float]:
    code = f"""
import json, sys, time
sys.path.insert(0, {str(folder)!r})
import {module}
from pyrpc_core import build_schema, registry
import pyrpc_ts
started = time.perf_counter()
schema = build_schema(registry)
built = time.perf_counter()
files = pyrpc_ts.generate(schema)
emitted = time.perf_counter()
from pathlib import Path
from pyrpc_core.tooling.files import write_files
folder = Path({str(folder)!r})
(folder / "schema.json").write_text(json.dumps(schema))
write_files(folder / "ts", {{"node_modules/@pyrpc/types/" + name: text for name, text in files.items()}})
print(built - started)
print(emitted - built)
"""
    completed = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    schema_seconds, emit_seconds = map(float, completed.stdout.split())
    return schema_seconds, emit_seconds


def _js_emitter(folder: Path) -> float | None:
    """The JavaScript port of the emitter (from @pyrpc/client), timed inside node."""
    script = ROOT / "bench" / "js_emit.mjs"
    if not script.exists() or not shutil.which("node"):
        return None
    completed = subprocess.run(
        ["node", str(script), str(folder / "schema.json")], capture_output=True, text=True, cwd=ROOT
    )
    if completed.returncode != 0:
        print(f"  codegen: the JS emitter could not run: {completed.stderr.strip()[:300]}", file=sys.stderr)
        return None
    return float(completed.stdout.strip().splitlines()[-1])


def _tsc(folder: Path) -> float | None:
    tsc = NODE_BIN / "tsc"
    if not tsc.exists():
        return None
    (folder / "ts" / "check.ts").write_text('import type { Types } from "@pyrpc/types";\nexport type T = Types;\n')
    config = {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "module": "nodenext",
            "moduleResolution": "nodenext",
            "target": "es2022",
            "skipLibCheck": False,
        },
        "files": ["check.ts", "node_modules/@pyrpc/types/index.d.ts"],
    }
    (folder / "ts" / "tsconfig.json").write_text(json.dumps(config))
    started = time.perf_counter()
    subprocess.run([str(tsc), "-p", str(folder / "ts")], check=True, capture_output=True)
    return time.perf_counter() - started


def _peer(folder: Path, module: str) -> float | None:
    """pydantic-to-typescript on the same models (it calls json-schema-to-typescript's json2ts)."""
    json2ts = NODE_BIN / "json2ts"
    pydantic2ts = Path(PYTHON).with_name("pydantic2ts")
    if not json2ts.exists() or not pydantic2ts.exists():
        return None
    started = time.perf_counter()
    subprocess.run(
        [
            str(pydantic2ts),
            "--module",
            str(folder / f"{module}.py"),
            "--output",
            str(folder / "peer.ts"),
            "--json2ts-cmd",
            str(json2ts),
        ],
        check=True,
        capture_output=True,
        cwd=folder,
    )
    return time.perf_counter() - started


def measure(procedures: int, models: int, with_peer: bool = True) -> CodegenResult:
    result = CodegenResult(procedures, models)
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        for label, scale in (("half", 2), ("full", 1)):
            folder = root / label
            write_api(folder, max(1, models // scale), max(1, procedures // scale))
            schema_seconds, emit_seconds = _schema_and_emit(folder, "api")
            tsc_seconds = _tsc(folder)
            result.seconds[f"tsc ({label} API)"] = tsc_seconds
            if label == "full":
                result.seconds["schema (build_schema)"] = schema_seconds
                result.seconds["python emitter"] = emit_seconds
                result.seconds["javascript emitter"] = _js_emitter(folder)
                result.seconds["peer: pydantic-to-typescript"] = _peer(folder, "api") if with_peer else None
    return result
