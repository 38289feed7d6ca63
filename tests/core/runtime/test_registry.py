"""The registry and what ``@rpc`` captures at decoration time."""

from __future__ import annotations

import asyncio
import warnings
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import pytest
from pydantic import BaseModel, Field, ValidationError
from typing_extensions import TypedDict

import pyrpc_core
from pyrpc_core import Context, RegistrationError, Registry, build_schema, rpc
from pyrpc_core.errors import AnnotationWarning
from pyrpc_core.plugins import PluginManager


def test_rpc_returns_the_function_unchanged_and_registers_it() -> None:
    registry = Registry()

    def add(a: int, b: int) -> int:
        return a + b

    assert registry.rpc(add) is add
    assert add(1, 2) == 3
    assert registry["add"].func is add
    assert "add" in registry
    assert len(registry) == 1


def test_explicit_names_and_async_functions() -> None:
    registry = Registry()

    @registry.rpc(name="users.get")
    async def get_user(id: int) -> str:
        return f"user {id}"

    procedure = registry["users.get"]
    assert procedure.is_async
    assert asyncio.run(get_user(3)) == "user 3"


def test_the_default_registry_and_decorator() -> None:
    assert pyrpc_core.rpc.__self__ is pyrpc_core.registry  # type: ignore[attr-defined]

    @rpc(name="test_registry.default_probe")
    def probe() -> int:
        return 1

    try:
        assert pyrpc_core.registry["test_registry.default_probe"].func is probe
    finally:
        pyrpc_core.registry.remove("test_registry.default_probe")


def test_duplicate_names_name_both_functions() -> None:
    registry = Registry()

    @registry.rpc(name="thing")
    def first() -> None: ...

    with pytest.raises(RegistrationError) as raised:

        @registry.rpc(name="thing")
        def second() -> None: ...

    message = str(raised.value)
    assert "'thing'" in message
    assert "first" in message
    assert "second" in message
    assert __file__ in message


def test_reserved_rpc_prefix_is_refused() -> None:
    with pytest.raises(RegistrationError, match="reserves"):
        Registry().rpc(name="rpc.discover")(_returns_none)


def test_var_args_are_refused_with_the_reason() -> None:
    registry = Registry()
    with pytest.raises(RegistrationError, match=r"takes \*numbers"):

        @registry.rpc
        def total(*numbers: int) -> int:
            return sum(numbers)


def test_unresolvable_annotations_are_reported_at_decoration() -> None:
    registry = Registry()
    with pytest.raises(RegistrationError, match="NotDefinedAnywhere"):

        @registry.rpc
        def broken(x: NotDefinedAnywhere) -> None:  # type: ignore[name-defined]  # noqa: F821
            ...


def test_locally_defined_models_resolve_under_future_annotations() -> None:
    registry = Registry()

    class Local(BaseModel):
        x: int

    @registry.rpc
    def use(item: Local) -> Local:
        return item

    _args, kwargs = registry["use"].validate_params({"item": {"x": "5"}})
    assert kwargs == {"item": Local(x=5)}


def test_validation_model_is_built_once_not_per_call() -> None:
    registry = Registry()

    @registry.rpc
    def f(a: int) -> int:
        return a

    procedure = registry["f"]
    model = procedure.params_model
    procedure.validate_params([1])
    procedure.validate_params({"a": 2})
    assert procedure.params_model is model


def test_context_param_is_found_and_left_out_of_the_params() -> None:
    registry = Registry()

    @registry.rpc
    def f(a: int, ctx: Context, b: str = "x") -> None: ...

    procedure = registry["f"]
    assert procedure.context_param == "ctx"
    assert procedure.param_names == ("a", "b")


def test_param_names_that_clash_with_pydantic_attributes_work() -> None:
    registry = Registry()

    @registry.rpc
    def f(json: int, model_config: str, copy: bool = False) -> list[Any]:
        return [json, model_config, copy]

    _args, kwargs = registry["f"].validate_params([1, "a"])
    assert kwargs == {"json": 1, "model_config": "a", "copy": False}


def test_param_names_mixing_plain_and_clashing_names_keep_their_places() -> None:
    # "json" needs a stand-in field; a parameter already called p0 must not be taken for it.
    registry = Registry()

    @registry.rpc
    def f(p0: int, json: str, _private: float = 1.5, model_x: int = 0) -> None:
        raise NotImplementedError

    procedure = registry["f"]
    assert procedure.validate_params([1, "a"]) == ([], {"p0": 1, "json": "a", "_private": 1.5, "model_x": 0})
    assert procedure.validate_params({"json": "b", "p0": 2, "model_x": 3})[1] == {
        "p0": 2,
        "json": "b",
        "_private": 1.5,
        "model_x": 3,
    }
    with pytest.raises(ValidationError) as caught:
        procedure.validate_params({"p0": 1, "json": "a", "p1": 2})
    assert caught.value.errors()[0]["loc"] == ("p1",)
    properties = build_schema(registry, PluginManager())["procedures"]["f"]["params"]["properties"]
    assert list(properties) == ["p0", "json", "_private", "model_x"]


def test_plain_names_hand_the_validated_values_over_without_copying() -> None:
    registry = Registry()

    @registry.rpc
    def add(a: int, b: int = 2) -> int:
        return a + b

    assert tuple(registry["add"].params_model.model_fields) == ("a", "b")
    assert registry["add"].validate_params({"a": 1}) == ([], {"a": 1, "b": 2})


def test_field_constraints_on_params() -> None:
    registry = Registry()

    @registry.rpc
    def f(age: Annotated[int, Field(ge=0)], name: str = Field("anon", max_length=3)) -> None: ...

    with pytest.raises(ValidationError) as raised:
        registry["f"].validate_params({"age": -1, "name": "toolong"})
    assert [e["loc"] for e in raised.value.errors()] == [("age",), ("name",)]
    assert registry["f"].validate_params({"age": 3}) == ([], {"age": 3, "name": "anon"})


def test_registry_iterates_sorted_and_counts_versions() -> None:
    registry = Registry()
    start = registry.version
    for name in ["b", "a", "c.x"]:
        registry.rpc(name=name)(_returns_none)
    assert [p.name for p in registry] == ["a", "b", "c.x"]
    registry.remove("b")
    assert registry.version == start + 4
    assert registry.get("b") is None


def test_doc_is_the_cleaned_docstring() -> None:
    registry = Registry()

    @registry.rpc
    def f() -> None:
        """First line.

        More text.
        """

    assert registry["f"].doc == "First line.\n\nMore text."


# -- registration messages ------------------------------------------------------------------


class Plain:
    """A class pydantic knows nothing about."""

    def __init__(self, x: int) -> None:
        self.x = x


@dataclass
class Holder:
    inner: Plain


class Point(NamedTuple):
    x: int
    y: int


class Movie(TypedDict):
    title: str


class Colour(Enum):
    RED = "red"


@dataclass
class Box:
    size: int


def _where(func: Any) -> str:
    return f"{Path(func.__code__.co_filename).name}:{func.__code__.co_firstlineno}"


def _plain_param(item: Plain) -> int:
    return item.x


def _plain_list(items: list[Plain], n: int = 1) -> int:
    return n


def _plain_result(n: int) -> Plain:
    return Plain(n)


def _plain_inside(ok: int, holder: Holder) -> int:
    return ok


@pytest.mark.parametrize(
    ("func", "says"),
    [
        (_plain_param, "parameter 'item' is annotated Plain, a plain class"),
        (_plain_list, "parameter 'items' is annotated list[Plain], and Plain is a plain class"),
        (_plain_result, "the result is annotated Plain, a plain class"),
        (_plain_inside, "parameter 'holder' is annotated Holder, and Plain is a plain class"),
    ],
)
def test_a_plain_class_is_refused_naming_the_parameter_the_type_and_the_fix(func: Any, says: str) -> None:
    with pytest.raises(RegistrationError) as raised:
        Registry().rpc(func)
    message = str(raised.value)
    assert says in message
    assert _where(func) in message
    assert message.endswith("use a pydantic BaseModel, a dataclass or a TypedDict")
    assert "arbitrary_types_allowed" not in message
    assert "\n" not in message


def test_types_pydantic_supports_register_without_a_word() -> None:
    registry = Registry()

    def everything(point: Point, movie: Movie, colour: Colour, box: Box, ctx: Context) -> list[Box] | None:
        return None

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.rpc(everything)
    assert registry["everything"].param_names == ("point", "movie", "colour", "box")


def _untyped(a, b: int, ctx: Context):  # type: ignore[no-untyped-def]
    return a


def _returns_none(a: int) -> None:
    return None


def test_missing_annotations_warn_at_the_function_naming_procedure_and_parameter() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Registry().rpc(name="math.untyped")(_untyped)
    assert all(issubclass(warning.category, AnnotationWarning) for warning in caught)
    assert all(issubclass(AnnotationWarning, UserWarning) for warning in caught)
    assert {(warning.filename, warning.lineno) for warning in caught} == {(__file__, _untyped.__code__.co_firstlineno)}
    messages = [str(warning.message) for warning in caught]
    assert messages == [
        "procedure 'math.untyped': parameter 'a' has no annotation: it accepts any JSON value and is typed "
        "`unknown` in TypeScript",
        "procedure 'math.untyped' has no return annotation: its result is any JSON value and is typed "
        "`unknown` in TypeScript (annotate it `-> None` when it returns nothing)",
    ]


def test_no_warning_for_context_and_none_results() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Registry().rpc(_returns_none)

        @Registry().rpc
        def with_context(ctx: Context, a: int = 1) -> None: ...


def test_adding_or_replacing_guards_is_a_change_of_the_registry() -> None:
    """What is cached of a registry (the dispatcher's routing of sync calls) knows when its guards changed."""
    registry = Registry()
    start = registry.version
    registry.guard(lambda procedure, ctx: None)
    assert registry.version == start + 1
    registry.set_guards([])
    assert (registry.version, registry.guards) == (start + 2, [])
