"""The two calls every server of the benchmark answers, and their models."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel


class Item(BaseModel):
    id: int
    name: str
    price: float
    tags: list[str]


class Order(BaseModel):
    id: int
    customer: str
    items: list[Item]


# ASGI servers run the async versions (a sync function there goes to a worker thread, which
# costs every framework alike); WSGI servers run the sync ones.


def add(a: int, b: int) -> int:
    return a + b


def echo_order(order: Order) -> Order:
    return order


async def add_async(a: int, b: int) -> int:
    return a + b


async def echo_order_async(order: Order) -> Order:
    return order


def sample_order(items: int = 50) -> dict[str, object]:
    """The nested payload: an order with ``items`` items."""
    return {
        "id": 1,
        "customer": "Ada Lovelace",
        "items": [{"id": i, "name": f"item {i}", "price": i * 1.5, "tags": ["a", "b"]} for i in range(items)],
    }


async def wait_20ms(n: int) -> int:
    """The batch benchmark's call: waits 20 ms (a database, say), then answers."""
    await asyncio.sleep(0.02)
    return n


async def wait_ms(ms: int) -> int:
    """The slow-batch benchmark's call: waits ``ms`` milliseconds, then answers them."""
    await asyncio.sleep(ms / 1000)
    return ms
