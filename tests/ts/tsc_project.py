"""Small TypeScript projects in a temp folder, compiled with the real tsc in one run each.

tsc starts in about a second, so every check of a run goes into one project: one file per
case, each a module of its own, and the diagnostics are split back by file and line.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_DIAGNOSTIC = re.compile(r"^(?P<file>[^(\n]+)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): (?P<message>.*)$")

COMPILER_OPTIONS: dict[str, object] = {
    "strict": True,
    "noEmit": True,
    "target": "es2022",
    "lib": ["es2022"],
    "module": "esnext",
    "moduleResolution": "bundler",
    "types": [],
    "skipLibCheck": False,  # the generated index.d.ts is checked too
    "exactOptionalPropertyTypes": False,
    "noUncheckedIndexedAccess": False,
}


@dataclass(frozen=True)
class Diagnostic:
    """One tsc error."""

    file: str
    line: int
    code: str
    message: str


def write_project(folder: Path, sources: dict[str, str], options: dict[str, object] | None = None) -> None:
    """A tsconfig.json (strict) including exactly ``sources``, written with the sources."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"compilerOptions": {**COMPILER_OPTIONS, **(options or {})}, "files": sorted(sources)}
    (folder / "tsconfig.json").write_text(json.dumps(config, indent=2))
    for name, text in sources.items():
        (folder / name).write_text(text)


def run_tsc(tsc: Path, folder: Path) -> list[Diagnostic]:
    """Compile the project in ``folder`` (``--noEmit --strict``); its errors, parsed."""
    completed = subprocess.run(
        [str(tsc), "-p", str(folder / "tsconfig.json"), "--noEmit", "--strict", "--pretty", "false"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = completed.stdout + completed.stderr
    diagnostics: list[Diagnostic] = []
    for line in output.splitlines():
        match = _DIAGNOSTIC.match(line)
        if match:
            diagnostics.append(
                Diagnostic(
                    file=Path(match["file"]).name,
                    line=int(match["line"]),
                    code=match["code"],
                    message=match["message"],
                )
            )
    if completed.returncode != 0 and not diagnostics:
        raise AssertionError(f"tsc failed without diagnostics (exit {completed.returncode}):\n{output}")
    if completed.returncode == 0 and diagnostics:
        raise AssertionError(f"tsc exited 0 but printed errors:\n{output}")
    return diagnostics
