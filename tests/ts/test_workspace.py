"""Workspace distribution: where the package lands, atomically, and never anywhere else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import pyrpc_ts
from pyrpc_core.tooling.files import UnsafeWriteError as UnsafeTargetError


def _tree(root: Path) -> dict[str, bytes | str]:
    """Every file (bytes) and symlink (target) under ``root``, by relative path."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[key] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[key] = path.read_bytes()
    return found


def test_writes_the_package_and_creates_folders(tmp_path: Path, schema: dict[str, Any], files: dict[str, str]) -> None:
    client_root = tmp_path / "frontend"  # missing: created
    written = pyrpc_ts.save_typescript_client(schema, client_root)
    target = client_root / "node_modules" / "@pyrpc" / "types"
    assert sorted(written) == sorted(target / name for name in files)
    assert _tree(tmp_path) == {f"frontend/node_modules/@pyrpc/types/{n}": t.encode() for n, t in files.items()}
    assert pyrpc_ts.types_dir(client_root) == target.resolve()


def test_unchanged_files_are_not_touched(tmp_path: Path, schema: dict[str, Any]) -> None:
    pyrpc_ts.save_typescript_client(schema, tmp_path)
    target = pyrpc_ts.types_dir(tmp_path)
    old = 1_000_000_000
    for path in target.iterdir():
        os.utime(path, (old, old))
    inodes = {path.name: path.stat().st_ino for path in target.iterdir()}
    assert pyrpc_ts.save_typescript_client(schema, tmp_path) == []
    assert {path.name: path.stat().st_mtime for path in target.iterdir()} == {name: old for name in inodes}
    assert {path.name: path.stat().st_ino for path in target.iterdir()} == inodes


def test_a_change_rewrites_only_what_changed_by_rename(tmp_path: Path, schema: dict[str, Any]) -> None:
    pyrpc_ts.save_typescript_client(schema, tmp_path)
    target = pyrpc_ts.types_dir(tmp_path)
    before = {path.name: path.stat().st_ino for path in target.iterdir()}
    changed = {**schema, "procedures": {**schema["procedures"], "add": {**schema["procedures"]["add"], "doc": "New."}}}
    written = pyrpc_ts.save_typescript_client(changed, tmp_path)
    assert [path.name for path in written] == ["index.d.ts"]
    assert "/** New. */" in (target / "index.d.ts").read_text()
    # Replaced by a rename (a new inode), never rewritten in place; no temporary file is left.
    assert (target / "index.d.ts").stat().st_ino != before["index.d.ts"]
    assert sorted(path.name for path in target.iterdir()) == ["index.d.ts", "index.js", "package.json"]


def test_dotdot_in_client_root_is_resolved(tmp_path: Path, schema: dict[str, Any]) -> None:
    (tmp_path / "backend").mkdir()
    pyrpc_ts.save_typescript_client(schema, tmp_path / "backend" / ".." / "frontend")
    assert set(_tree(tmp_path)) == {f"frontend/node_modules/@pyrpc/types/{n}" for n in pyrpc_ts.emit.FILES}


@pytest.mark.parametrize("link", ["node_modules", "node_modules/@pyrpc", "node_modules/@pyrpc/types"])
def test_symlinked_folders_are_refused(tmp_path: Path, schema: dict[str, Any], link: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    client_root = tmp_path / "frontend"
    path = client_root / link
    path.parent.mkdir(parents=True)
    path.symlink_to(elsewhere, target_is_directory=True)
    before = _tree(tmp_path)
    with pytest.raises(UnsafeTargetError, match="symlink"):
        pyrpc_ts.save_typescript_client(schema, client_root)
    assert _tree(tmp_path) == before
    assert list(elsewhere.iterdir()) == []


def test_symlinked_file_is_refused(tmp_path: Path, schema: dict[str, Any]) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = tmp_path / "frontend" / "node_modules" / "@pyrpc" / "types"
    target.mkdir(parents=True)
    (target / "index.d.ts").symlink_to(victim)
    with pytest.raises(UnsafeTargetError, match="regular file"):
        pyrpc_ts.save_typescript_client(schema, tmp_path / "frontend")
    assert victim.read_text() == "keep me"


def test_a_file_in_place_of_a_folder_is_refused(tmp_path: Path, schema: dict[str, Any]) -> None:
    (tmp_path / "node_modules").write_text("not a folder")
    with pytest.raises(UnsafeTargetError, match="not a folder"):
        pyrpc_ts.save_typescript_client(schema, tmp_path)
    assert (tmp_path / "node_modules").read_text() == "not a folder"


def test_symlinked_client_root_is_followed_but_stays_inside(tmp_path: Path, schema: dict[str, Any]) -> None:
    # The client root itself may be a link (the user chose it); the package lands in its target.
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    pyrpc_ts.save_typescript_client(schema, tmp_path / "link")
    assert set(_tree(real)) == {f"node_modules/@pyrpc/types/{n}" for n in pyrpc_ts.emit.FILES}


@pytest.mark.parametrize("name", ["../escape.js", "a/../../escape.js", "/abs.js", "..", ""])
def test_file_names_from_an_emitter_cannot_climb_out(
    tmp_path: Path, schema: dict[str, Any], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(pyrpc_ts.workspace, "generate", lambda _schema: {name: "x"})
    with pytest.raises(UnsafeTargetError, match="not a plain relative path"):
        pyrpc_ts.save_typescript_client(schema, tmp_path / "frontend")
    assert not (tmp_path / "escape.js").exists()
    assert _tree(tmp_path) == {}
