"""``signatures``: when a procedure registered again may keep its models. Erring towards "not the same"."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import annotated_types
import pytest
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
