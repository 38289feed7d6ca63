"""The model zoo: one registry whose procedures use every type the TypeScript emitter maps.

Each section is one row of the mapping table in docs/typescript.md; the golden files and the
tsc tests are generated from ``build_schema(zoo_registry())``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, NotRequired, Optional, TypeVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field
from typing_extensions import TypedDict

from pyrpc_core import Registry, build_schema
from pyrpc_core.plugins import PluginManager

T = TypeVar("T")


# -- enums ---------------------------------------------------------------------------------
class Color(StrEnum):
    """A colour of the rainbow."""

    RED = "red"
    GREEN = "green"
    DARK_BLUE = "dark-blue"


class Priority(IntEnum):
    LOW = 1
    HIGH = 2


# -- models: optional vs nullable, defaults, aliases, constraints, odd names ----------------
class User(BaseModel):
    """A registered user."""

    model_config = ConfigDict(populate_by_name=True)

    id: Annotated[int, Field(ge=1, description="The user's id.")]
    name: Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z ]+$")]
    email: EmailStr
    nickname: str | None = None
    bio: Optional[str]  # noqa: UP045 -- the spelling is part of what is tested
    age: int = 0
    user_id: Annotated[str, Field(alias="userId")] = ""
    klass: Annotated[str, Field(alias="class")] = "a"
    first_name: Annotated[str, Field(alias="first-name")] = ""
    score: Annotated[float, Field(gt=0, lt=100, multiple_of=0.5)] = 1.0
    old: Annotated[int, Field(deprecated=True)] = 0


class Point(BaseModel):
    """No defaults: one shape for input and output."""

    x: float
    y: float


# -- recursion -----------------------------------------------------------------------------
class TreeNode(BaseModel):
    value: int
    children: list[TreeNode] = []


class Department(BaseModel):
    name: str
    staff: list[Employee]


class Employee(BaseModel):
    name: str
    department: Department | None


# -- unions ----------------------------------------------------------------------------------
class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Pet(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]


# -- generics -------------------------------------------------------------------------------
class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    next: str | None = None


# -- dataclasses and TypedDicts ---------------------------------------------------------------
@dataclass
class Size:
    width: int
    height: int
    unit: str = "px"
    tags: list[str] = field(default_factory=list)


class Movie(TypedDict):
    title: str
    year: NotRequired[int]


class Options(TypedDict, total=False):
    verbose: bool
    level: int


# -- streams: a generator's items ------------------------------------------------------------
class Step(BaseModel):
    """One step of a job."""

    done: int
    of: int
    note: str | None = None


# -- scalars as their JSON -------------------------------------------------------------------
class Stamps(BaseModel):
    at: dt.datetime
    day: dt.date
    clock: dt.time
    span: dt.timedelta
    ident: uuid.UUID
    price: Decimal
    blob: bytes
    where: Path
    mail: EmailStr


def zoo_registry() -> Registry:
    """A fresh registry holding the zoo."""
    registry = Registry()
    rpc = registry.rpc

    @rpc
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @rpc
    def scale(x: float, factor: float = 2.0) -> float:
        return x * factor

    @rpc
    def greet(name: str, excited: bool = False) -> str:
        return name

    @rpc
    def ping() -> None:
        return None

    @rpc
    def find(query: str | None, limit: int | None = None) -> list[int] | None:
        """Required-nullable ``query``, optional-nullable ``limit``."""
        return None

    @rpc
    def collections(
        numbers: list[int],
        unique: set[str],
        frozen: frozenset[int],
        pair: tuple[int, str],
        many: tuple[float, ...],
        empty: tuple[()],
    ) -> tuple[int, str]:
        return (1, "a")

    @rpc
    def mappings(
        by_name: dict[str, int],
        by_literal: dict[Literal["a", "b"], int],
        by_color: dict[Color, float],
        by_int: dict[int, str],
        by_pattern: dict[Annotated[str, Field(pattern="^[a-z]+$")], int] | None = None,
    ) -> dict[str, list[int]]:
        return {}

    @rpc
    def literals(
        word: Literal["yes", "no"],
        number: Literal[1, 2, 3],
        flag: Literal[True],
        mixed: Literal["a", 1, False, None],
        single: Literal["only"],
    ) -> Literal["ok", "fail"]:
        return "ok"

    @rpc
    def enums(color: Color, priority: Priority = Priority.LOW) -> Color:
        return color

    @rpc
    def unions(value: int | str, pet: Cat | Dog) -> Pet:
        return Pet(pet=pet)

    @rpc
    def tree(node: TreeNode) -> TreeNode:
        """Self recursion."""
        return node

    @rpc
    def org(department: Department) -> Employee:
        """Mutual recursion."""
        return Employee(name="a", department=department)

    @rpc(name="users.get", idempotent=True)
    def get_user(id: int) -> User:
        """Fetch one user by id."""
        raise NotImplementedError

    @rpc(name="users.create")
    def create_user(user: User) -> User:
        return user

    @rpc(name="users.list")
    def list_users(page: int = 1) -> Page[User]:
        raise NotImplementedError

    @rpc(name="admin.users.purge")
    def purge(before: dt.date, dry_run: bool = True) -> int:
        return 0

    @rpc
    def points(page: Page[Point]) -> Page[Point]:
        return page

    @rpc
    def shapes(size: Size, movie: Movie, options: Options) -> Size:
        return size

    @rpc
    def stamps(stamps: Stamps) -> Stamps:
        return stamps

    @rpc
    def anything(value: Any, meta: dict[str, Any]) -> Any:
        return value

    @rpc
    def keywords(function: int, delete: str = "", new: bool = False) -> int:
        """Parameter names that are TypeScript reserved words."""
        return function

    @rpc(name="get-thing")
    def get_thing(id: int) -> Point:
        """A procedure name that is not an identifier."""
        return Point(x=0, y=0)

    @rpc
    def described(
        count: Annotated[int, Field(ge=0, le=10, description="How many, from 0 to 10.")],
        code: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "ABC",
    ) -> Annotated[str, Field(description="A */ tricky description.")]:
        """Docstring with a */ comment terminator and @tags.

        Second paragraph.
        """
        return code

    @rpc
    async def progress(job: str, every: float = 0.5) -> AsyncIterator[Step]:
        """A streaming procedure: its items reach ``for await``."""
        yield Step(done=1, of=1)

    @rpc(name="users.watch")
    def watch_users(since: int | None = None) -> Iterator[User]:
        """A sync generator, in a namespace."""
        yield from ()

    return registry


def zoo_schema() -> dict[str, Any]:
    """The introspection document of the zoo, with no plugins amending it."""
    return build_schema(zoo_registry(), plugins=PluginManager())
