"""The shared golden corpus: the Python emitter against ``tests/corpus``, byte for byte.

Each ``tests/corpus/<case>/`` holds a ``schema.json`` (an introspection document), maybe an
``options.json`` (the emitter's options, e.g. ``{"calls": "named"}``) and, in ``expected/``,
the three files of ``@pyrpc/types`` for it. The JavaScript port in
``@pyrpc/client`` (``npx pyrpc sync``) is held to the same files by its own tests
(pyrpc_ts/npm/client/test/corpus.test.mjs): same schema in, same bytes out.

``PYRPC_UPDATE_GOLDEN=1 .venv/bin/pytest tests/ts`` rewrites ``expected/`` from the Python
emitter (and ``zoo/schema.json`` from the model zoo); the JavaScript side never rewrites,
it must match. Review the diff before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import pyrpc_ts

from .zoo import zoo_schema

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
UPDATE = os.environ.get("PYRPC_UPDATE_GOLDEN") == "1"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "schema.json").is_file())


def _zoo_json() -> str:
    return json.dumps(zoo_schema(), indent=2, ensure_ascii=False) + "\n"


def test_corpus_has_the_cases() -> None:
    assert {
        "zoo",
        "odd",
        "empty",
        "numbers",
        "names",
        "text",
        "deep",
        "meta",
        "stream",
        "calls",
        "calls-named",
        "errors",
        "bigint",
    } <= set(CASES)


def test_zoo_schema_is_current() -> None:
    # The zoo case is the model zoo's document: it must not drift from tests/ts/zoo.py.
    path = CORPUS / "zoo" / "schema.json"
    if UPDATE:
        path.write_text(_zoo_json(), encoding="utf-8")
    assert json.loads(path.read_bytes()) == json.loads(_zoo_json()), "regenerate with PYRPC_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("case", CASES)
def test_case_matches_expected(case: str) -> None:
    folder = CORPUS / case
    schema: Any = json.loads((folder / "schema.json").read_bytes())
    options_file = folder / "options.json"
    options: dict[str, Any] = json.loads(options_file.read_bytes()) if options_file.exists() else {}
    files = pyrpc_ts.generate(schema, **options)
    expected = folder / "expected"
    if UPDATE:
        expected.mkdir(exist_ok=True)
        for stale in expected.iterdir():
            if stale.name not in files:
                stale.unlink()
        for name, text in files.items():
            (expected / name).write_bytes(text.encode("utf-8"))
    assert sorted(p.name for p in expected.iterdir()) == sorted(files)
    for name, text in files.items():
        assert text.encode("utf-8") == (expected / name).read_bytes(), f"{case}/expected/{name} differs"


@pytest.mark.parametrize("case", CASES)
def test_expected_files_are_well_formed(case: str) -> None:
    for path in sorted((CORPUS / case / "expected").iterdir()):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n"), path
        assert not text.endswith("\n\n"), path
        assert "\r" not in text, path
        assert "\t" not in text, path
    json.loads((CORPUS / case / "expected" / "package.json").read_bytes())
