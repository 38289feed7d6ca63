"""The schema corpus of the emitter harness: introspection documents an emitter must handle.

Each document is built with ``build_schema`` from a registry of assorted signatures, so it is
exactly what a server of this version serves. Used through ``pyrpc_core.testing.schema_corpus``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from ..context import Context
from ..registry import Registry
from ..schema import build_schema

T = TypeVar("T")


class Color(StrEnum):
    """A colour, as a string enum."""

    RED = "red"
    GREEN = "green"
    DARK_BLUE = "dark-blue"


class Priority(IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    street: str
    city: str = "Paris"
    zip_code: str | None = None


class User(BaseModel):
    """A user: "quoted" text, a backslash \\ and ünïcode — in a docstring."""

    id: int
    name: str = Field(description="The full name.")
    email: str | None
    tags: list[str] = []
    address: Address | None = None
    color: Color = Color.RED
    created: dt.datetime | None = None


class TreeNode(BaseModel):
    value: int
    children: list[TreeNode] = []


class Department(BaseModel):
    name: str
    staff: list[Employee] = []


class Employee(BaseModel):
    name: str
    department: Department | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    next_cursor: str | None = None


class Cat(BaseModel):
    kind: Literal["cat"] = "cat"
    lives: int = 9


class Dog(BaseModel):
    kind: Literal["dog"] = "dog"
    good: bool = True


class Pet(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]


class Keywords(BaseModel):
    """Field names that are keywords or not identifiers in many languages."""

    class_: int = Field(alias="class")
    from_: str = Field(alias="from", default="")
    default: bool = False
    kebab_name: str = Field(alias="kebab-name", default="")
    with_space: int = Field(alias="with space", default=0)


@dataclass
class Size:
    width: float
    height: float = 1.0


class Movie(TypedDict):
    title: str
    year: int


class Options(TypedDict, total=False):
    verbose: bool
    depth: int


def _scalars() -> Registry:
    registry = Registry()

    @registry.rpc
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @registry.rpc
    def scale(x: float, factor: float = 2.0) -> float:
        return x * factor

    @registry.rpc
    def greet(name: str, excited: bool = False) -> str:
        return name

    @registry.rpc
    def ping() -> None:
        """No params, no result."""

    @registry.rpc
    def anything(value: Any, meta: dict[str, Any]) -> Any:
        return value

    @registry.rpc
    def blob(data: bytes) -> bytes:
        return data

    @registry.rpc
    def when(at: dt.datetime, day: dt.date, clock: dt.time, span: dt.timedelta) -> dt.datetime:
        return at

    @registry.rpc
    def ids(id: uuid.UUID, amount: Decimal) -> uuid.UUID:
        return id

    @registry.rpc
    def whoami(ctx: Context, verbose: bool = False) -> str:
        """Context is injected, never part of the params."""
        return ""

    return registry


def _containers() -> Registry:
    registry = Registry()

    @registry.rpc
    def collections(
        numbers: list[int], unique: set[str], frozen: frozenset[int], pair: tuple[int, str], rest: tuple[float, ...]
    ) -> list[list[int]]:
        return []

    @registry.rpc
    def mappings(counts: dict[str, int], nested: dict[str, list[float]]) -> dict[str, dict[str, bool]]:
        return {}

    @registry.rpc
    def nullable(required_nullable: int | None, optional: int = 0, optional_nullable: str | None = None) -> int | None:
        return None

    @registry.rpc
    def literals(mode: Literal["fast", "slow"], level: Literal[1, 2, 3] = 1, flag: Literal[True] = True) -> str:
        return mode

    @registry.rpc
    def unions(value: int | str | None, values: list[int | str]) -> int | str:
        return 0

    return registry


def _models() -> Registry:
    registry = Registry()

    @registry.rpc
    def get_user(id: int) -> User:
        """Find one user; raises 4004 when there is none."""
        raise NotImplementedError

    @registry.rpc
    def create_user(user: User) -> User:
        return user

    @registry.rpc
    def list_users(page: int = 1, color: Color | None = None) -> Page[User]:
        raise NotImplementedError

    @registry.rpc
    def enums(color: Color, priority: Priority = Priority.LOW) -> list[Color]:
        return [color]

    @registry.rpc
    def tree(node: TreeNode) -> TreeNode:
        return node

    @registry.rpc
    def org(department: Department) -> Employee:
        raise NotImplementedError

    @registry.rpc
    def pets(pet: Pet, others: list[Cat | Dog]) -> Pet:
        return pet

    @registry.rpc
    def keywords(value: Keywords) -> Keywords:
        return value

    @registry.rpc
    def shapes(size: Size, movie: Movie, options: Options) -> Size:
        return size

    return registry


def _names() -> Registry:
    registry = Registry()

    @registry.rpc(name="users.get")
    def users_get(id: int) -> str:
        return ""

    @registry.rpc(name="users.list")
    def users_list(limit: int = 10) -> list[str]:
        return []

    @registry.rpc(name="admin.users.delete")
    def admin_delete(id: int, hard: bool = False) -> bool:
        return True

    @registry.rpc(name="users")
    def users() -> int:
        """A procedure whose name is also a namespace."""
        return 0

    @registry.rpc(name="users_get")
    def users_underscore() -> int:
        """Its name is what a flattening of 'users.get' would give."""
        return 0

    @registry.rpc(name="class")
    def class_(default: int, self: str = "", import_: int = Field(default=0, alias="import")) -> int:
        return default

    @registry.rpc(name="naïve.ünïcode")
    def unicode_name(text: str) -> str:
        """Docstrings may hold anything: ""\" triple quotes, \\ backslashes, */ comment ends, \x00 and \u2028."""
        return text

    @registry.rpc(name="Mixed-Case_name9")
    def mixed() -> None:
        return None

    return registry


def _amended(document: dict[str, Any]) -> dict[str, Any]:
    """A document with keys a ``pyrpc_amend_schema`` plugin may add; emitters must ignore what they do not know."""
    document = {**document, "x-plugin": {"anything": [1, 2, 3]}, "procedures": dict(document["procedures"])}
    for name, procedure in list(document["procedures"].items()):
        document["procedures"][name] = {**procedure, "tags": ["extra"], "deprecated": name == "add"}
    return document


def build_corpus() -> dict[str, dict[str, Any]]:
    from ..plugins import PluginManager

    no_plugins = PluginManager()  # the corpus must not depend on which plugins are installed
    corpus = {
        "empty": build_schema(Registry(), no_plugins),
        "scalars": build_schema(_scalars(), no_plugins),
        "containers": build_schema(_containers(), no_plugins),
        "models": build_schema(_models(), no_plugins),
        "names": build_schema(_names(), no_plugins),
    }
    corpus["amended"] = _amended(corpus["scalars"])
    return corpus
