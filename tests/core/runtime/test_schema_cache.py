"""The incremental schema build: the same document as pydantic builds in one go, cold or warm.

``pydantic_document`` is how the document was built before the cache: one
``TypeAdapter.json_schemas`` call over every procedure, pydantic naming the ``$defs``. Every
test compares ``build_schema`` (cached pieces, stable names) with it: equal once references
are followed, only the names of ``$defs`` differ (tests/core/runtime/test_stable_names.py has
the names).
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Generic, Literal, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, TypeAdapter, create_model
from schema_shapes import assert_same_up_to_names
from typing_extensions import TypedDict

from pyrpc_core import Registry, build_schema
from pyrpc_core.plugins import PluginManager
from pyrpc_core.schema.cache import SchemaCache
from pyrpc_core.schema.generator import SchemaGenerator
from pyrpc_core.testing.corpus import _containers, _models, _names, _scalars

NO_PLUGINS = PluginManager()
T = TypeVar("T")


def pydantic_document(registry: Registry) -> dict[str, Any]:
    """The document as pydantic alone builds it (the reference)."""
    inputs: list[Any] = []
    for procedure in registry:
        inputs.append(((procedure.name, "params"), "validation", procedure.params_adapter))
        inputs.append(((procedure.name, "result"), "serialization", procedure.result_adapter))
    schemas, definitions = TypeAdapter.json_schemas(
        inputs, ref_template="#/$defs/{model}", schema_generator=SchemaGenerator
    )
    defs = definitions.get("$defs", {})
    procedures = {}
    for procedure in registry:
        params = schemas[((procedure.name, "params"), "validation")]
        params = dict(defs.pop(params["$ref"].removeprefix("#/$defs/")))
        params.pop("title", None)
        result = schemas[((procedure.name, "result"), "serialization")]
        procedures[procedure.name] = {"name": procedure.name, "doc": procedure.doc, "params": params, "result": result}
    return {"version": 1, "procedures": procedures, "$defs": {name: defs[name] for name in sorted(defs)}}


def assert_same_as_pydantic(registry: Registry) -> dict[str, Any]:
    document = build_schema(registry, NO_PLUGINS)
    assert_same_up_to_names(document, pydantic_document(registry))
    return document


# --- Models whose names pydantic has to work out -------------------------------------------


class Color(Enum):
    RED = "red"
    BLUE = "blue"


class Item(BaseModel):
    sku: str
    quantity: int = 1


class Order(BaseModel):
    """Its input and output differ only through Item's."""

    items: list[Item]


class Same(BaseModel):
    """One shape in both modes: no defaults."""

    value: int
    color: Color


class Node(BaseModel):
    value: int
    children: list[Node] = []


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int = 9


class Dog(BaseModel):
    kind: Literal["dog"]


class Pet(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = 0


class Movie(TypedDict):
    title: str


@dataclass
class Point:
    x: float
    y: float = 0.0


def make_user(fields: dict[str, Any]) -> type[BaseModel]:
    """A class named ``User`` in this module, as a factory makes them (one qualname, several classes)."""
    return create_model("User", __module__=__name__, **fields)


def tricky_registry() -> Registry:
    registry = Registry()
    first_user = make_user({"name": (str, ...)})
    other_user = make_user({"email": (str, ...), "age": (int, 0)})
    twin_user = make_user({"name": (str, ...)})  # the same schema as first_user

    def order(order: Order) -> Order:
        return order

    def same(value: Same) -> Same:
        return value

    def tree(node: Node) -> list[Node]:
        return [node]

    def pet(pet: Pet) -> Pet:
        return pet

    def pages(page: Page[Item], other: Page[Same]) -> Page[Point]:
        raise NotImplementedError

    def movie(movie: Movie, color: Color = Color.RED) -> Movie:
        return movie

    def users(a: first_user, b: other_user, c: twin_user) -> other_user:  # type: ignore[valid-type]
        raise NotImplementedError

    for function in (order, same, tree, pet, pages, movie, users):
        registry.rpc(function)
    return registry


@pytest.mark.parametrize(
    "make", [tricky_registry, _scalars, _containers, _models, _names], ids=lambda make: make.__name__.strip("_")
)
def test_cold_and_warm_builds_equal_pydantics(make: Any) -> None:
    registry = make()
    first = assert_same_as_pydantic(registry)
    second = assert_same_as_pydantic(registry)  # warm: every piece from the cache
    assert json.dumps(first) == json.dumps(second)


def test_unchanged_parts_are_the_same_objects_across_builds() -> None:
    registry = tricky_registry()
    before = build_schema(registry, NO_PLUGINS)

    @registry.rpc
    def extra(item: Item) -> int:
        return item.quantity

    after = assert_same_as_pydantic(registry)
    assert after["procedures"]["order"] is before["procedures"]["order"]
    assert after["$defs"]["Node"] is before["$defs"]["Node"]
    assert "extra" not in before["procedures"]


def test_a_new_use_of_a_model_renames_nothing_and_reuses_the_cached_pieces() -> None:
    registry = Registry()

    @registry.rpc
    def get_item() -> Item:
        raise NotImplementedError

    first = assert_same_as_pydantic(registry)
    assert set(first["$defs"]) == {"Item"}  # output only

    @registry.rpc
    def put_item(item: Item) -> None:
        raise NotImplementedError

    document = assert_same_as_pydantic(registry)  # pydantic now says Item-Input and Item-Output
    assert set(document["$defs"]) == {"Item", "ItemInput"}
    assert document["procedures"]["get_item"] is first["procedures"]["get_item"]
    assert document["$defs"]["Item"] is first["$defs"]["Item"]

    registry.remove("get_item")
    assert set(assert_same_as_pydantic(registry)["$defs"]) == {"ItemInput"}  # input only: still ItemInput


def test_a_class_defined_again_is_generated_again() -> None:
    # What a dev reload does: the same module and qualname, a new class, a new field.
    registry = Registry()
    old = make_user({"name": (str, ...)})

    def get(user: old) -> None:  # type: ignore[valid-type]
        raise NotImplementedError

    registry.rpc(get)
    assert list(assert_same_as_pydantic(registry)["$defs"]["User"]["properties"]) == ["name"]

    registry.remove("get")
    new = make_user({"name": (str, ...), "email": (str, ...)})

    def get(user: new) -> None:  # type: ignore[valid-type,no-redef]
        raise NotImplementedError

    registry.rpc(get)
    assert list(assert_same_as_pydantic(registry)["$defs"]["User"]["properties"]) == ["name", "email"]


def reloadable_api(note_doc: str) -> Registry:
    """A small API as a dev reload of its models module makes it: every class and procedure new."""
    user = make_user({"name": (str, ...)})
    note = create_model("Note", __module__="app.models", __doc__=note_doc, text=(str, ...))
    registry = Registry()

    def get_user(name: str) -> user:  # type: ignore[valid-type]
        raise NotImplementedError

    def get_note(text: str) -> note:  # type: ignore[valid-type]
        raise NotImplementedError

    registry.rpc(get_user)
    registry.rpc(get_note)
    return registry


def test_a_reload_that_changes_one_model_hands_out_the_other_entries_as_before() -> None:
    before = assert_same_as_pydantic(reloadable_api("A note."))
    after = assert_same_as_pydantic(reloadable_api("A note, edited."))
    assert after["$defs"]["User"] is before["$defs"]["User"]
    assert after["procedures"]["get_user"] is before["procedures"]["get_user"]
    assert after["procedures"]["get_note"] is before["procedures"]["get_note"]  # it only refers to Note
    assert after["$defs"]["Note"] is not before["$defs"]["Note"]
    assert after["$defs"]["Note"]["description"] == "A note, edited."


def test_builds_after_a_reload_do_not_read_the_handed_out_entries_again(monkeypatch: Any) -> None:
    import pyrpc_core.schema.cache as cache_module

    build_schema(reloadable_api("A note."), NO_PLUGINS)
    registry = reloadable_api("A note, edited.")
    reloaded = build_schema(registry, NO_PLUGINS)
    read: list[Any] = []
    real = cache_module._json_text
    monkeypatch.setattr(cache_module, "_json_text", lambda entry: read.append(entry) or real(entry))
    again = build_schema(registry, NO_PLUGINS)
    assert again["procedures"]["get_user"] is reloaded["procedures"]["get_user"]
    assert read == []


def test_a_procedure_registered_again_with_its_models_reuses_its_piece_and_shows_its_own_doc(monkeypatch: Any) -> None:
    # What a dev reload of a procedures module does for an unchanged signature (Procedure.reuse_models).
    import pyrpc_core.schema.cache as cache_module

    registry = tricky_registry()
    before = assert_same_as_pydantic(registry)
    earlier = registry["order"]

    def order(order: Order) -> Order:
        """Place an order, edited."""
        return order

    registry.remove("order")
    registry.rpc(order)
    assert registry["order"].reuse_models(earlier)
    generated: list[Any] = []
    named: list[Any] = []
    monkeypatch.setattr(SchemaCache, "_generate", _counting(SchemaCache._generate, generated))
    monkeypatch.setattr(cache_module, "choose_names", _counting(cache_module.choose_names, named))
    after = assert_same_as_pydantic(registry)
    assert after["procedures"]["order"]["doc"] == "Place an order, edited."
    assert after["$defs"] == before["$defs"]
    assert generated == []  # its piece is its earlier self's
    assert named == []  # and no class changed: the names are the last build's


def _counting(function: Any, calls: list[Any]) -> Any:
    def counted(*args: Any) -> Any:
        calls.append(args)
        return function(*args)

    return counted


def test_entries_equal_in_python_but_not_in_json_are_not_taken_for_each_other() -> None:
    def api(default: float) -> Registry:
        registry = Registry()

        def scale(factor: float = default) -> float:
            return factor

        registry.rpc(scale)
        return registry

    before = build_schema(api(1), NO_PLUGINS)  # "default": 1, which == 1.0 in Python
    after = build_schema(api(1.0), NO_PLUGINS)
    assert after["procedures"]["scale"] is not before["procedures"]["scale"]
    assert json.dumps(after["procedures"]["scale"]["params"]["properties"]["factor"]["default"]) == "1.0"


def test_amending_plugins_get_a_copy_and_cannot_spoil_the_cache() -> None:
    from pyrpc_core import hookimpl

    class Vandal:
        @hookimpl
        def pyrpc_amend_schema(self, schema: dict[str, Any]) -> None:
            schema["procedures"]["order"]["doc"] = "changed"
            schema["$defs"]["ItemInput"]["properties"].clear()

    plugins = PluginManager()
    plugins.register(Vandal())
    registry = tricky_registry()
    amended = build_schema(registry, plugins)
    assert amended["procedures"]["order"]["doc"] == "changed"
    assert_same_as_pydantic(registry)  # the cached pieces are as generated


def test_the_cache_forgets_what_recent_builds_did_not_use() -> None:
    cache = SchemaCache()
    for _ in range(20):
        cache.build(list(tricky_registry()))  # new classes each time, as reloads make them
    single = SchemaCache()
    single.build(list(tricky_registry()))
    assert len(cache._definitions) <= 2 * len(single._definitions)
    assert len(cache._procedures) <= 2 * len(single._procedures)


# --- Random model graphs --------------------------------------------------------------------

FIELD_KINDS = st.sampled_from(["int", "str?", "int=0", "model", "list[model]", "model?=None", "color"])


@st.composite
def model_graphs(draw: st.DrawFn) -> list[list[tuple[str, int]]]:
    """Models as lists of (field kind, index of an earlier model): any mix of shared and mode-specific shapes."""
    count = draw(st.integers(1, 6))
    return [
        [(draw(FIELD_KINDS), draw(st.integers(0, max(0, index - 1)))) for _ in range(draw(st.integers(0, 3)))]
        for index in range(count)
    ]


def build_models(graph: list[list[tuple[str, int]]], names: list[str], module: str) -> list[type[BaseModel]]:
    """The graph's models; model ``i`` lives in ``<module>.m<i>``, so that names collide across modules only."""
    models: list[type[BaseModel]] = []
    for index, fields in enumerate(graph):
        spec: dict[str, Any] = {}
        for number, (kind, target) in enumerate(fields):
            other: Any = models[target] if models else int
            spec[f"f{number}"] = {
                "int": (int, ...),
                "str?": (str | None, ...),
                "int=0": (int, 0),
                "model": (other, ...),
                "list[model]": (list[other], ...),
                "model?=None": (other | None, None),
                "color": (Color, Color.RED),
            }[kind]
        models.append(create_model(names[index], __module__=f"{module}.m{index}", **spec))
    return models


@settings(max_examples=60, deadline=None)
@given(
    graph=model_graphs(),
    names=st.lists(st.sampled_from(["A", "B", "User"]), min_size=6, max_size=6),
    uses=st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["in", "out", "both"])), min_size=1, max_size=5),
    changed=st.integers(0, 5),
)
def test_random_models_build_as_pydantic_builds_them(
    graph: list[list[tuple[str, int]]], names: list[str], uses: list[tuple[int, str]], changed: int
) -> None:
    models = build_models(graph, names, "first")
    registry = Registry()
    for number, (index, mode) in enumerate(uses):
        model = models[index % len(models)]
        params = {"value": (model, ...)} if mode in ("in", "both") else {}
        result = model if mode in ("out", "both") else None
        _register(registry, f"p{number}", params, result)
    assert_same_as_pydantic(registry)

    # A reload of one procedure: a new class for one model, the rest from the cache.
    fresh = build_models(graph, names, "second")[changed % len(models)]
    registry.remove("p0")
    _register(registry, "p0", {"value": (fresh, ...)}, fresh)
    assert_same_as_pydantic(registry)


def _register(registry: Registry, name: str, params: dict[str, Any], result: Any) -> None:
    def function(**kwargs: Any) -> Any:
        raise NotImplementedError

    # A signature built by hand: the registry reads parameters and annotations through inspect.
    function.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, annotation=value[0]) for key, value in params.items()],
        return_annotation=result,
    )
    function.__annotations__ = {key: value[0] for key, value in params.items()} | {"return": result}
    registry.rpc(name=name)(function)


def test_a_failed_build_leaves_the_cache_sound() -> None:
    from collections.abc import Callable

    from pydantic.errors import PydanticInvalidForJsonSchema

    registry = tricky_registry()
    build_schema(registry, NO_PLUGINS)

    def factory(item: Item) -> Callable[[], int]:  # JSON Schema cannot describe a callable
        raise NotImplementedError

    registry.rpc(factory)
    with pytest.raises(PydanticInvalidForJsonSchema):
        build_schema(registry, NO_PLUGINS)
    registry.remove("factory")
    assert_same_as_pydantic(registry)
