"""Stable ``$defs`` names (pyrpc_core/schema/names.py): adding or removing a model or a
procedure never makes a name denote another type.

The unit tests hold the rule (clashing short names qualify all the classes that share them,
factory classes, input names independent of results, explicit names, removal); the property
test adds unrelated models, some named like the corpus's, to corpus documents and checks that
every name of both documents denotes the same schema in each, and that the TypeScript names
follow the ``$defs`` names one to one.
"""

from __future__ import annotations

import dataclasses
import json
import re
from enum import Enum
from typing import Any, NotRequired

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, create_model
from schema_shapes import Shapes, assert_names_keep_their_shapes
from test_schema_cache import _register, build_models, model_graphs
from typing_extensions import TypedDict

import pyrpc_ts
from pyrpc_core import Registry, build_schema
from pyrpc_core.plugins import PluginManager
from pyrpc_core.schema import def_origins
from pyrpc_core.testing.corpus import corpus_registries
from pyrpc_core.tooling.dev import describe_renames
from pyrpc_ts.naming import exported_name

NO_PLUGINS = PluginManager()


def document(registry: Registry) -> dict[str, Any]:
    return build_schema(registry, NO_PLUGINS)


def returning(registry: Registry, name: str, model: Any) -> None:
    _register(registry, name, {}, model)


def taking(registry: Registry, name: str, model: Any) -> None:
    _register(registry, name, {"value": (model, ...)}, None)


def user(module: str, **fields: Any) -> type[BaseModel]:
    return create_model("User", __module__=module, **(fields or {"id": (int, ...)}))


# --- the rule -------------------------------------------------------------------------------


def test_a_clash_qualifies_every_class_of_the_name() -> None:
    registry = Registry()
    returning(registry, "a", user("pkg_a.models"))
    before = document(registry)
    assert set(before["$defs"]) == {"User"}

    returning(registry, "b", user("pkg_b.models", name=(str, ...)))
    after = document(registry)
    # Both lose ``User``: a client that imports it fails to compile rather than get the other one.
    assert set(after["$defs"]) == {"PkgA_Models_User", "PkgB_Models_User"}  # "Models_User" is both's too
    assert after["procedures"]["a"]["result"] == {"$ref": "#/$defs/PkgA_Models_User"}
    assert def_origins(registry) == {"PkgA_Models_User": "pkg_a.models.User", "PkgB_Models_User": "pkg_b.models.User"}

    registry.remove("b")
    assert document(registry) == before  # the short name comes back with the clash gone


def test_a_class_is_qualified_as_a_whole() -> None:
    # pkg_a's User has two shapes and only its input is used; pkg_b's User has one. Both lose
    # "User", so pkg_a's input is PkgA_Models_UserInput, never a bare UserInput beside PkgB_Models_User.
    registry = Registry()
    taking(registry, "put", user("pkg_a.models", id=(int, ...), nick=(str, "")))
    returning(registry, "get", user("pkg_b.models"))
    assert set(document(registry)["$defs"]) == {"PkgA_Models_UserInput", "PkgB_Models_User"}


def test_qualifiers_go_as_deep_as_the_paths_differ() -> None:
    registry = Registry()
    returning(registry, "a", user("app.pkg_a.models"))
    returning(registry, "b", user("app.pkg_b.models", name=(str, ...)))
    returning(registry, "c", user("lib.pkg_a.models", flag=(bool, ...)))
    assert set(document(registry)["$defs"]) == {"App_PkgA_Models_User", "Lib_PkgA_Models_User", "PkgB_Models_User"}


def test_input_names_do_not_depend_on_results() -> None:
    item = create_model("Item", __module__="shop", id=(int, ...), tags=(list[str], []))  # a default: two shapes
    registry = Registry()
    taking(registry, "put", item)
    before = document(registry)
    assert set(before["$defs"]) == {"ItemInput"}  # input only, and still ItemInput

    returning(registry, "get", item)
    after = document(registry)
    assert set(after["$defs"]) == {"Item", "ItemInput"}
    assert after["$defs"]["ItemInput"] is before["$defs"]["ItemInput"]
    assert after["procedures"]["put"] is before["procedures"]["put"]


class Film(TypedDict):
    title: str
    year: NotRequired[int]


@dataclasses.dataclass
class Spot:
    x: int
    y: int = 0


def test_classes_that_take_their_context_are_named_alike_in_params_and_results() -> None:
    # A TypedDict or a plain dataclass takes the configuration of the model around it: in params
    # it refuses unknown keys, so its input shape differs from its output shape, used or not.
    registry = Registry()
    _register(registry, "put", {"film": (Film, ...), "spot": (Spot, ...)}, None)
    first = document(registry)
    assert set(first["$defs"]) == {"FilmInput", "SpotInput"}
    returning(registry, "get", tuple[Film, Spot])
    second = document(registry)
    assert set(second["$defs"]) == {"Film", "FilmInput", "Spot", "SpotInput"}
    registry.remove("put")
    third = document(registry)
    assert set(third["$defs"]) == {"Film", "Spot"}
    assert_names_keep_their_shapes(first, second)
    assert_names_keep_their_shapes(second, third)


def test_a_class_with_one_shape_has_one_name_in_both_directions() -> None:
    point = create_model("Point", __module__="geo", x=(int, ...), y=(int, ...))
    registry = Registry()
    taking(registry, "put", point)
    returning(registry, "get", point)
    defs = document(registry)["$defs"]
    assert set(defs) == {"Point"}


def test_a_class_literally_named_like_an_input_shape_takes_it_from_neither() -> None:
    registry = Registry()
    taking(registry, "put", create_model("User", __module__="app", tags=(list[str], [])))
    returning(registry, "other", create_model("UserInput", __module__="forms", id=(int, ...)))
    assert set(document(registry)["$defs"]) == {"App_UserInput", "Forms_UserInput"}


def test_factory_classes_of_one_path_are_told_apart_by_their_schemas() -> None:
    registry = Registry()
    first, second = user("app"), user("app", name=(str, ...))
    returning(registry, "a", first)
    returning(registry, "b", second)
    returning(registry, "c", user("app"))  # the same schema as ``first``: the same entry
    doc = document(registry)
    names = sorted(doc["$defs"])
    assert len(names) == 2
    assert all(re.fullmatch(r"App_User_[0-9a-f]{8}", name) for name in names)
    assert doc["procedures"]["a"]["result"] == doc["procedures"]["c"]["result"]
    again = Registry()
    returning(again, "b", user("app", name=(str, ...)))
    returning(again, "a", user("app"))
    assert sorted(document(again)["$defs"]) == names  # hashes of the schemas: the same in every process


# --- explicit names -------------------------------------------------------------------------


class Color(Enum):
    RED = "red"

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["title"] = "Shade"
        return schema


class Account(BaseModel):
    model_config = ConfigDict(title="Customer")
    id: int


@dataclasses.dataclass
class Entry:
    __pydantic_config__ = ConfigDict(title="LedgerEntry")
    amount: int


class Movie(TypedDict):
    __pydantic_config__ = ConfigDict(title="Film")  # type: ignore[misc]
    title: str


def test_a_title_is_the_exported_name() -> None:
    registry = Registry()
    _register(registry, "f", {"a": (Account, ...), "e": (Entry, ...), "m": (Movie, ...), "c": (Color, ...)}, Account)
    doc = document(registry)
    assert set(doc["$defs"]) == {"Customer", "LedgerEntry", "Film", "Shade"}
    files = pyrpc_ts.generate(doc)
    for name in ("Customer", "LedgerEntry", "Film"):
        assert f"export interface {name} {{" in files["index.d.ts"]
    assert "export type Shade = " in files["index.d.ts"]


def test_an_explicit_name_that_clashes_is_qualified_like_any_other() -> None:
    registry = Registry()
    returning(registry, "account", Account)
    returning(registry, "customer", create_model("Customer", __module__="crm", id=(int, ...)))
    defs = document(registry)["$defs"]
    assert set(defs) == {"Crm_Customer", "TestStableNames_Customer"}  # Customer is gone: loudly
    assert def_origins(registry)["TestStableNames_Customer"] == "test_stable_names.Account"


# --- what pyrpc dev prints ------------------------------------------------------------------


def test_dev_describes_each_rename() -> None:
    registry = Registry()
    returning(registry, "a", user("pkg_a.models"))
    first = def_origins(registry)
    returning(registry, "b", user("pkg_b.models", name=(str, ...)))
    second = def_origins(registry)
    assert describe_renames(first, second) == ["User is now PkgA_Models_User (pkg_b.models.User is named User too)"]
    registry.remove("b")
    assert describe_renames(second, def_origins(registry)) == [
        "PkgA_Models_User is now User (no other class is named User now)"
    ]
    assert describe_renames(first, first) == []


def test_dev_describes_an_input_shape_that_gets_a_name_of_its_own() -> None:
    registry = Registry()
    taking(registry, "put", create_model("NewUser", __module__="app", name=(str, ...)))
    first = def_origins(registry)
    registry.remove("put")
    taking(registry, "put", create_model("NewUser", __module__="app", name=(str, ...), nick=(str, "")))
    second = def_origins(registry)
    assert describe_renames(first, second) == ["NewUser is now NewUserInput (its input and output shapes differ now)"]
    assert describe_renames(second, first) == [
        "NewUserInput is now NewUser (its input and output shapes are the same now)"
    ]


# --- the property ---------------------------------------------------------------------------

CORPUS = sorted(corpus_registries())
# Class names of the corpus (and an input shape's, a generic's) among others, so that the new
# models clash with the document's names as often as not.
NAMES = ["User", "Address", "TreeNode", "Color", "Item", "UserInput", "Page_User", "Size", "Fresh"]


def ts_declarations(files: dict[str, str]) -> dict[str, str]:
    """Each top-level ``export interface``/``export type`` of ``index.d.ts``, by name, with its text."""
    found: dict[str, str] = {}
    for block in ("\n" + files["index.d.ts"]).split("\nexport ")[1:]:
        match = re.match(r"(?:interface|type) (\w+)", block)
        if match:
            found[match.group(1)] = block.split("\n\n", 1)[0].rstrip()  # up to the next declaration's doc
    return found


@settings(max_examples=40, deadline=None)
@given(
    corpus=st.sampled_from(CORPUS),
    graph=model_graphs(),
    names=st.lists(st.sampled_from(NAMES), min_size=6, max_size=6),
    uses=st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["in", "out", "both"])), min_size=1, max_size=4),
)
def test_adding_unrelated_models_never_changes_what_a_name_denotes(
    corpus: str, graph: list[list[tuple[str, int]]], names: list[str], uses: list[tuple[int, str]]
) -> None:
    registry = corpus_registries()[corpus]
    before = document(registry)

    models = build_models(graph, names, "extra")
    added = []
    for number, (index, mode) in enumerate(uses):
        model = models[index % len(models)]
        params = {"value": (model, ...)} if mode in ("in", "both") else {}
        result = model if mode in ("out", "both") else None
        added.append(f"zz_extra{number}")
        _register(registry, added[-1], params, result)
    after = document(registry)

    assert_names_keep_their_shapes(before, after)
    shapes = Shapes(before, after)
    for name in before["procedures"]:  # the old procedures are as they were, whatever their refs are called
        assert shapes.same(before["procedures"][name], after["procedures"][name])

    # TypeScript: one exported name per $defs name, the same for the same key in both documents.
    for doc in (before, after):
        declared = ts_declarations(pyrpc_ts.generate(doc))
        exported = {exported_name(key) for key in doc["$defs"]}
        assert len(exported) == len(doc["$defs"])
        assert exported <= declared.keys()
    old_ts, new_ts = ts_declarations(pyrpc_ts.generate(before)), ts_declarations(pyrpc_ts.generate(after))
    for key in before["$defs"].keys() & after["$defs"].keys():
        if json.dumps(before["$defs"][key]) == json.dumps(after["$defs"][key]):
            assert old_ts[exported_name(key)] == new_ts[exported_name(key)]

    for name in added:  # and removing them gives the first document back
        registry.remove(name)
    assert document(registry) == before
