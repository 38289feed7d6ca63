"""docs/configuration.md documents exactly the fields pyrpc.json has, and the first-run defaults the CLI uses."""

from __future__ import annotations

import re
from pathlib import Path

from pyrpc_core.tooling import cli
from pyrpc_core.tooling.config import file_model

PAGE = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def _table_fields(section: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8").split(f"## `{section}`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", text, flags=re.MULTILINE)


def test_every_pyrpc_json_field_and_no_other_is_documented() -> None:
    assert _table_fields("pyrpc.json") == list(file_model().model_fields)


def test_the_documented_defaults_are_the_cli_defaults() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for field, default in cli.DEFAULTS.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{field}` |"))
        assert default in row, (field, default)


def test_pyrpc_client_json_fields_are_those_the_npm_package_reads() -> None:
    config_ts = PAGE.parents[1] / "pyrpc_ts" / "npm" / "client" / "src" / "config.ts"
    interface = config_ts.read_text(encoding="utf-8").split("export interface ClientConfig {", 1)[1].split("}", 1)[0]
    assert _table_fields("pyrpc.client.json") == re.findall(r"^\s*(\w+):", interface, flags=re.MULTILINE)
