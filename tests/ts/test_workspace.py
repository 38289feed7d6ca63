"""The client project's layout as the Python side writes it: snapshot, package, dependency, link.

The same layout ``npx pyrpc sync`` writes (pyrpc_ts/npm/client/src/project.ts): the last test
runs both on one document and compares the trees byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import pyrpc_ts
from pyrpc_core.schema import dump_snapshot
from pyrpc_core.tooling.files import UnsafeWriteError
from pyrpc_ts.workspace import WorkspaceError

ROOT = Path(__file__).resolve().parents[2]
FILES = ("index.d.ts", "index.js", "package.json")


def _tree(root: Path) -> dict[str, bytes | str]:
    """Every file (bytes) and symlink (its target) under ``root``, by relative path."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[key] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[key] = path.read_bytes()
    return found


def _project(folder: Path, manifest: str = '{\n  "name": "app",\n  "private": true\n}\n') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(manifest)
    return folder


def test_writes_the_snapshot_the_package_the_dependency_and_the_link(
    tmp_path: Path, schema: dict[str, Any], files: dict[str, str]
) -> None:
    client = _project(tmp_path / "frontend")
    written = pyrpc_ts.save_typescript_client(schema, client)
    types = client / "pyrpc" / "types"
    assert sorted(written) == sorted([client / "pyrpc" / "schema.json", *(types / name for name in files)])
    assert (client / "pyrpc" / "schema.json").read_text() == dump_snapshot(schema)
    for name, text in files.items():
        assert (types / name).read_text() == text
    assert json.loads((client / "package.json").read_text())["dependencies"] == {"@pyrpc/types": "file:pyrpc/types"}
    link = client / "node_modules" / "@pyrpc" / "types"
    assert os.readlink(link) == "../../pyrpc/types"
    assert (link / "index.d.ts").read_text() == files["index.d.ts"]
    assert pyrpc_ts.types_dir(client) == types.resolve()


def test_a_second_save_changes_nothing(tmp_path: Path, schema: dict[str, Any]) -> None:
    client = _project(tmp_path / "frontend")
    pyrpc_ts.save_typescript_client(schema, client)
    old = 1_000_000_000
    for path in (client / "pyrpc" / "types").iterdir():
        os.utime(path, (old, old))
    before = _tree(client)
    assert pyrpc_ts.save_typescript_client(schema, client) == []
    assert _tree(client) == before
    assert {path.stat().st_mtime for path in (client / "pyrpc" / "types").iterdir()} == {old}


def test_a_change_rewrites_only_what_changed_by_rename(tmp_path: Path, schema: dict[str, Any]) -> None:
    client = _project(tmp_path / "frontend")
    pyrpc_ts.save_typescript_client(schema, client)
    types = client / "pyrpc" / "types"
    before = {path.name: path.stat().st_ino for path in types.iterdir()}
    changed = {**schema, "procedures": {**schema["procedures"], "add": {**schema["procedures"]["add"], "doc": "New."}}}
    written = pyrpc_ts.save_typescript_client(changed, client)
    assert sorted(path.name for path in written) == ["index.d.ts", "schema.json"]
    assert "/** New. */" in (types / "index.d.ts").read_text()
    assert (types / "index.d.ts").stat().st_ino != before["index.d.ts"]  # a rename, never in place
    assert sorted(path.name for path in types.iterdir()) == sorted(FILES)


@pytest.mark.parametrize(
    ("extra", "spec"),
    [({}, "file:pyrpc/types"), ({"packageManager": "pnpm@10.34.9"}, "link:pyrpc/types")],
)
def test_the_dependency_keeps_the_manifest_style_and_suits_the_package_manager(
    tmp_path: Path, schema: dict[str, Any], extra: dict[str, str], spec: str
) -> None:
    manifest = {"name": "app", **extra, "dependencies": {"@pyrpc/client": "2.0.0", "zod": "^3"}}
    client = _project(tmp_path / "frontend", json.dumps(manifest, indent=4).replace("\n", "\r\n") + "\r\n")
    pyrpc_ts.save_typescript_client(schema, client)
    text = (client / "package.json").read_bytes().decode()
    assert text == (
        json.dumps(
            {**manifest, "dependencies": {"@pyrpc/client": "2.0.0", "@pyrpc/types": spec, "zod": "^3"}}, indent=4
        ).replace("\n", "\r\n")
        + "\r\n"
    )


def test_a_declared_dependency_is_left_alone(tmp_path: Path, schema: dict[str, Any]) -> None:
    manifest = '{"name": "app", "devDependencies": {"@pyrpc/types": "file:./pyrpc/types/"}}'
    client = _project(tmp_path / "frontend", manifest)
    pyrpc_ts.save_typescript_client(schema, client)
    assert (client / "package.json").read_text() == manifest


def test_the_old_copy_in_node_modules_is_replaced_by_the_link(tmp_path: Path, schema: dict[str, Any]) -> None:
    client = _project(tmp_path / "frontend")
    old = client / "node_modules" / "@pyrpc" / "types"
    old.mkdir(parents=True)
    (old / "package.json").write_text('{"name": "@pyrpc/types", "version": "0.0.0"}')
    (old / "index.d.ts").write_text("export interface Types {}\n")
    pyrpc_ts.save_typescript_client(schema, client)
    assert old.is_symlink()
    assert os.readlink(old) == "../../pyrpc/types"
    assert [path.name for path in old.parent.iterdir()] == ["types"]  # nothing left aside


def test_something_else_in_node_modules_is_refused_and_nothing_is_linked(
    tmp_path: Path, schema: dict[str, Any]
) -> None:
    client = _project(tmp_path / "frontend")
    foreign = client / "node_modules" / "@pyrpc" / "types"
    foreign.mkdir(parents=True)
    (foreign / "package.json").write_text('{"name": "someone-else"}')
    manifest = (client / "package.json").read_text()
    with pytest.raises(WorkspaceError, match="not a generated @pyrpc/types package"):
        pyrpc_ts.save_typescript_client(schema, client)
    assert (client / "package.json").read_text() == manifest
    assert not foreign.is_symlink()
    assert json.loads((foreign / "package.json").read_text()) == {"name": "someone-else"}


def test_a_broken_package_json_is_reported_and_left_as_it_is(tmp_path: Path, schema: dict[str, Any]) -> None:
    client = _project(tmp_path / "frontend", '{"name": "app",')
    with pytest.raises(WorkspaceError, match=r"package\.json is not valid JSON"):
        pyrpc_ts.save_typescript_client(schema, client)
    assert (client / "package.json").read_text() == '{"name": "app",'
    assert not (client / "node_modules").exists()


def test_without_a_package_json_the_types_are_written_and_the_user_is_told(
    tmp_path: Path, schema: dict[str, Any]
) -> None:
    client = tmp_path / "frontend"  # missing: created
    pyrpc_ts.save_typescript_client(schema, client)
    assert sorted(path.name for path in (client / "pyrpc" / "types").iterdir()) == sorted(FILES)
    lines = pyrpc_ts.workspace.link_types(client, client / "pyrpc" / "types")
    assert len(lines) == 1
    assert "no package.json" in lines[0]
    assert '"@pyrpc/types": "file:pyrpc/types"' in lines[0]


@pytest.mark.parametrize("link", ["pyrpc", "pyrpc/types", "node_modules", "node_modules/@pyrpc"])
def test_symlinked_folders_are_refused(tmp_path: Path, schema: dict[str, Any], link: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    client = _project(tmp_path / "frontend")
    path = client / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UnsafeWriteError, match="symlink"):
        pyrpc_ts.save_typescript_client(schema, client)
    assert list(elsewhere.iterdir()) == []


def test_symlinked_file_is_refused(tmp_path: Path, schema: dict[str, Any]) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    types = _project(tmp_path / "frontend") / "pyrpc" / "types"
    types.mkdir(parents=True)
    (types / "index.d.ts").symlink_to(victim)
    with pytest.raises(UnsafeWriteError, match="regular file"):
        pyrpc_ts.save_typescript_client(schema, tmp_path / "frontend")
    assert victim.read_text() == "keep me"


def test_dotdot_and_a_symlinked_client_root_are_resolved(tmp_path: Path, schema: dict[str, Any]) -> None:
    real = _project(tmp_path / "real")
    (tmp_path / "backend").mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    pyrpc_ts.save_typescript_client(schema, tmp_path / "backend" / ".." / "link")
    assert {f"pyrpc/types/{name}" for name in FILES} | {"pyrpc/schema.json"} <= set(_tree(real))


@pytest.mark.parametrize("name", ["../escape.js", "a/../../escape.js", "/abs.js", "..", ""])
def test_file_names_from_an_emitter_cannot_climb_out(
    tmp_path: Path, schema: dict[str, Any], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(pyrpc_ts.workspace, "generate", lambda _schema, **_options: {name: "x"})
    with pytest.raises(UnsafeWriteError, match="not a plain relative path"):
        pyrpc_ts.save_typescript_client(schema, tmp_path / "frontend")
    assert not (tmp_path / "escape.js").exists()
    assert _tree(tmp_path) == {}


def test_the_python_and_the_npm_side_write_the_same_project(tmp_path: Path, schema: dict[str, Any]) -> None:
    """``pyrpc dev`` (workspace mode) and ``npx pyrpc generate`` (from the same snapshot) agree byte for byte."""
    cli = ROOT / "pyrpc_ts" / "npm" / "client" / "dist" / "esm" / "cli.js"
    node = shutil.which("node")
    if node is None or not cli.exists():
        pytest.fail("node and the built @pyrpc/client are needed: run `make setup`")
    manifest = '{\n  "name": "app",\n  "private": true,\n  "dependencies": {\n    "@pyrpc/client": "2.0.0"\n  }\n}\n'
    by_python = _project(tmp_path / "python", manifest)
    pyrpc_ts.save_typescript_client(schema, by_python)
    by_node = _project(tmp_path / "node", manifest)
    (by_node / "pyrpc").mkdir()
    (by_node / "pyrpc" / "schema.json").write_text(dump_snapshot(schema))
    script = f"import({json.dumps(cli.as_uri())}).then(m => m.main(['generate', '--root', process.argv[1]]))"
    completed = subprocess.run(
        [node, "-e", f"{script}.then(code => process.exit(code))", str(by_node)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert _tree(by_python) == _tree(by_node)
