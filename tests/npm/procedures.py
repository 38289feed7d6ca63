"""The API the end-to-end test serves: every kind of call the TypeScript program makes.

Models (input and output shapes), a discriminated union, datetimes, enums, defaults,
nullable values, raised ``RpcError``s, validation errors, notifications, the request
headers through ``Context``, a slow procedure for timeouts, and streaming procedures
(generators) for ``for await``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from pyrpc_core import BigInt, Context, Registry, RpcError, tracked
from pyrpc_core.procedure import Procedure

registry = Registry()
LOG: list[str] = []


class Color(StrEnum):
    RED = "red"
    GREEN = "green"
    DARK_BLUE = "dark-blue"


class Priority(IntEnum):
    LOW = 1
    HIGH = 2


class User(BaseModel):
    """A user; the input shape leaves out what has a default."""

    id: int
    name: Annotated[str, Field(min_length=1)]
    email: str | None = None
    created: dt.datetime
    color: Color = Color.RED
    tags: list[str] = []


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


Pet = Annotated[Cat | Dog, Field(discriminator="kind")]

EPOCH = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@registry.rpc
def add(a: int, b: int = 10) -> int:
    """Add two integers."""
    return a + b


@registry.rpc(name="users.get")
def get_user(id: int) -> User:
    if id == 404:
        raise RpcError(4004, "user not found", {"id": id})
    return User(id=id, name=f"user {id}", created=EPOCH, tags=["a"])


@registry.rpc(name="users.create")
def create_user(user: User) -> User:
    return user.model_copy(update={"id": user.id + 1000})


@registry.rpc
def adopt(kind: Literal["cat", "dog"]) -> Pet:
    return Cat(kind="cat", lives=9) if kind == "cat" else Dog(kind="dog", good=True)


@registry.rpc
def describe(pet: Pet) -> str:
    return f"a cat with {pet.lives} lives" if isinstance(pet, Cat) else f"a {'good' if pet.good else 'bad'} dog"


@registry.rpc
def later(when: dt.datetime, days: int) -> dt.datetime:
    return when + dt.timedelta(days=days)


@registry.rpc
def span(start: dt.date, end: dt.date) -> dt.timedelta:
    return end - start


@registry.rpc
def paint(color: Color, priority: Priority = Priority.LOW) -> dict[str, str | int]:
    return {"color": color.value, "priority": int(priority)}


@registry.rpc
def maybe(x: int | None = None) -> str | None:
    return None if x is None else str(x)


@registry.rpc(name="big.next")
def big_next(id: BigInt, step: int = 1) -> BigInt:
    """A BigInt in and out: 2**63 + 1 stays exact, where a JavaScript number would round it."""
    return id + step


@registry.rpc(name="audit.log")
def log(message: str) -> None:
    """Called as a notification: nothing is answered."""
    LOG.append(message)


@registry.rpc(name="audit.entries")
def entries() -> list[str]:
    return list(LOG)


@registry.rpc(name="math.divide")
def divide(a: float, b: float) -> float:
    if b == 0:
        raise RpcError(4000, "division by zero", {"a": a})
    return a / b


@registry.rpc
async def slow(ms: int) -> int:
    await asyncio.sleep(ms / 1000)
    return ms


@registry.rpc
def whoami(ctx: Context) -> str:
    return ctx.headers.get("authorization") or "anonymous"


# -- the client toolkit (tests/npm/test_toolkit.py): retries, middleware, cursors ----------------

RUNS: dict[str, int] = {}


@registry.rpc(name="flaky.read", idempotent=True, timeout=0.2)
async def flaky_read(key: str, failures: int) -> int:
    """Idempotent: past its deadline (-32001) on its first ``failures`` calls for ``key``; then how often it ran."""
    RUNS[key] = RUNS.get(key, 0) + 1
    if RUNS[key] <= failures:
        await asyncio.sleep(5)  # cancelled at the deadline
    return RUNS[key]


@registry.rpc(name="flaky.write", timeout=0.2)
async def flaky_write(key: str, failures: int) -> int:
    """The same, not idempotent: a client never retries it after a deadline."""
    return await flaky_read(key, failures)


@registry.rpc(name="flaky.runs")
def flaky_runs(key: str) -> int:
    """How often ``flaky.*`` ran for ``key`` (the calls that reached the server)."""
    return RUNS.get(key, 0)


@registry.rpc
def secret(ctx: Context) -> str:
    """Answers only the fresh token: a stale one gets RpcError 4001, which a middleware refreshes."""
    if ctx.headers.get("authorization") != "Bearer fresh":
        raise RpcError(4001, "token expired")
    return "the secret"


class NumberPage(BaseModel):
    items: list[int]
    next: str | None


@registry.rpc(name="numbers.page", idempotent=True)
def numbers_page(limit: int = 3, cursor: str | None = None) -> NumberPage:
    """0 to 7, ``limit`` at a time: the cursor convention of infinite queries (``cursor`` in, ``next`` out)."""
    start = int(cursor or 0)
    end = min(start + limit, 8)
    return NumberPage(items=list(range(start, end)), next=str(end) if end < 8 else None)


# -- streaming procedures (tests/npm/toolkit/stream.test.ts) ---------------------------------------


class Tick(BaseModel):
    n: int
    of: int
    at: dt.datetime


STOPPED: dict[str, float] = {}
"""When each ``streams.forever`` stream's ``finally`` ran (time.monotonic()), by key."""
RESUMED: dict[str, list[str | None]] = {}
"""The ``Last-Event-ID`` each call of ``streams.resumable`` got, by key."""


@registry.rpc(name="streams.count")
async def count(to: int, every_ms: int = 0) -> AsyncIterator[Tick]:
    """0 to ``to - 1``, a ``Tick`` each, ``every_ms`` apart."""
    for n in range(to):
        if every_ms:
            await asyncio.sleep(every_ms / 1000)
        yield Tick(n=n, of=to, at=EPOCH + dt.timedelta(seconds=n))


@registry.rpc(name="streams.words")
def words(text: str) -> Iterator[str]:
    """A sync generator: the words of ``text``."""
    yield from text.split()


@registry.rpc(name="streams.fail")
async def fail(after: int) -> AsyncIterator[int]:
    """``after`` items, then RpcError 4090 mid-stream."""
    for n in range(after):
        yield n
    raise RpcError(4090, "failed mid-way", {"after": after})


@registry.rpc(name="streams.forever")
async def forever(key: str) -> AsyncIterator[int]:
    """Never ends on its own; records in STOPPED when its ``finally`` runs (the client left)."""
    n = 0
    try:
        while True:
            yield n
            n += 1
            await asyncio.sleep(0.02)
    finally:
        STOPPED[key] = time.monotonic()


@registry.rpc(name="streams.stopped")
def stopped(key: str) -> bool:
    """Whether ``streams.forever`` for ``key`` was stopped (its ``finally`` ran)."""
    return key in STOPPED


@registry.rpc(name="streams.resumable")
async def resumable(key: str, to: int, ctx: Context) -> AsyncIterator[int]:
    """0 to ``to - 1``, each under its own number as event id; a resumed call starts after ``ctx.last_event_id``."""
    RESUMED.setdefault(key, []).append(ctx.last_event_id)
    start = int(ctx.last_event_id) + 1 if ctx.last_event_id else 0
    for n in range(start, to):
        await asyncio.sleep(0.005)
        yield tracked(n, n)


@registry.rpc(name="streams.resumes")
def resumes(key: str) -> list[str | None]:
    """The ``Last-Event-ID`` of every call of ``streams.resumable`` for ``key``, in order."""
    return RESUMED.get(key, [])


@registry.rpc(name="streams.guarded")
async def guarded(ctx: Context) -> AsyncIterator[str]:
    """Refused before it starts unless the token is fresh (by the guard below)."""
    yield ctx.headers.get("authorization") or ""


@registry.guard
def fresh_token_for_guarded(procedure: Procedure, ctx: Context) -> None:
    """A guard's RpcError refuses a stream before it starts: a plain JSON-RPC answer, which middleware sees."""
    if procedure.name == "streams.guarded" and ctx.headers.get("authorization") != "Bearer fresh":
        raise RpcError(4001, "token expired")
