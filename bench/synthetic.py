"""A synthetic API of any size: models that nest, procedures that use them.

``api_source``/``write_api`` write it as one module (the codegen bench imports it once);
``write_api_package`` writes it the way a real project of that size is organized: a package
with the models in one module and the procedures in group modules (what ``pyrpc dev`` reloads).
"""

from __future__ import annotations

from pathlib import Path

GROUPS = 20
"""Procedure ``i`` is named ``group{i % 20}.proc{i}`` (and lives in ``api/group{i % 20}.py`` in the package)."""


def api_source(models: int, procedures: int) -> str:
    """Source of a module with ``models`` pydantic models and ``procedures`` @rpc procedures."""
    lines = _model_lines(models, with_rpc=True)
    for index in range(procedures):
        lines += _procedure_lines(index, models)
    return "\n".join(lines)


def _model_lines(models: int, with_rpc: bool) -> list[str]:
    lines = [
        "from __future__ import annotations",
        "",
        "from datetime import datetime",
        "from enum import Enum",
        "from typing import Literal",
        "",
        "from pydantic import BaseModel, Field",
        "",
    ]
    if with_rpc:
        lines += ["from pyrpc_core import rpc", ""]
    lines += [
        "",
        "class Status(str, Enum):",
        "    active = 'active'",
        "    archived = 'archived'",
        "",
    ]
    for index in range(models):
        lines += [
            "",
            f"class Model{index}(BaseModel):",
            f'    """Model number {index}."""',
            "",
            "    id: int",
            "    name: str = Field(min_length=1, max_length=200)",
            "    note: str | None = None",
            "    status: Status = Status.active",
            "    created: datetime",
            "    tags: list[str] = []",
            "    kind: Literal['a', 'b'] = 'a'",
        ]
        if index:
            lines.append(f"    parent: Model{index // 2} | None = None")
            lines.append(f"    children: list[Model{(index * 7) % index}] = []")
        lines.append("")
    return lines


def _procedure_lines(index: int, models: int) -> list[str]:
    return [
        "",
        f"@rpc(name='group{index % GROUPS}.proc{index}')",
        f"def proc{index}(item: Model{index % models}, limit: int = 10) -> list[Model{(index * 3) % models}]:",
        f'    """Procedure number {index}."""',
        "    return []",
        "",
    ]


def write_api(folder: Path, models: int, procedures: int, name: str = "api") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(api_source(models, procedures))
    return path


def write_api_package(folder: Path, models: int, procedures: int, name: str = "api") -> Path:
    """The same API as a package, organized as a real project of that size is; returns its folder.

    ``{name}/models.py`` holds the models; ``{name}/group{k}.py`` the procedures of group ``k``
    (procedure ``i`` in group ``i % 20``), importing the models they use from ``.models``;
    ``{name}/__init__.py`` imports the groups (it is the entrypoint).
    """
    package = folder / name
    package.mkdir(parents=True, exist_ok=True)
    (package / "models.py").write_text("\n".join(_model_lines(models, with_rpc=False)))
    groups = min(GROUPS, procedures)
    for group in range(groups):
        indexes = range(group, procedures, GROUPS)
        used = sorted({index % models for index in indexes} | {(index * 3) % models for index in indexes})
        lines = [
            "from __future__ import annotations",
            "",
            "from pyrpc_core import rpc",
            "",
            f"from .models import {', '.join(f'Model{model}' for model in used)}",
            "",
        ]
        for index in indexes:
            lines += _procedure_lines(index, models)
        (package / f"group{group}.py").write_text("\n".join(lines))
    imports = ", ".join(f"group{group}" for group in range(groups))
    (package / "__init__.py").write_text(f'"""The API: every group of procedures."""\n\nfrom . import {imports}\n')
    return package
