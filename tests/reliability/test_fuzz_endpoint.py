"""Property-based tests of the sans-IO endpoint: whatever request line and headers arrive,
``receive`` decides without raising, and every reply is one of the endpoint's own.

Servers check the request line and headers before an adapter sees them, but not all alike,
and an adapter hands the endpoint what the server gave: the endpoint must not depend on it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyrpc_core import Registry
from pyrpc_core.endpoint import CORS, Accepted, Endpoint, Reply
from pyrpc_core.limits import Limits
from pyrpc_core.plugins import PluginManager

SETTINGS = settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

ORIGIN = "https://app.example"
JSON_TYPES = {"application/json", "application/json-rpc"}


def make_endpoint() -> Endpoint:
    registry = Registry()

    @registry.rpc
    def echo(text: str) -> str:
        return text

    return Endpoint(
        registry,
        plugins=PluginManager(),
        limits=Limits(max_body_bytes=1000),
        cors=CORS(allow_origins=[ORIGIN], allow_headers=["content-type", "authorization"]),
    )


ENDPOINT = make_endpoint()

latin1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)
"""What a header value can be once an adapter decoded it (ASGI and WSGI give latin-1)."""

header_values = {
    "content-type": st.sampled_from(
        ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON-RPC", "text/plain", "", ";", " ; "]
    )
    | latin1,
    "content-length": st.integers(-5, 5000).map(str) | st.sampled_from(["", " 12", "1e3", "0x10", "٣"]) | latin1,
    "origin": st.sampled_from([ORIGIN, ORIGIN + "/", "https://evil.example", "null", ""]) | latin1,
    "access-control-request-method": st.sampled_from(["POST", "GET", "DELETE", "post", ""]) | latin1,
    "access-control-request-headers": st.sampled_from(["content-type", "x-evil", ", ,", ""]) | latin1,
    "transfer-encoding": st.just("chunked"),
}


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    names = draw(st.sets(st.sampled_from(sorted(header_values))))
    return {name: draw(header_values[name]) for name in names}


methods = st.sampled_from(["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "get", ""]) | st.text(max_size=8)
paths = st.sampled_from(["/rpc", "/rpc/", "/", "", "/RPC", "/rpc?x=1"]) | st.text(max_size=12)


def check_reply(reply: Reply) -> None:
    names = [name for name, _ in reply.headers]
    assert all(name == name.lower() for name in names), names
    assert len(names) == len(set(names)), names
    assert reply.status in {200, 204, 403, 404, 405, 413, 415, 500, 503}, reply
    if reply.status == 204:
        assert reply.body == b""
    else:
        json.loads(reply.body)
        assert dict(reply.headers)["content-type"] == "application/json"
    assert reply.close == (reply.status == 413)
    origin_allowed = dict(reply.headers).get("access-control-allow-origin")
    assert origin_allowed in (None, ORIGIN)


@SETTINGS
@given(method=methods, path=paths, request_headers=headers())
def test_receive_decides_without_raising(method: str, path: str, request_headers: dict[str, str]) -> None:
    step = ENDPOINT.receive(method, path, request_headers.get)
    if isinstance(step, Reply):
        check_reply(step)
        if step.status == 415:
            assert method == "POST"
        return
    assert isinstance(step, Accepted)
    assert path == "/rpc"
    assert method in ("GET", "HEAD", "POST")
    assert step.wants_body == (method == "POST")
    assert step.head == (method == "HEAD")
    if method == "POST":
        content_type = request_headers["content-type"].partition(";")[0].strip().lower()
        assert content_type in JSON_TYPES
    assert dict(step.cors).get("access-control-allow-origin") in (None, ORIGIN)


@SETTINGS
@given(request_headers=headers(), body=st.none() | st.binary(max_size=1200), sync=st.booleans())
def test_every_accepted_request_gets_one_of_the_endpoints_replies(
    request_headers: dict[str, str], body: bytes | None, sync: bool
) -> None:
    request_headers = {**request_headers, "content-type": "application/json"}
    request_headers.pop("content-length", None)
    step = ENDPOINT.receive("POST", "/rpc", request_headers.get)
    if isinstance(step, Reply):  # the 503 of an overloaded endpoint, say
        check_reply(step)
        return
    reply: Any = ENDPOINT.respond_sync(step, body) if sync else asyncio.run(ENDPOINT.respond(step, body))
    check_reply(reply)
    assert reply.status in (200, 204, 413)
    assert (reply.status == 413) == (body is None or len(body) > 1000)
