"""What ``pyrpc dev`` prints after a reload: procedures added, removed and changed (directly or through a model)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pyrpc_core.tooling import reload
from pyrpc_core.tooling.reload import describe_changes, summarize_changes

OLD: dict[str, Any] = {
    "version": 1,
    "procedures": {
        "orders.get": {"name": "orders.get", "doc": None, "params": {}, "result": {"$ref": "#/$defs/Order"}},
        "ping": {"name": "ping", "doc": None, "params": {}, "result": {"type": "string"}},
        "users.get": {"name": "users.get", "doc": None, "params": {}, "result": {"$ref": "#/$defs/User"}},
    },
    "$defs": {
        "Order": {"properties": {"items": {"items": {"$ref": "#/$defs/Item"}, "type": "array"}}},
        "Item": {"properties": {"price": {"type": "number"}}},
        "User": {"properties": {"name": {"type": "string"}}},
    },
}


def test_nothing_changed() -> None:
    assert describe_changes(OLD, copy.deepcopy(OLD)) == []


def test_added_removed_and_directly_changed() -> None:
    new = copy.deepcopy(OLD)
    del new["procedures"]["ping"]
    new["procedures"]["pong"] = {"name": "pong", "doc": None, "params": {}, "result": {"type": "string"}}
    new["procedures"]["users.get"]["doc"] = "Now documented."
    assert describe_changes(OLD, new) == ["- ping", "+ pong", "~ users.get"]


def test_a_change_deep_in_a_model_marks_every_procedure_that_reaches_it() -> None:
    new = copy.deepcopy(OLD)
    new["$defs"]["Item"]["properties"]["price"] = {"type": "string"}
    assert describe_changes(OLD, new) == ["~ orders.get"]


def test_a_model_removed_and_renamed_marks_its_users() -> None:
    new = copy.deepcopy(OLD)
    new["$defs"]["Person"] = new["$defs"].pop("User")
    new["procedures"]["users.get"]["result"] = {"$ref": "#/$defs/Person"}
    assert describe_changes(OLD, new) == ["~ users.get"]


def test_when_no_model_changed_no_reference_is_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    """A usual save: the parts that did not change are the same objects, one entry is new."""
    new = {**OLD, "procedures": dict(OLD["procedures"]), "$defs": dict(OLD["$defs"])}
    new["procedures"]["ping"] = {**OLD["procedures"]["ping"], "doc": "Now documented."}

    def no_walk(node: Any) -> set[str]:
        raise AssertionError("a reference was looked at")

    monkeypatch.setattr(reload, "_refs", no_walk)
    assert describe_changes(OLD, new) == ["~ ping"]


def test_a_summary_names_every_change_when_few() -> None:
    assert summarize_changes([]) == "no API change"
    assert summarize_changes(["- ping", "+ pong", "~ users.get"]) == "- ping, + pong, ~ users.get"
    assert summarize_changes([f"~ p{index}" for index in range(10)]) == ", ".join(f"~ p{index}" for index in range(10))


def test_a_summary_of_many_changes_names_the_first_and_counts_each_kind() -> None:
    changes = ["+ a", "- b", *(f"~ p{index:03}" for index in range(498))]
    assert summarize_changes(changes) == (
        "+ a, - b, ~ p000, ~ p001, ~ p002, ~ p003, ~ p004, ~ p005, ~ p006, ~ p007"
        " and 490 more (1 added, 1 removed, 498 changed)"
    )
    assert summarize_changes(["~ a", "~ b", "~ c"], shown=2) == "~ a, ~ b and 1 more (3 changed)"
