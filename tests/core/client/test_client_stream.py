"""RPCClient's streams against a live uvicorn server: ``client.stream.<procedure>(...)`` yields the
items as they come, raises RpcError on an error event, resumes from ``last_event_id`` and hangs up
when the caller stops early, which stops the procedure on the server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pyrpc_asgi import create_app
from pyrpc_core import RPCClient, RpcError
from pyrpc_core.client import Stream, TransportError
from pyrpc_core.plugins import PluginManager
from pyrpc_core.testing import LIMITED_STREAM_LIMITS, STREAM_LIMITS, STREAM_SECONDS, serve_asgi, streaming_registry


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_asgi(create_app(streaming_registry(), plugins=PluginManager(), limits=STREAM_LIMITS)) as base:
        yield base


@pytest.fixture(scope="module")
def limited_url() -> Iterator[str]:
    app = create_app(streaming_registry(), plugins=PluginManager(), limits=LIMITED_STREAM_LIMITS)
    with serve_asgi(app) as base:
        yield base


@pytest.fixture(scope="module")
def quiet_url() -> Iterator[str]:
    """The default heartbeat: 15 s without a ping."""
    with serve_asgi(create_app(streaming_registry(), plugins=PluginManager())) as base:
        yield base


def stopped(client: RPCClient, key: str, within: float = 1.0) -> list[str]:
    deadline = time.monotonic() + within
    while "finally" not in (record := client.recall(key)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return list(record)


@pytest.mark.parametrize("method", ["count", "count_sync"])
def test_items_as_an_iterator(url: str, method: str) -> None:
    with RPCClient(url) as client:
        steps = getattr(client.stream, method)(3)
        assert isinstance(steps, Stream)
        assert list(steps) == [{"done": 0, "of": 3}, {"done": 1, "of": 3}, {"done": 2, "of": 3}]
        assert steps.last_event_id == "2"
        assert list(client.stream.count(of=1)) == [{"done": 0, "of": 1}]  # params by name
        assert client.echo("plain calls go on") == "plain calls go on"


def test_an_error_event_raises_rpc_error_after_the_items(url: str) -> None:
    with RPCClient(url) as client:
        stream = client.stream.fail_after_sync(2, 4004, "no such job", {"job": "x"})
        assert [next(stream), next(stream)] == [0, 1]
        with pytest.raises(RpcError) as raised:
            next(stream)
        assert (raised.value.code, raised.value.message, raised.value.data) == (4004, "no such job", {"job": "x"})


def test_resuming_after_the_last_event_id(url: str) -> None:
    with RPCClient(url) as client:
        first = client.stream.count(4)
        assert [next(first), next(first)] == [{"done": 0, "of": 4}, {"done": 1, "of": 4}]
        first.close()  # as if the connection had dropped here
        assert list(first) == []
        resumed = client.stream_call("count", 4, last_event_id=first.last_event_id)
        assert resumed.last_event_id == "1"
        assert list(resumed) == [{"done": 2, "of": 4}, {"done": 3, "of": 4}]
        after_zero = client.stream_call("count_sync", of=3, last_event_id=0)
        assert list(after_zero) == [{"done": 1, "of": 3}, {"done": 2, "of": 3}]


@pytest.mark.parametrize("method", ["ticks", "ticks_sync"])
def test_breaking_out_of_the_loop_hangs_up_and_stops_the_procedure(url: str, method: str) -> None:
    with RPCClient(url) as client:
        key = f"break-{method}"
        for number in getattr(client.stream, method)(key, 0.02):
            if number == 2:
                break
        assert stopped(client, key) == ["started", "finally"]
        key = f"with-{method}"
        with getattr(client.stream, method)(key, 0.02) as ticks:
            assert next(ticks) == 0
        assert stopped(client, key) == ["started", "finally"]


def test_closing_an_idle_stream_stops_the_procedure(url: str) -> None:
    with RPCClient(url) as client:
        stream = client.stream.idle("closed-while-idle")
        assert next(stream) == 0
        stream.close()
        stream.close()
        assert stopped(client, "closed-while-idle") == ["started", "finally"]
        with pytest.raises(StopIteration):
            next(stream)


def test_pings_are_skipped_and_keep_a_slow_stream_within_the_timeout(url: str) -> None:
    with RPCClient(url, timeout=0.25) as client:  # an item every 0.4 s, a ping every 0.05 s
        stream = client.stream.ticks("slow", 0.4)
        assert [next(stream), next(stream)] == [0, 1]
        stream.close()


def test_a_silent_stream_past_the_timeout_is_a_transport_error(quiet_url: str) -> None:
    with RPCClient(quiet_url, timeout=0.3) as client:
        stream = client.stream.idle("silent")
        assert next(stream) == 0
        with pytest.raises(TransportError, match=r"resume it with last_event_id='0'"):
            next(stream)
        assert stopped(client, "silent") == ["started", "finally"]


def test_refusals_raise_at_the_call(url: str) -> None:
    with RPCClient(url) as client:
        with pytest.raises(RpcError) as unknown:
            client.stream.nothing_here()
        assert unknown.value.code == -32601
        with pytest.raises(RpcError) as invalid:
            client.stream.count("three")
        assert invalid.value.code == -32602
        with pytest.raises(RpcError) as refused:
            client.stream.admin.stream()
        assert (refused.value.code, refused.value.message) == (4003, "forbidden")
        with pytest.raises(TransportError, match=r"not a streaming procedure.*client\.call\('echo', \.\.\.\)"):
            client.stream.echo("x")
        with pytest.raises(RpcError) as plain:  # a streaming procedure called as a plain call
            client.count(3)
        assert plain.value.code == -32003
        with pytest.raises(TypeError, match=r"client\.call\('stream', \.\.\.\)"):
            client.stream("count")


def test_limits_reach_the_caller_as_rpc_errors(limited_url: str) -> None:
    with RPCClient(limited_url) as client:
        with client.stream.idle("holding") as holding:
            assert next(holding) == 0
            with pytest.raises(RpcError) as overloaded:
                client.stream.count(1)
            assert overloaded.value.code == -32002
        assert stopped(client, "holding") == ["started", "finally"]
        deadline = time.monotonic() + 3
        while True:  # the slot is given back once the server has seen the client leave
            try:
                stream = client.stream.idle("too-long")
                break
            except RpcError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert next(stream) == 0
        with pytest.raises(RpcError) as timeout:
            next(stream)
        assert (timeout.value.code, timeout.value.data) == (-32001, {"timeout": STREAM_SECONDS})


def one_shot_server(answer: bytes) -> tuple[str, threading.Thread]:
    """A server that answers one request with ``answer`` and hangs up: a connection that drops."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with listener, listener.accept()[0] as connection:
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(65536)
            head, _, body = request.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            while len(body) < length:
                body += connection.recv(65536)
            connection.sendall(answer)
            connection.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", thread


def test_a_dropped_connection_says_where_to_resume() -> None:
    url, thread = one_shot_server(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
        b': ping\n\nid: 41\ndata: {"a": [1,\ndata: 2]}\n\nevent: other\ndata: skipped\n\nid: 42\r\ndata: 3\r\n\r\n'
    )
    stream = RPCClient(url).stream.anything()
    assert [next(stream), next(stream)] == [{"a": [1, 2]}, 3]
    with pytest.raises(TransportError, match=r"resume it with last_event_id='42'"):
        next(stream)
    thread.join(5)


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (b'{"jsonrpc":"2.0","error":{"code":-32002,"message":"Server overloaded"},"id":null}', RpcError),
        (b"<html>oops</html>", TransportError),
    ],
)
def test_an_answer_that_is_not_a_stream(answer: bytes, raised: Any) -> None:
    head = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    url, thread = one_shot_server(head % len(answer) + answer)
    with pytest.raises(raised):
        RPCClient(url).stream.anything()
    thread.join(5)


def test_an_unreachable_server_is_a_transport_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    with pytest.raises(TransportError, match="cannot reach"):
        RPCClient(f"http://127.0.0.1:{port}").stream.count(1)
