"""A synthetic API of any size, written as a Python module: models that nest, procedures that use them."""

from __future__ import annotations

from pathlib import Path


def api_source(models: int, procedures: int) -> str:
    """Source of a module with ``models`` pydantic models and ``procedures`` @rpc procedures."""
    lines = [
        "from __future__ import annotations",
        "",
        "from datetime import datetime",
        "from enum import Enum",
        "from typing import Literal",
        "",
        "from pydantic import BaseModel, Field",
        "",
        "from pyrpc_core import rpc",
        "",
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
    for index in range(procedures):
        lines += [
            "",
            f"@rpc(name='group{index % 20}.proc{index}')",
            f"def proc{index}(item: Model{index % models}, limit: int = 10) -> list[Model{(index * 3) % models}]:",
            f'    """Procedure number {index}."""',
            "    return []",
            "",
        ]
    return "\n".join(lines)


def write_api(folder: Path, models: int, procedures: int, name: str = "api") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(api_source(models, procedures))
    return path
