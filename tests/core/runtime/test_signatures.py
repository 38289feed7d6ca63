"""``signatures``: when a procedure registered again may keep its models. Erring towards "not the same"."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

import annotated_types
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, Field, TypeAdapter

from pyrpc_core.signatures import same_signature, same_type, same_value


def _model(name: str) -> type[BaseModel]:
    """A class as a reload makes it: another object of the same name and fields."""
    return type(name, (BaseModel,), {"__annotations__": {"x": int}, "__module__": "api.models"})


User, UserAgain = _model("User"), _model("User")


def _double(value: int) -> int:
    return value * 2


def _double_again(value: int) -> int:  # the same code, another function: as a reload makes it
    return value * 2


SAME_TYPES: list[tuple[Any, Any]] = [
    (int, int),
    (list[User], list[User]),
    (dict[str, list[User | None]], dict[str, list[User | None]]),
    (Literal["a", 1], Literal["a", 1]),
    (Annotated[int, Field(ge=1, description="n")], Annotated[int, Field(ge=1, description="n")]),
    (Annotated[str, Field(alias="json")], Annotated[str, Field(alias="json")]),
    (Annotated[int, annotated_types.Ge(1)], Annotated[int, annotated_types.Ge(1)]),
    (Annotated[list[int], Field(default_factory=list)], Annotated[list[int], Field(default_factory=list)]),
]

OTHER_TYPES: list[tuple[Any, Any]] = [
    (User, UserAgain),  # a class its module re-executed
    (list[User], list[UserAgain]),
    (int | str, str | int),  # equal for ==, but pydantic tries them in order
    (Literal[1], Literal[True]),
    (Literal[1], Literal[1.0]),
    (Annotated[int, Field(ge=1)], Annotated[int, Field(ge=2)]),
    (Annotated[int, Field(ge=1)], Annotated[int, Field(ge=True)]),
    (Annotated[int, Field(description="a")], Annotated[int, Field(description="b")]),
    (Annotated[int, AfterValidator(_double)], Annotated[int, AfterValidator(_double_again)]),
    (Annotated[int, Field(default_factory=lambda: 1)], Annotated[int, Field(default_factory=lambda: 1)]),
    (Annotated[int, annotated_types.Predicate(bool)], Annotated[int, annotated_types.Predicate(callable)]),
    (list[int], set[int]),
    (int, "int"),
]


@pytest.mark.filterwarnings("ignore:The 'alias' attribute")  # an alias means nothing to a TypeAdapter
@pytest.mark.parametrize(("a", "b"), SAME_TYPES)
def test_the_same_type(a: Any, b: Any) -> None:
    assert same_type(a, b)
    # The rule's point: what pydantic makes of them reads the same.
    assert json.dumps(TypeAdapter(a).json_schema()) == json.dumps(TypeAdapter(b).json_schema())


@pytest.mark.parametrize(("a", "b"), OTHER_TYPES)
def test_another_type(a: Any, b: Any) -> None:
    assert not same_type(a, b)
    assert not same_type(b, a)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (10, 10, True),
        (2**70, 2**70, True),
        ("asc", "asc", True),
        ([], [], True),
        ({"a": [1, "x"]}, {"a": [1, "x"]}, True),
        ((1, 2), (1, 2), True),
        (None, None, True),
        (..., ..., True),
        (1, True, False),
        (1, 1.0, False),
        (0.0, -0.0, False),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, False),  # JSON writes them in another order
        ([1], (1,), False),
        ({1, 2}, {1, 2}, False),  # a set's order is its own
        (User(x=1), User(x=1), False),  # only as itself
    ],
)
def test_defaults(a: Any, b: Any, same: bool) -> None:
    assert same_value(a, b) is same


def test_signatures() -> None:
    fields = {"user": (User, ...), "limit": (int, 10)}
    assert same_signature(fields, list[User], {"user": (User, ...), "limit": (int, 10)}, list[User])
    assert not same_signature(fields, list[User], {"user": (User, ...), "limit": (int, 11)}, list[User])
    assert not same_signature(fields, list[User], {"limit": (int, 10), "user": (User, ...)}, list[User])
    assert not same_signature(fields, list[User], {"user": (User, ...)}, list[User])
    assert not same_signature(fields, list[User], fields, list[UserAgain])


# -- any type: "the same" only where pydantic makes the same of them -------------------------------

# A recipe builds an annotation afresh each time, as a reload re-executes a module: new Field
# objects, new type objects, and for ("reloaded",) a new class of the same name.
_LEAVES = st.sampled_from([("int",), ("str",), ("float",), ("bool",), ("none",), ("user",), ("reloaded",)])


_LITERALS: list[Any] = [1, True, 1.0, "a", "b"]


def _recipes() -> st.SearchStrategy[tuple[Any, ...]]:
    return st.recursive(
        _LEAVES
        | st.tuples(st.just("literal"), st.lists(st.sampled_from([1, True, 1.0, "a", "b"]), min_size=1, max_size=3)),
        lambda inner: st.one_of(
            st.tuples(st.just("list"), inner),
            st.tuples(st.just("dict"), inner),
            st.tuples(st.just("union"), inner, inner),
            st.tuples(st.just("ge"), inner, st.sampled_from([0, 1, 1.0])),
            st.tuples(st.just("field"), inner, st.sampled_from(["a", "b"])),
        ),
        max_leaves=4,
    )


def _build(recipe: tuple[Any, ...]) -> Any:
    kind = recipe[0]
    leaves: dict[str, Any] = {"int": int, "str": str, "float": float, "bool": bool, "none": None, "user": User}
    if kind in leaves:
        return leaves[kind]
    if kind == "reloaded":
        return _model("User")
    if kind == "literal":
        return Literal[tuple(recipe[1])]
    if kind == "list":
        return list[_build(recipe[1])]
    if kind == "dict":
        return dict[str, _build(recipe[1])]
    if kind == "union":
        return Union[_build(recipe[1]), _build(recipe[2])]  # noqa: UP007  (X | Y refuses None | None)
    if kind == "ge":
        return Annotated[_build(recipe[1]), annotated_types.Ge(recipe[2])]
    return Annotated[_build(recipe[1]), Field(description=recipe[2])]


def _schema_text(annotation: Any) -> str | None:
    try:
        return json.dumps(TypeAdapter(annotation).json_schema())
    except Exception as exc:  # a union pydantic refuses, say: both must be refused alike
        return type(exc).__name__


def _variants(recipe: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Recipes one small edit away: union members swapped, a literal's values reordered, another bound or text."""
    kind, *rest = recipe
    found: list[tuple[Any, ...]] = []
    if kind == "union":
        found.append((kind, rest[1], rest[0]))
    if kind == "literal" and len(rest[0]) > 1:
        found.append((kind, rest[0][::-1]))
    if kind == "ge":
        found += [(kind, rest[0], bound) for bound in (0, 1, 1.0) if repr(bound) != repr(rest[1])]
    if kind == "field":
        found.append((kind, rest[0], rest[1] + "!"))
    for index, part in enumerate(rest):
        if isinstance(part, tuple):
            found += [(kind, *rest[:index], variant, *rest[index + 1 :]) for variant in _variants(part)]
    return found


@settings(max_examples=300, deadline=None)
@given(_recipes(), _recipes(), st.data())
def test_the_same_only_where_pydantic_makes_the_same(
    first: tuple[Any, ...], other: tuple[Any, ...], data: st.DataObject
) -> None:
    a, again = _build(first), _build(first)
    # Built twice from one recipe: the same, unless a class in it was made anew.
    assert same_type(a, again) is ("reloaded" not in repr(first)), first
    # Against another recipe, or the same one edited in one place: "the same" is sound, what
    # pydantic makes of them reads the same.
    variants = _variants(first)
    second = data.draw(st.sampled_from(variants)) if variants and data.draw(st.booleans()) else other
    b = _build(second)
    if same_type(a, b):
        assert _schema_text(a) == _schema_text(b), (first, second)
