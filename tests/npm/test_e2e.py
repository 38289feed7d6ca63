"""End to end: types generated both ways (workspace and ``npx pyrpc sync``), byte-identical;
a TypeScript program compiled with ``tsc --strict`` against them and run with node, with the
real client, against a live server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from pyrpc_core.testing import http_request
from pyrpc_ts import save_typescript_client
from pyrpc_ts.emit import generate

from .conftest import NODE, TSC, new_project, run

HERE = Path(__file__).resolve().parent
TYPES = Path("node_modules/@pyrpc/types")  # a link to pyrpc/types, the package both modes write
PACKAGE = Path("pyrpc/types")


def _types(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / TYPES).iterdir())}


def test_tarball_holds_the_built_package(tarball: Path) -> None:
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    for expected in (
        "package/package.json",
        "package/bin/pyrpc.cjs",
        "package/postinstall.cjs",
        "package/dist/esm/index.js",
        "package/dist/esm/index.d.ts",
        "package/dist/cjs/index.js",
        "package/dist/cjs/index.d.ts",
        "package/dist/cjs/package.json",
        "package/dist/esm/cli.js",
        "package/dist/cjs/emitter/emit.js",
    ):
        assert expected in names, expected
    assert not any(name.startswith(("package/src/", "package/test/")) for name in names)


def test_esm_and_commonjs_in_the_installed_project(project: Path) -> None:
    assert NODE is not None
    esm = run(
        [
            NODE,
            "--input-type=module",
            "-e",
            'import { createClient, RpcError } from "@pyrpc/client";'
            "const c = createClient({ url: 'http://x.test/rpc' });"
            "console.log(typeof createClient, typeof RpcError, typeof c.users.get, c.then);",
        ],
        cwd=project,
    )
    assert esm.stdout.split() == ["function", "function", "function", "undefined"]
    cjs = run(
        [
            NODE,
            "-e",
            'const { createClient, TransportError } = require("@pyrpc/client");'
            'const { generate } = require("@pyrpc/client/emitter");'
            "console.log(typeof createClient, typeof TransportError, typeof generate);",
        ],
        cwd=project,
    )
    assert cjs.stdout.split() == ["function", "function", "function"]


def _remove_types(project: Path) -> None:
    """No types in ``project``: neither the package nor its link (nor an old copy of the package)."""
    link = project / TYPES
    if link.is_symlink():
        link.unlink()
    else:
        shutil.rmtree(link, ignore_errors=True)
    shutil.rmtree(project / PACKAGE, ignore_errors=True)


def _compile_and_run(project: Path, server: str) -> str:
    """Compile tests/npm/app.ts in ``project`` with tsc --strict and run it against ``server``."""
    shutil.copy(HERE / "app.ts", project / "app.ts")
    config = {
        "compilerOptions": {
            "strict": True,
            "target": "es2022",
            "lib": ["es2022", "dom"],
            "module": "nodenext",
            "moduleResolution": "nodenext",
            "types": [],
            "skipLibCheck": False,
            "outDir": "out",
        },
        "files": ["app.ts"],
    }
    (project / "tsconfig.json").write_text(json.dumps(config, indent=2))
    run([str(TSC), "-p", "tsconfig.json", "--strict", "--pretty", "false"], cwd=project)
    assert NODE is not None
    completed = run([NODE, "out/app.js", server], cwd=project, timeout=60)
    assert "checks passed" in completed.stdout
    return completed.stdout


def test_workspace_and_sync_agree_and_the_program_passes(project: Path, server: str, tmp_path: Path) -> None:
    schema = json.loads(http_request(server, "GET").body)

    # Workspace mode: the Python side writes into the client project.
    _remove_types(project)
    save_typescript_client(schema, project)
    workspace = _types(project)
    assert workspace == {name: text.encode() for name, text in generate(schema).items()}
    _compile_and_run(project, server)

    # Server mode: npx pyrpc sync in the client project, no Python involved.
    _remove_types(project)
    completed = run(["npx", "--no-install", "pyrpc", "sync", "--url", server], cwd=project)
    assert "3 files updated" in completed.stdout
    assert _types(project) == workspace
    output = _compile_and_run(project, server)
    assert "e2e: all" in output

    # A second sync leaves the files alone.
    again = run(["npx", "--no-install", "pyrpc", "sync", "--url", server], cwd=project)
    assert "already up to date" in again.stdout


def test_sync_failure_is_one_line_and_exit_1(project: Path) -> None:
    completed = subprocess.run(
        ["npx", "--no-install", "pyrpc", "sync", "--url", "http://127.0.0.1:9/rpc"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip().count("\n") == 0
    assert completed.stderr.startswith("pyrpc: cannot reach the pyRPC server at http://127.0.0.1:9/rpc")


def test_install_without_a_terminal_never_blocks(npm: str, tarball: Path, tmp_path: Path) -> None:
    # Not CI, but no terminal: a session of its own (no /dev/tty) and stdin closed.
    folder = new_project(tmp_path / "app")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    completed = subprocess.run(
        [npm, "install", "--offline", "--no-audit", "--no-fund", "--foreground-scripts", str(tarball)],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert (folder / "node_modules/@pyrpc/client/dist/cjs/postinstall.js").exists()
    assert not (folder / "pyrpc.client.json").exists()
