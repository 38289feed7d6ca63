"""The snapshot text: exactly ``json.dumps(document, indent=2, ensure_ascii=False)`` and a newline,
however the document looks, with the text of unchanged entries kept between snapshots."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from pyrpc_core import Registry, build_schema
from pyrpc_core.plugins import PluginManager
from pyrpc_core.schema import dump_snapshot, snapshot

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(
    st.sampled_from(["version", "procedures", "$defs", "other"]) | st.text(max_size=3),
    JSON | st.dictionaries(st.text(max_size=4), JSON, max_size=4),
    max_size=4,
)


def expected(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@settings(max_examples=300, deadline=None)
@given(document=DOCUMENTS)
def test_any_document_is_written_as_json_dumps_writes_it(document: dict[str, Any]) -> None:
    assert dump_snapshot(document) == expected(document)
    assert dump_snapshot(document) == expected(document)  # the second time from the kept texts


def test_a_real_document_and_its_rebuilds_are_written_as_json_dumps_writes_them() -> None:
    class Item(BaseModel):
        """An item: "quoted", ünïcode, a line\nbreak."""

        name: str = "a\tb"
        sizes: list[float] = [1.0, 1e-07, 1e16]
        extra: dict[str, Any] = {}

    registry = Registry()

    @registry.rpc
    def get(item: Item, ids: list[int] | None = None) -> Item:
        return item

    plugins = PluginManager()
    first = build_schema(registry, plugins)
    assert dump_snapshot(first) == expected(first)

    @registry.rpc
    def put(item: Item) -> None:
        pass

    second = build_schema(registry, plugins)
    assert second["procedures"]["get"] is first["procedures"]["get"]  # what makes the kept texts count
    assert dump_snapshot(second) == expected(second)


def test_an_unchanged_entry_is_not_encoded_again(monkeypatch: Any) -> None:
    entry = {"name": "a", "params": {"type": "object"}}
    dump_snapshot({"version": 1, "procedures": {"a": entry}, "$defs": {}})
    encoded: list[Any] = []
    real = snapshot._encode
    monkeypatch.setattr(snapshot, "_encode", lambda value: encoded.append(value) or real(value))
    other = {"name": "b"}
    document = {"version": 1, "procedures": {"a": entry, "b": other}, "$defs": {}}
    assert dump_snapshot(document) == expected(document)
    assert entry not in encoded
    assert other in encoded


def test_recent_keeps_a_value_two_generations_after_its_last_use() -> None:
    from pyrpc_core.schema.recent import Recent

    recent: Recent[str, int] = Recent()
    recent.keep("a", 1)
    recent.settle()  # a: kept by the latest
    recent.settle()  # a: by the one before, unused since
    assert recent.find("a") == 1  # found, so kept by this generation again
    recent.settle()
    recent.settle()
    recent.settle()
    assert recent.find("a") is None
    recent.keep("b", 2)
    assert recent.find("b") is None  # only what finished generations kept
    recent.settle()
    assert recent.find("b", lambda value: value > 2) is None
    assert recent.find("b", lambda value: value == 2) == 2
