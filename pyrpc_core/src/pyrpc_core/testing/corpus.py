"""The schema corpus of the emitter harness: introspection documents an emitter must handle.

Each document is built with ``build_schema`` from a registry of assorted signatures, so it is
exactly what a server of this version serves. Used through ``pyrpc_core.testing.schema_corpus``.

The procedures answer with values of their result types, so that the registries can be served
as they are: ``tests/ts/test_wire_types.py`` calls each one with the params of
``corpus_params.EXAMPLE_PARAMS`` and holds the answers to the schema and the generated types.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Generic, Literal, NotRequired, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, computed_field
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict

from ..bigint import BigInt, BigIntModel
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


# -- aliases: the schema names fields by alias, and so does the wire (docs/typescript.md, Aliases)


class Account(BaseModel):
    """Field aliases, read and written."""

    user_id: int = Field(alias="userId")
    display_name: str | None = Field(default=None, alias="displayName")


class Profile(BaseModel):
    """camelCase aliases for every field, names accepted too, and a computed field with an alias."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    first_name: str
    last_seen: dt.datetime | None = None
    home: Address | None = None
    accounts: list[Account] = []

    @computed_field(alias="initial")  # type: ignore[prop-decorator]
    @property
    def first_letter(self) -> str:
        return self.first_name[:1]


class Transfer(BaseModel):
    """Read under one name, written under another."""

    amount_cents: int = Field(validation_alias="amountCents", serialization_alias="amount")
    note: str = Field(default="", validation_alias=AliasChoices("memo", "note"))


@dataclass
class Box:
    item_count: Annotated[int, Field(alias="itemCount")]
    label: Annotated[str, Field(alias="boxLabel")] = ""


class Quota(TypedDict):
    max_size: Annotated[int, Field(alias="maxSize")]
    soft_limit: NotRequired[Annotated[int, Field(alias="softLimit")]]


class Ledger(BaseModel):
    """Integers beyond 2^53, carried as strings of digits (``BigInt``) beside a plain ``int``."""

    id: BigInt
    balance: BigInt = 0
    history: list[BigInt] = []
    by_day: dict[str, BigInt] = {}
    limit: BigInt | None = None
    entries: int = 0


class Snowflake(BigIntModel):
    """Every ``int`` of a ``BigIntModel`` travels as a string of digits."""

    id: int
    parent: int | None = None
    shards: dict[str, list[int]] = Field(default_factory=dict)


def _user(id: int) -> User:
    return User(
        id=id,
        name="Ann Example",
        email=None,
        tags=["a", "b"],
        address=Address(street="1 Main St", zip_code="75001"),
        created=dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )


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
        return f"Hello, {name}{'!' if excited else '.'}"

    @registry.rpc
    def ping() -> None:
        """No params, no result."""

    @registry.rpc
    def anything(value: Any, meta: dict[str, Any]) -> Any:
        return {"value": value, "meta": meta}

    @registry.rpc
    def blob(data: bytes) -> bytes:
        return data

    @registry.rpc
    def when(at: dt.datetime, day: dt.date, clock: dt.time, span: dt.timedelta) -> dt.datetime:
        return dt.datetime.combine(day, clock, at.tzinfo) + span

    @registry.rpc
    def ids(id: uuid.UUID, amount: Decimal) -> uuid.UUID:
        return id

    @registry.rpc
    def whoami(ctx: Context, verbose: bool = False) -> str:
        """Context is injected, never part of the params."""
        return "someone, verbosely" if verbose else "someone"

    return registry


def _containers() -> Registry:
    registry = Registry()

    @registry.rpc
    def collections(
        numbers: list[int], unique: set[str], frozen: frozenset[int], pair: tuple[int, str], rest: tuple[float, ...]
    ) -> list[list[int]]:
        return [numbers, sorted(frozen), [pair[0], len(unique), len(rest)]]

    @registry.rpc
    def mappings(counts: dict[str, int], nested: dict[str, list[float]]) -> dict[str, dict[str, bool]]:
        return {key: {"positive": value > 0, "nested": key in nested} for key, value in counts.items()}

    @registry.rpc
    def patterned(
        codes: dict[Annotated[str, Field(pattern="^[a-z]+$")], int],
    ) -> dict[Annotated[str, Field(pattern="^[a-z]+$")], list[int]]:
        """Keys that match a pattern: TypeScript types them as strings, and their values as given."""
        return {key: [value] for key, value in codes.items()}

    @registry.rpc
    def nullable(required_nullable: int | None, optional: int = 0, optional_nullable: str | None = None) -> int | None:
        return None if required_nullable is None else required_nullable + optional

    @registry.rpc
    def literals(mode: Literal["fast", "slow"], level: Literal[1, 2, 3] = 1, flag: Literal[True] = True) -> str:
        return mode

    @registry.rpc
    def unions(value: int | str | None, values: list[int | str]) -> int | str:
        return value if value is not None else len(values)

    return registry


def _models() -> Registry:
    registry = Registry()

    @registry.rpc
    def get_user(id: int) -> User:
        """Find one user; raises 4004 when there is none."""
        return _user(id)

    @registry.rpc
    def create_user(user: User) -> User:
        return user

    @registry.rpc
    def list_users(page: int = 1, color: Color | None = None) -> Page[User]:
        users = [_user(page), _user(page + 1).model_copy(update={"color": color or Color.GREEN})]
        return Page[User](items=users, total=2, next_cursor=None if page > 1 else "2")

    @registry.rpc
    def enums(color: Color, priority: Priority = Priority.LOW) -> list[Color]:
        return [color]

    @registry.rpc
    def tree(node: TreeNode) -> TreeNode:
        return node

    @registry.rpc
    def org(department: Department) -> Employee:
        return Employee(name="Head of " + department.name, department=department)

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
        return f"user {id}"

    @registry.rpc(name="users.list")
    def users_list(limit: int = 10) -> list[str]:
        return [f"user {number}" for number in range(min(limit, 3))]

    @registry.rpc(name="admin.users.delete")
    def admin_delete(id: int, hard: bool = False) -> bool:
        return hard

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
        return default + import_

    @registry.rpc(name="naïve.ünïcode")
    def unicode_name(text: str) -> str:
        """Docstrings may hold anything: ""\" triple quotes, \\ backslashes, */ comment ends, \x00 and \u2028."""
        return text

    @registry.rpc(name="Mixed-Case_name9")
    def mixed() -> None:
        return None

    return registry


def _aliases() -> Registry:
    registry = Registry()

    @registry.rpc(name="accounts.get")
    def get_account(user_id: int) -> Account:
        return Account(userId=user_id)

    @registry.rpc(name="accounts.rename")
    def rename(account: Account, display_name: Annotated[str, Field(alias="displayName")]) -> Account:
        """A parameter with an alias: by name it is ``displayName``, by position the second."""
        return account.model_copy(update={"display_name": display_name})

    @registry.rpc(name="accounts.group")
    def group(accounts: list[Account], by_key: dict[str, Account | None]) -> dict[str, list[Account | None]]:
        return {"listed": list(accounts), "keyed": list(by_key.values())}

    @registry.rpc(name="profiles.save")
    def save_profile(profile: Profile) -> Profile:
        return profile

    @registry.rpc(name="profiles.find")
    def find_profile(first_name: str) -> Profile | None:
        if not first_name:
            return None
        return Profile(first_name=first_name, accounts=[Account(userId=1, displayName=first_name)])

    @registry.rpc
    def transfer(transfer: Transfer) -> Transfer:
        return transfer

    @registry.rpc
    def pack(box: Box, quota: Quota) -> tuple[Box, Quota]:
        return box, quota

    return registry


def _bigints() -> Registry:
    registry = Registry()

    @registry.rpc(name="big.add")
    def big_add(a: BigInt, b: BigInt = 1) -> BigInt:
        """Exact beyond 2^53: 9223372036854775807 + 2 is 9223372036854775809."""
        return a + b

    @registry.rpc(name="big.sum")
    def big_sum(values: list[BigInt], extra: BigInt | None = None) -> list[BigInt]:
        return [sum(values) + (extra or 0), *values]

    @registry.rpc(name="big.ledger")
    def big_ledger(id: BigInt) -> Ledger:
        return Ledger(id=id, balance=id * 2, history=[id, -id], by_day={"mon": id}, limit=None, entries=2)

    @registry.rpc(name="big.save")
    def big_save(ledger: Ledger, counts: dict[str, BigInt]) -> tuple[Ledger, dict[str, BigInt | None]]:
        return ledger, {**counts, "none": None}

    @registry.rpc(name="big.tally")
    def big_tally(counts: dict[BigInt, int]) -> dict[BigInt, str]:
        """BigInt keys: `${bigint}` in TypeScript, like BigInt values."""
        return {key: str(value) for key, value in counts.items()}

    @registry.rpc(name="big.snowflake")
    def big_snowflake(flake: Snowflake) -> Snowflake:
        return flake.model_copy(update={"id": flake.id + 1, "parent": flake.id})

    return registry


def _amended(document: dict[str, Any]) -> dict[str, Any]:
    """A document with keys a ``pyrpc_amend_schema`` plugin may add; emitters must ignore what they do not know."""
    document = {**document, "x-plugin": {"anything": [1, 2, 3]}, "procedures": dict(document["procedures"])}
    for name, procedure in list(document["procedures"].items()):
        document["procedures"][name] = {**procedure, "tags": ["extra"], "deprecated": name == "add"}
    return document


_REGISTRIES: dict[str, Callable[[], Registry]] = {
    "empty": Registry,
    "scalars": _scalars,
    "containers": _containers,
    "models": _models,
    "names": _names,
    "aliases": _aliases,
    "bigints": _bigints,
}


def corpus_registries() -> dict[str, Registry]:
    """The registries the corpus documents are built from, made afresh, by document name (all but ``amended``)."""
    return {name: make() for name, make in _REGISTRIES.items()}


def build_corpus() -> dict[str, dict[str, Any]]:
    from ..plugins import PluginManager

    no_plugins = PluginManager()  # the corpus must not depend on which plugins are installed
    corpus = {name: build_schema(registry, no_plugins) for name, registry in corpus_registries().items()}
    corpus["amended"] = _amended(corpus["scalars"])
    return corpus
