"""RPCClient against a real server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from pyrpc_asgi import create_app
from pyrpc_core import Registry, RPCClient, RpcError
from pyrpc_core.client import TransportError


class Event(BaseModel):
    name: str
    at: datetime


@pytest.fixture
def url(serve_asgi: Callable[[Any], str]) -> str:
    registry = Registry()
    seen: list[int] = []

    @registry.rpc
    def add(a: int, b: int) -> int:
        return a + b

    @registry.rpc(name="events.shift")
    async def shift(event: Event, hours: int = 1) -> Event:
        return event.model_copy(update={"at": event.at.replace(hour=event.at.hour + hours)})

    @registry.rpc
    def remember(n: int) -> None:
        seen.append(n)

    @registry.rpc
    def seen_so_far() -> list[int]:
        return seen

    @registry.rpc
    def refuse() -> None:
        raise RpcError(4004, "not found", {"why": "gone"})

    return serve_asgi(create_app(registry))


def test_calls_by_position_and_by_name(url: str) -> None:
    with RPCClient(url) as client:
        assert client.add(1, 2) == 3
        assert client.add(a=5, b=6) == 11
        assert client.call("add", 2, 2) == 4


def test_namespaces_and_models(url: str) -> None:
    with RPCClient(url) as client:
        event = Event(name="launch", at=datetime(2025, 1, 1, 9, tzinfo=UTC))
        assert client.events.shift(event, 2) == {"name": "launch", "at": "2025-01-01T11:00:00Z"}


def test_errors_raise_rpc_error(url: str) -> None:
    with RPCClient(url) as client:
        with pytest.raises(RpcError) as raised:
            client.refuse()
        assert (raised.value.code, raised.value.message, raised.value.data) == (4004, "not found", {"why": "gone"})
        with pytest.raises(RpcError) as raised:
            client.add("x", 1)
        assert raised.value.code == -32602
        assert raised.value.data[0]["loc"] == ["a"]


def test_notifications_and_batches(url: str) -> None:
    with RPCClient(url) as client:
        client.notify("remember", 7)
        with client.batch() as batch:
            first = batch.add(1, 1)
            batch.notify("remember", 8)
            failing = batch.refuse()
            last = batch.seen_so_far()
        assert first.result() == 2
        with pytest.raises(RpcError, match="not found"):
            failing.result()
        assert last.result() in ([7, 8], [7])  # the batch's calls may run concurrently
        assert client.seen_so_far() == [7, 8]


def test_result_before_sending_is_an_error(url: str) -> None:
    batch = RPCClient(url).batch()
    pending = batch.add(1, 2)
    with pytest.raises(RuntimeError, match="not been sent"):
        pending.result()


def test_schema_is_fetched_with_get(url: str) -> None:
    assert "events.shift" in RPCClient(url + "/rpc").schema()["procedures"]


def test_mixed_arguments_are_refused_before_sending(url: str) -> None:
    with pytest.raises(TypeError, match="by position or by name"):
        RPCClient(url).add(1, b=2)


def test_unreachable_server_is_a_transport_error() -> None:
    with pytest.raises(TransportError, match=r"cannot reach http://127\.0\.0\.1:9/rpc"):
        RPCClient("http://127.0.0.1:9", timeout=2).add(1, 2)


def test_bad_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        RPCClient("ftp://example")
