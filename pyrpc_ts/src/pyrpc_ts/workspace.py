"""The client project's layout, as ``pyrpc dev`` writes it in workspace mode (``npx pyrpc sync`` writes the same).

Inside the client project folder (pyrpc.json's ``client_root``)::

    pyrpc/schema.json           the schema snapshot, to commit: the contract the types come from
    pyrpc/types/                the generated package @pyrpc/types (index.d.ts, index.js, package.json)
    package.json                declares "@pyrpc/types": "file:pyrpc/types" (link: for pnpm and yarn),
                                so the package manager links the folder and never prunes it
    node_modules/@pyrpc/types   a link to ../../pyrpc/types (what npm makes for that dependency),
                                so the types resolve at once, before the next install

Files are written atomically and only when their bytes change. The snapshot and the package
are byte for byte what the JavaScript side (``pyrpc_ts/npm/client/src/project.ts``) writes for
the same document. Nothing is ever written through a symlink or over something that is not
ours: such a refusal is a ``WorkspaceError`` (or ``UnsafeWriteError``) naming the path.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyrpc_core.schema import dump_snapshot
from pyrpc_core.tooling.files import UnsafeWriteError, write_atomic, write_files

from .emit import generate
from .options import Calls

SNAPSHOT_FILE = "pyrpc/schema.json"
TYPES_FOLDER = "pyrpc/types"
TYPES_LINK = "node_modules/@pyrpc/types"
PACKAGE_NAME = "@pyrpc/types"

__all__ = ["WorkspaceError", "link_types", "save_typescript_client", "types_dir"]


class WorkspaceError(ValueError):
    """The client project is not in a state the types can be linked into; nothing was changed."""


def types_dir(client_root: str | os.PathLike[str]) -> Path:
    """The folder of the generated package: ``<client_root, resolved>/pyrpc/types``."""
    return Path(client_root).resolve() / TYPES_FOLDER


def save_typescript_client(
    schema: Mapping[str, Any], client_root: str | os.PathLike[str], *, calls: Calls = "positional"
) -> list[Path]:
    """Write the snapshot and ``@pyrpc/types`` under ``client_root`` and link the package; return the files changed.

    ``calls`` is the emitter option (``"named"``: each procedure takes one object of params).
    The package.json dependency and the ``node_modules`` link are made when missing (see
    ``link_types``). Unchanged files are not touched (not even their modification time).
    """
    root = Path(client_root)
    files = {SNAPSHOT_FILE: dump_snapshot(dict(schema))}
    files.update({f"{TYPES_FOLDER}/{name}": text for name, text in generate(schema, calls=calls).items()})
    root.mkdir(parents=True, exist_ok=True)
    changed = write_files(root, files)
    link_types(root, root.resolve() / TYPES_FOLDER)
    return changed


def link_types(client_root: Path, out: Path) -> list[str]:
    """Make the client project see the package in ``out``: its package.json dependency and node_modules link.

    Returns what the user should know, a line each (a dependency added, and the install
    command that records it in the lock file). Checks everything before changing anything.
    """
    root = client_root.resolve()
    manifest_path = root / "package.json"
    if not manifest_path.is_file():
        return [
            f"{root} has no package.json: create the frontend project there (npm init -y), "
            f'then add "{PACKAGE_NAME}": "file:{_relative(out, root)}" to its dependencies'
        ]
    text = manifest_path.read_bytes().decode("utf-8-sig")  # bytes: its line ends are kept
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        raise WorkspaceError(f"{manifest_path} is not valid JSON ({exc}); nothing was changed") from None
    if not isinstance(manifest, dict):
        raise WorkspaceError(f"{manifest_path} does not hold a JSON object; nothing was changed")
    manager = _package_manager(root, manifest)
    spec = f"{'file' if manager == 'npm' else 'link'}:{_relative(out, root)}"
    edited = _declare(manifest, manifest_path, root, out, spec)
    link = root / TYPES_LINK
    replace = _check_link(root, link, out)

    lines = []
    if edited is not None:
        write_atomic(manifest_path, _dump(edited, text).encode())
        lock = {"npm": "package-lock.json", "pnpm": "pnpm-lock.yaml", "yarn": "yarn.lock"}[manager]
        install = "yarn" if manager == "yarn" else f"{manager} install"
        lines.append(f'added "{PACKAGE_NAME}": "{spec}" to {manifest_path}; run "{install}" once so {lock} records it')
    if replace is not None:
        _make_link(link, out, replace)
    return lines


def _relative(out: Path, root: Path) -> str:
    return Path(os.path.relpath(out, root)).as_posix()


def _package_manager(root: Path, manifest: dict[str, Any]) -> str:
    """pnpm or yarn by their lock files, else by ``packageManager``; npm otherwise."""
    if (root / "pnpm-lock.yaml").exists():
        return "pnpm"
    if (root / "yarn.lock").exists():
        return "yarn"
    field = manifest.get("packageManager")
    name = field.split("@")[0].strip().lower() if isinstance(field, str) else ""
    return name if name in ("pnpm", "yarn") else "npm"


def _declare(manifest: dict[str, Any], path: Path, root: Path, out: Path, spec: str) -> dict[str, Any] | None:
    """The manifest with the dependency declared, or None when it is declared already."""
    for section in ("dependencies", "devDependencies"):
        value = manifest.get(section)
        if value is not None and not isinstance(value, dict):
            raise WorkspaceError(f'{path}: "{section}" is not an object; nothing was changed')
        current = (value or {}).get(PACKAGE_NAME)
        kind, _, where = current.partition(":") if isinstance(current, str) else ("", "", "")
        if kind in ("file", "link") and (root / where).resolve() == out.resolve():
            return None
        if current is not None:  # pointing elsewhere: replaced where it stands
            return {**manifest, section: {**value, PACKAGE_NAME: spec}}  # type: ignore[dict-item]
    dependencies = dict(manifest.get("dependencies") or {})
    names = list(dependencies)
    if names == sorted(names):  # kept sorted, as npm keeps it
        dependencies = dict(sorted({**dependencies, PACKAGE_NAME: spec}.items()))
    else:
        dependencies[PACKAGE_NAME] = spec
    return {**manifest, "dependencies": dependencies}


def _dump(manifest: dict[str, Any], original: str) -> str:
    """The manifest in the file's own style: its indentation and line ends, a final newline."""
    indent: str | int = 2
    for line in original.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and stripped != line:
            indent = line[: len(line) - len(stripped)]
            break
    newline = "\r\n" if "\r\n" in original else "\n"
    return json.dumps(manifest, indent=indent, ensure_ascii=False).replace("\n", newline) + newline


def _check_link(root: Path, link: Path, out: Path) -> str | None:
    """What to do at ``node_modules/@pyrpc/types``: None (it is right), "create" or "replace"; raises when not ours."""
    for folder in (root / "node_modules", link.parent):
        if folder.is_symlink():
            raise UnsafeWriteError(f"{folder} is a symlink; refusing to write through it")
    if not os.path.lexists(link):
        return "create"
    if link.is_symlink():
        target = (link.parent / os.readlink(link)).resolve()
        if target == out.resolve():
            return None
        if target.is_relative_to(root / "node_modules") and _is_generated_package(target):
            return "replace"  # the package manager's own copy of it (pnpm's, for a file: folder)
        raise WorkspaceError(
            f"{link} links to {os.readlink(link)}, not to {_relative(out, root)}; "
            "refusing to replace it (remove it if it is yours to remove)"
        )
    if link.is_dir() and _is_generated_package(link):
        return "replace"  # the layout before 2.0, or a copy an install made
    raise WorkspaceError(f"{link} is not a generated {PACKAGE_NAME} package; refusing to replace it")


def _is_generated_package(folder: Path) -> bool:
    try:
        if not any(folder.iterdir()):
            return True
        return bool(json.loads((folder / "package.json").read_text(encoding="utf-8")).get("name") == PACKAGE_NAME)
    except (OSError, ValueError, AttributeError):
        return False


def _make_link(link: Path, out: Path, action: str) -> None:
    """A relative symlink (as npm makes it), put in place by a rename so that it never half exists."""
    link.parent.mkdir(parents=True, exist_ok=True)
    temporary = link.parent / f".types.{secrets.token_hex(6)}.tmp"
    temporary.symlink_to(os.path.relpath(out, link.parent), target_is_directory=True)
    try:
        if action == "replace":
            aside = link.parent / f".types.{secrets.token_hex(6)}.old"
            os.replace(link, aside)
            try:
                os.replace(temporary, link)
            except OSError:
                os.replace(aside, link)
                raise
            if aside.is_symlink():
                aside.unlink()
            else:
                shutil.rmtree(aside)
        else:
            os.replace(temporary, link)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise WorkspaceError(f"cannot link {link} to {out}: {exc}") from exc
