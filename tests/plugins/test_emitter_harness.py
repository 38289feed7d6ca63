"""The emitter harness of pyrpc_core.testing: on the TypeScript emitter, and on emitters that break its rules."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import Emitter
from pyrpc_core.testing import (
    EmitterCheckError,
    EmitterHarness,
    check_emitter,
    reordered,
    schema_corpus,
)
from pyrpc_ts.emit import generate as generate_typescript


class TestTypeScriptEmitter(EmitterHarness):
    snapshot_dir = Path(__file__).parent / "snapshots" / "typescript"

    @pytest.fixture(scope="class")
    @classmethod
    def emitter(cls) -> Emitter:
        return Emitter(name="typescript", language="typescript", generate=generate_typescript)


def test_the_corpus_covers_what_it_promises() -> None:
    corpus = schema_corpus()
    assert list(corpus) == ["empty", "scalars", "containers", "models", "names", "aliases", "bigints", "amended"]
    assert corpus["empty"]["procedures"] == {}
    assert {"UserInput", "User", "Color", "Priority", "TreeNodeInput", "Page_User"} <= set(corpus["models"]["$defs"])
    assert {"users", "users.get", "admin.users.delete", "class", "naïve.ünïcode"} <= set(corpus["names"]["procedures"])
    assert "ctx" not in corpus["scalars"]["procedures"]["whoami"]["params"]["properties"]
    rename = corpus["aliases"]["procedures"]["accounts.rename"]
    assert list(rename["params"]["properties"]) == ["account", "displayName"]
    assert corpus["amended"]["x-plugin"] == {"anything": [1, 2, 3]}
    assert schema_corpus() == corpus  # built afresh, the same every time
    json.dumps(corpus)  # plain JSON, as served


def test_reordered_keeps_the_order_of_properties_only() -> None:
    document = {"a": 1, "b": {"properties": {"x": {"type": "integer", "title": "X"}, "y": {}}, "type": "object"}}
    turned = reordered(document)
    assert turned == document
    assert list(turned) == ["b", "a"]
    assert list(turned["b"]) == ["type", "properties"]
    assert list(turned["b"]["properties"]) == ["x", "y"]
    assert list(turned["b"]["properties"]["x"]) == ["title", "type"]


def emitter_of(generate: Any) -> Emitter:
    return Emitter(name="bad", language="test", generate=generate)


def names_in_order(schema: dict[str, Any]) -> dict[str, str]:
    return {"names.txt": ",".join(schema["procedures"])}


@pytest.mark.parametrize(
    ("generate", "message"),
    [
        (lambda schema: {"x.txt": str(1 / len(schema["procedures"]))}, r"raised on corpus document 'empty'"),
        (lambda schema: {}, r"not a non-empty \{path: text\} dict"),
        (lambda schema: ["x.txt"], r"not a non-empty"),
        (lambda schema: {"../escape.txt": ""}, r"'../escape.txt' .* is not a plain relative path"),
        (lambda schema: {"/abs.txt": ""}, r"is not a plain relative path"),
        (lambda schema: {"a//b.txt": ""}, r"is not a plain relative path"),
        (lambda schema: {"bytes.bin": b""}, r"'bytes.bin' .* is bytes"),
        (lambda schema: schema.pop("procedures") and {"x": ""}, r"changed the document 'empty'"),
        (names_in_order, r"the output for 'scalars' depends on the key order"),
    ],
)
def test_check_emitter_names_the_broken_rule_and_the_document(generate: Any, message: str) -> None:
    with pytest.raises(EmitterCheckError, match=message):
        check_emitter(emitter_of(generate))


def test_check_emitter_sees_output_that_changes_between_calls() -> None:
    calls = iter(range(1000))
    with pytest.raises(EmitterCheckError, match="different output twice for 'empty'"):
        check_emitter(emitter_of(lambda schema: {"out.txt": str(next(calls))}))


def test_check_emitter_accepts_a_well_behaved_emitter_and_returns_its_outputs() -> None:
    def sorted_names(schema: dict[str, Any]) -> dict[str, str]:
        return {
            "names.txt": "\n".join(sorted(schema["procedures"])),
            "nested/defs.txt": ",".join(sorted(schema["$defs"])),
        }

    corpus = schema_corpus()
    outputs = check_emitter(emitter_of(sorted_names), corpus)
    assert set(outputs) == set(corpus)
    assert outputs["scalars"]["names.txt"].splitlines()[0] == "add"
    assert check_emitter(emitter_of(sorted_names), {"one": copy.deepcopy(corpus["models"])}).keys() == {"one"}
