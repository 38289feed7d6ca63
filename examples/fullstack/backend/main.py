"""The backend of the full-stack example: a to-do list served by FastAPI, called from TypeScript.

`pyrpc dev` (run from this folder, next to pyrpc.json) serves it at http://127.0.0.1:8000/rpc
and writes the types of these procedures into ../frontend/pyrpc/types (the package @pyrpc/types)
and the schema snapshot ../frontend/pyrpc/schema.json on each save.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Annotated, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field

from pyrpc_core import Context, RpcError, rpc, tracked
from pyrpc_fastapi import mount

Title = Annotated[str, Field(min_length=1, max_length=60)]


class Priority(StrEnum):
    """How urgent a to-do is."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class Todo(BaseModel):
    """A to-do as the server keeps it."""

    id: int
    title: str
    priority: Priority
    due: dt.date | None
    done: bool
    created: dt.datetime


class TodoPatch(BaseModel):
    """The fields to change; the ones left out (or null) stay as they are; a null ``due`` clears it."""

    title: Title | None = None
    priority: Priority | None = None
    due: dt.date | None = None
    done: bool | None = None


class Summary(BaseModel):
    total: int
    done: int
    overdue: int


TODOS: dict[int, Todo] = {}


def _add(title: str, priority: Priority, due: dt.date | None, done: bool = False) -> Todo:
    todo = Todo(
        id=max(TODOS, default=0) + 1,
        title=title,
        priority=priority,
        due=due,
        done=done,
        created=dt.datetime.now(dt.UTC).replace(microsecond=0),
    )
    TODOS[todo.id] = todo
    return todo


_add("Read the pyRPC docs", Priority.NORMAL, None, done=True)
_add("Ship the release", Priority.HIGH, dt.date.today() + dt.timedelta(days=3))


@rpc(name="todos.list", idempotent=True)
def list_todos(done: bool | None = None) -> list[Todo]:
    """All to-dos, oldest first; only the done (or open) ones when ``done`` is given."""
    return [todo for todo in TODOS.values() if done is None or todo.done == done]


@rpc(name="todos.create")
def create_todo(title: Title, priority: Priority = Priority.NORMAL, due: dt.date | None = None) -> Todo:
    """Add a to-do. A title of 1 to 60 characters; a due date, if any, not in the past."""
    if due is not None and due < dt.date.today():
        details = {"field": "due", "due": due.isoformat(), "today": dt.date.today().isoformat()}
        raise RpcError(code=4022, message="the due date is in the past", data=details)
    return _add(title, priority, due)


@rpc(name="todos.update")
def update_todo(id: int, patch: TodoPatch) -> Todo:
    """Change some fields of a to-do; error 4004 when there is no such to-do."""
    if id not in TODOS:
        raise RpcError(code=4004, message="no such to-do", data={"id": id})
    # null leaves a field as it is, but for ``due``, where it clears the due date.
    given = patch.model_dump(exclude_unset=True)
    changes = {key: value for key, value in given.items() if value is not None or key == "due"}
    TODOS[id] = TODOS[id].model_copy(update=changes)
    return TODOS[id]


@rpc(name="todos.summary", idempotent=True)
def summary() -> Summary:
    """How many to-dos there are, are done, and are overdue."""
    today = dt.date.today()
    todos = list(TODOS.values())
    return Summary(
        total=len(todos),
        done=sum(todo.done for todo in todos),
        overdue=sum(1 for todo in todos if not todo.done and todo.due is not None and todo.due < today),
    )


# -- the live view: a streaming procedure ---------------------------------------------------

IMPORT_DELAY = 0.15
"""Seconds between two imported to-dos: slow enough to watch the progress bar, and to cancel."""


class ImportStep(BaseModel):
    """One to-do of an import, once it is created: the item of the stream ``todos.import``."""

    run: int
    done: int
    of: int
    todo: Todo


class ImportStatus(BaseModel):
    """The latest import: running, finished (all created) or stopped (the client left first)."""

    run: int
    state: Literal["idle", "running", "finished", "stopped"]
    done: int
    of: int


STATUS = ImportStatus(run=0, state="idle", done=0, of=0)


@rpc(name="todos.import")
async def import_todos(count: Annotated[int, Field(ge=1, le=100)], ctx: Context) -> AsyncIterator[ImportStep]:
    """Create ``count`` to-dos one by one, each sent as it is made.

    Each item goes out under the id ``"<run>:<done>"``. A client whose connection drops calls
    again with the last id it received (``Last-Event-ID``, read here as ``ctx.last_event_id``)
    and the same import goes on after it. When the client leaves (``break``, an aborted
    signal, a closed tab), the server stops the generator: ``finally`` records where it stopped.
    """
    if ctx.last_event_id:
        try:
            run, done = (int(part) for part in ctx.last_event_id.split(":"))
        except ValueError:
            problem = {"id": ctx.last_event_id}
            raise RpcError(code=4000, message="not an event id of todos.import", data=problem) from None
    else:
        run, done = STATUS.run + 1, 0
    STATUS.run, STATUS.state, STATUS.done, STATUS.of = run, "running", done, count
    try:
        for number in range(done + 1, count + 1):
            await asyncio.sleep(IMPORT_DELAY)
            todo = _add(f"Imported {number} of {count} (import {run})", Priority.LOW, None)
            done = number
            if STATUS.run == run:
                STATUS.done = done
            yield tracked(f"{run}:{done}", ImportStep(run=run, done=done, of=count, todo=todo))
    finally:
        if STATUS.run == run:  # a later import owns the status now
            STATUS.state = "finished" if done == count else "stopped"


@rpc(name="todos.import_status", idempotent=True)
def import_status() -> ImportStatus:
    """Where the latest ``todos.import`` is: the page's cancel is seen here, once its ``finally`` ran."""
    return STATUS


app = FastAPI(title="pyRPC full-stack example")
mount(app)  # POST /rpc answers JSON-RPC 2.0, GET /rpc is the schema the types come from
