"""The zoo's package, byte for byte, against files reviewed by eye.

They are the ``zoo`` case of the shared corpus (tests/corpus), which the JavaScript port
of the emitter is held to as well.

Regenerate after an intended change with ``PYRPC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/ts``
and review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pyrpc_ts

from .zoo import zoo_schema

GOLDEN = Path(__file__).resolve().parents[1] / "corpus" / "zoo" / "expected"
UPDATE = os.environ.get("PYRPC_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("name", ["index.d.ts", "index.js", "package.json"])
def test_matches_golden(files: dict[str, str], name: str) -> None:
    path = GOLDEN / name
    actual = files[name].encode("utf-8")
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(actual)
    assert path.exists(), f"{path} is missing; run with PYRPC_UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_bytes(), f"{name} differs from {path}; regenerate with PYRPC_UPDATE_GOLDEN=1 if intended"


def test_exactly_the_golden_files(files: dict[str, str]) -> None:
    assert sorted(files) == sorted(p.name for p in GOLDEN.iterdir())


def test_same_schema_same_bytes(files: dict[str, str]) -> None:
    # A second registry built from scratch gives the same document and so the same files.
    assert pyrpc_ts.generate(zoo_schema()) == files


def test_order_of_procedures_and_defs_does_not_matter(schema: dict[str, object], files: dict[str, str]) -> None:
    shuffled = dict(schema)
    procedures = schema["procedures"]
    defs = schema["$defs"]
    assert isinstance(procedures, dict)
    assert isinstance(defs, dict)
    shuffled["procedures"] = dict(reversed(list(procedures.items())))
    shuffled["$defs"] = dict(reversed(list(defs.items())))
    assert pyrpc_ts.generate(shuffled) == files


def test_output_is_consistently_formatted(files: dict[str, str]) -> None:
    for name, text in files.items():
        assert text.endswith("\n"), name
        assert not text.endswith("\n\n"), name
        assert "\r" not in text, name
        assert "\t" not in text, name
        assert all(line == line.rstrip() for line in text.splitlines()), name
