"""Stable, collision-free TypeScript names for ``$defs`` and parameters."""

from __future__ import annotations

import pytest

from pyrpc_ts.naming import assign_type_names, binding_name, property_key


def test_output_keeps_the_clean_name_and_input_gets_a_suffix() -> None:
    names = assign_type_names({"User-Input": {"title": "User"}, "User-Output": {"title": "User"}, "Point": {}})
    assert names == {"User-Input": "UserInput", "User-Output": "User", "Point": "Point"}


def test_a_key_that_is_an_identifier_is_the_name() -> None:
    # pyRPC's keys are stable names already (pyrpc_core.schema.names): never renamed by the title,
    # so a name does not depend on the other keys of the document.
    defs = {"Page_User": {"title": "Page[User]"}, "PkgA_User": {"title": "User"}, "PkgB_User": {"title": "User"}}
    assert assign_type_names(defs) == {"Page_User": "Page_User", "PkgA_User": "PkgA_User", "PkgB_User": "PkgB_User"}


def test_other_keys_are_named_from_their_title() -> None:
    defs = {
        "Page[dict[str, int]]": {"title": "Page[dict[str, int]]"},
        "Page_Page_User__-Input": {"title": "Page[Page[User]]"},
    }
    assert assign_type_names(defs) == {
        "Page[dict[str, int]]": "Page_dict_str_int",
        "Page_Page_User__-Input": "Page_Page_UserInput",
    }


def test_collisions_of_other_keys_get_numbered_in_a_stable_order() -> None:
    defs = {"a.User": {"title": "User"}, "b.User": {"title": "User"}, "User-Input": {"title": "User"}}
    first = assign_type_names(defs)
    again = assign_type_names(dict(reversed(list(defs.items()))))
    assert first == again == {"a.User": "User", "b.User": "User2", "User-Input": "UserInput"}


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("Types", "Types_"),
        ("Types_", "Types__"),
        ("Promise", "Promise_"),
        ("string", "string_"),
        ("class", "class_"),
        ("1st", "_1st"),
    ],
)
def test_names_the_file_or_typescript_needs_are_avoided(key: str, name: str) -> None:
    # A name that needs care gets one more "_", so distinct keys stay distinct names.
    assert assign_type_names({key: {"title": key}}) == {key: name}


def test_key_used_when_title_is_missing() -> None:
    assert assign_type_names({"Thing-Output": {}, "Thing-Input": {"title": 3}}) == {
        "Thing-Output": "Thing",
        "Thing-Input": "ThingInput",
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [("id", "id"), ("function", "function_"), ("delete", "delete_"), ("number", "number"), ("a-b", "a_b"), ("", "_")],
)
def test_binding_names(name: str, expected: str) -> None:
    assert binding_name(name) == expected


def test_binding_names_stay_unique() -> None:
    assert binding_name("a-b", taken=["a_b"]) == "a_b2"


@pytest.mark.parametrize(
    ("name", "key"), [("id", "id"), ("class", "class"), ("first-name", '"first-name"'), ("é", '"é"'), ("", '""')]
)
def test_property_keys(name: str, key: str) -> None:
    assert property_key(name) == key
