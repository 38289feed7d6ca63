"""A small pyRPC API on the plain ASGI adapter: `make run`, then call it.

curl -s http://127.0.0.1:8000/rpc -d '{"jsonrpc": "2.0", "method": "add", "params": [1, 2], "id": 1}'
curl -s http://127.0.0.1:8000/rpc            # the schema
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from pyrpc_asgi import create_app
from pyrpc_core import Context, RpcError, rpc


class Role(StrEnum):
    admin = "admin"
    member = "member"


class User(BaseModel):
    id: int
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.member
    created: datetime


USERS = {1: User(id=1, name="Ada", role=Role.admin, created=datetime(2024, 1, 1, tzinfo=UTC))}


@rpc
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@rpc(name="users.get")
async def get_user(id: int) -> User:
    """One user by id; error 4004 when there is none."""
    await asyncio.sleep(0)
    if id not in USERS:
        raise RpcError(code=4004, message="user not found", data={"id": id})
    return USERS[id]


@rpc(name="users.create")
def create_user(name: str, role: Role = Role.member) -> User:
    """Create a user."""
    user = User(id=max(USERS) + 1, name=name, role=role, created=datetime.now(UTC))
    USERS[user.id] = user
    return user


@rpc
def whoami(ctx: Context) -> dict[str, str | None]:
    """What the server sees of the caller."""
    return {"user_agent": ctx.headers.get("user-agent"), "client": ctx.client[0] if ctx.client else None}


app = create_app()
