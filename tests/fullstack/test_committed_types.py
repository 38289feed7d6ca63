"""The example's committed client files, examples/fullstack/frontend/pyrpc: the schema snapshot
and the generated @pyrpc/types, committed so that the frontend type-checks with no backend.
They must be exactly what the backend produces today, and all the frontend needs."""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
from pathlib import Path

import pyrpc_ts

from .conftest import (
    ENV,
    EXAMPLE,
    NODE_MODULES,
    assert_types_linked,
    copy_example,
    require_npm_workspace,
    tsc,
)

COMMITTED = EXAMPLE / "frontend" / "pyrpc"
REGENERATE = (
    "examples/fullstack/frontend/pyrpc/ is not what examples/fullstack/backend/main.py produces; "
    "regenerate it with `cd examples/fullstack/backend && ../../../.venv/bin/pyrpc codegen` "
    "(or run `make dev` in examples/fullstack once) and commit frontend/pyrpc/"
)

# What `pyrpc dev` does on start, in a process of its own: the example's @rpc fills the default
# registry, which the rest of the suite shares. pyrpc.json loaded and the project imported as
# the tooling does it (the served app's registry, the schema amended by the installed plugins);
# then the snapshot and the package, each file's text by its path below frontend/pyrpc.
PRODUCE = """
import json, sys
import pyrpc_ts
from pyrpc_core.schema import dump_snapshot
from pyrpc_core.tooling.config import load_config
from pyrpc_core.tooling.reload import Project

schema = Project(load_config(sys.argv[1])).load().schema
files = {"schema.json": dump_snapshot(schema)}
files.update({f"types/{name}": text for name, text in pyrpc_ts.generate(schema).items()})
json.dump(files, sys.stdout)
"""


def produced() -> dict[str, str]:
    completed = subprocess.run(
        [sys.executable, "-c", PRODUCE, str(EXAMPLE / "backend" / "pyrpc.json")],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    files: dict[str, str] = json.loads(completed.stdout)
    return files


def committed(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` by its relative path, as text (bytes compared: no newline translation)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes().decode()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def differences(expected: dict[str, str], found: dict[str, str]) -> str:
    lines = []
    for name in sorted(expected.keys() | found.keys()):
        if name not in found:
            lines.append(f"missing: {name}")
        elif name not in expected:
            lines.append(f"not generated (remove it): {name}")
        elif found[name] != expected[name]:
            diff = difflib.unified_diff(
                found[name].splitlines(),
                expected[name].splitlines(),
                f"committed {name}",
                f"produced {name}",
                lineterm="",
            )
            lines.extend(list(diff)[:40])
    return "\n".join(lines)


def test_the_committed_snapshot_and_types_are_what_the_backend_produces() -> None:
    expected, found = produced(), committed(COMMITTED)
    assert found == expected, f"{REGENERATE}\n{differences(expected, found)}"
    # And the package is what the snapshot gives, as `npx pyrpc generate` rebuilds it from it.
    snapshot = json.loads(found["schema.json"])
    assert {f"types/{name}": text for name, text in pyrpc_ts.generate(snapshot).items()} == {
        name: text for name, text in found.items() if name.startswith("types/")
    }, REGENERATE


def test_the_frontend_type_checks_from_the_committed_types_with_no_backend(tmp_path: Path) -> None:
    """A fresh clone: `make setup`'s `pyrpc generate` (no server, no Python) links the committed package."""
    require_npm_workspace()
    frontend = copy_example(tmp_path) / "frontend"
    before = committed(frontend / "pyrpc")
    generate = subprocess.run(
        [str(NODE_MODULES / ".bin" / "pyrpc"), "generate"],
        cwd=frontend,
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
        check=False,
    )
    assert generate.returncode == 0, generate.stdout + generate.stderr
    assert "(already up to date)" in generate.stdout, generate.stdout  # byte for byte what Python wrote
    assert committed(frontend / "pyrpc") == before
    assert_types_linked(frontend)
    status, errors, output = tsc(frontend)
    assert (status, errors) == (0, []), output
