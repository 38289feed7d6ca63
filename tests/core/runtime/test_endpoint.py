"""The sans-IO HTTP endpoint, in process: every branch of ``receive`` and ``respond``.

No server and no framework: a request is a method, a path and a header reader; what comes
back is a finished ``Reply`` or an ``Accepted`` request, which ``respond`` (event loop) or
``respond_sync`` (worker thread) turns into the reply an adapter sends as it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from pyrpc_core import Context, Headers, Procedure, Registry, RpcError
from pyrpc_core.endpoint import (
    CORS,
    DISCOVER_PROCEDURE,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    Accepted,
    Endpoint,
    Options,
    Reply,
)
from pyrpc_core.limits import Limits
from pyrpc_core.plugins import PluginManager
from pyrpc_core.schema import build_schema

ALLOW = "GET, HEAD, POST, OPTIONS"
ORIGIN = "https://app.example"
JSON = {"Content-Type": "application/json"}
CALL = b'{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":1}'
NOTIFICATION = b'{"jsonrpc":"2.0","method":"subtract","params":[5,3]}'


def make_registry() -> Registry:
    registry = Registry()

    @registry.rpc
    def subtract(minuend: int, subtrahend: int) -> int:
        return minuend - subtrahend

    return registry


def make_endpoint(registry: Registry | None = None, **options: Any) -> Endpoint:
    """An endpoint with no plugins at all, so that nothing installed changes what it answers."""
    return Endpoint(registry if registry is not None else make_registry(), plugins=PluginManager(), **options)


def reader(headers: Mapping[str, str] | None = None) -> Callable[[str], str | None]:
    """The header reader an adapter gives ``receive``: lower-case names, None when absent."""
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    return lowered.get


def receive(endpoint: Endpoint, method: str, headers: Mapping[str, str] | None = None, path: str = "/rpc") -> Any:
    return endpoint.receive(method, path, reader(headers))


def answer(endpoint: Endpoint, step: Accepted, body: bytes | None, context: Any = None, *, sync: bool) -> Reply:
    """``respond_sync`` or ``respond`` (on a fresh event loop)."""
    if sync:
        return endpoint.respond_sync(step, body, context)
    return asyncio.run(endpoint.respond(step, body, context))


def header_dict(reply: Reply) -> dict[str, str]:
    names = [name for name, _ in reply.headers]
    assert all(name == name.lower() for name in names), names  # adapters send them as they are
    assert len(names) == len(set(names)), names
    return dict(reply.headers)


def json_error(reply: Reply) -> dict[str, Any]:
    """The JSON-RPC error a refusal carries; id is always null (no request was read)."""
    assert header_dict(reply)["content-type"] == "application/json"
    document = json.loads(reply.body)
    assert document["jsonrpc"] == "2.0"
    assert document["id"] is None
    assert set(document) == {"jsonrpc", "error", "id"}
    error: dict[str, Any] = document["error"]
    return error


@pytest.fixture(params=["async", "sync"])
def sync(request: pytest.FixtureRequest) -> bool:
    """Run a ``respond`` test through ``respond`` and through ``respond_sync``."""
    return bool(request.param == "sync")


# -- paths and methods --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/rpc/", "/rpc/extra", "/RPC", "/rp", ""])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "OPTIONS"])
def test_other_paths_are_404(path: str, method: str) -> None:
    reply = receive(make_endpoint(), method, JSON, path=path)
    assert reply is NOT_FOUND
    assert (reply.status, json.loads(reply.body), header_dict(reply)) == (
        404,
        {"detail": "Not Found"},
        {"content-type": "application/json"},
    )


def test_the_endpoint_serves_its_own_path() -> None:
    endpoint = make_endpoint(path="/api/v1/rpc")
    assert endpoint.path == "/api/v1/rpc"
    assert receive(endpoint, "POST", JSON) is NOT_FOUND
    assert isinstance(receive(endpoint, "POST", JSON, path="/api/v1/rpc"), Accepted)
    assert "/api/v1/rpc" in repr(endpoint)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "post", "get"])
def test_other_methods_are_405_with_allow(method: str) -> None:
    reply = receive(make_endpoint(), method, JSON)
    assert reply is METHOD_NOT_ALLOWED
    assert reply.status == 405
    assert json.loads(reply.body) == {"detail": "Method Not Allowed"}
    assert header_dict(reply) == {"content-type": "application/json", "allow": ALLOW}


def test_options_without_a_preflight_is_204_with_allow() -> None:
    for headers in ({}, {"Origin": ORIGIN}, {"Access-Control-Request-Method": "POST"}):
        reply = receive(make_endpoint(), "OPTIONS", headers)
        assert isinstance(reply, Reply)
        assert (reply.status, reply.body, reply.headers, reply.close) == (204, b"", (("allow", ALLOW),), False)


# -- POST: the content type -----------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
        " application/json ; charset=utf-8",
        "application/json-rpc",
        "application/json-rpc; charset=utf-8",
    ],
)
def test_post_with_a_json_content_type_is_accepted(content_type: str) -> None:
    step = receive(make_endpoint(), "POST", {"Content-Type": content_type})
    assert step == Accepted(wants_body=True)
    assert (step.head, step.cors) == (False, ())


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=----x",
        "application/xml",
        "application/jsonp",
        "application/json5",
        "json",
        "*/*",
        "",
    ],
)
def test_post_with_another_content_type_is_415(content_type: str) -> None:
    reply = receive(make_endpoint(), "POST", {"Content-Type": content_type, "Content-Length": "10"})
    assert isinstance(reply, Reply)
    assert (reply.status, reply.close) == (415, False)
    error = json_error(reply)
    assert error["code"] == -32600
    assert "application/json" in error["message"]
    if content_type:
        assert repr(content_type) in error["message"]  # says what was sent


def test_post_without_a_content_type_is_415() -> None:
    reply = receive(make_endpoint(), "POST", {"Content-Length": "10"})
    assert isinstance(reply, Reply)
    assert reply.status == 415
    error = json_error(reply)
    assert error["code"] == -32600
    assert "no Content-Type" in error["message"]


def test_the_content_type_is_checked_before_the_length() -> None:
    endpoint = make_endpoint(limits=Limits(max_body_bytes=10))
    reply = receive(endpoint, "POST", {"Content-Type": "text/plain", "Content-Length": "11"})
    assert reply.status == 415


# -- POST: the body size ----------------------------------------------------------------------


def test_content_length_over_the_limit_is_413_and_closes() -> None:
    endpoint = make_endpoint(limits=Limits(max_body_bytes=100))
    assert endpoint.max_body_bytes == 100
    reply = receive(endpoint, "POST", {**JSON, "Content-Length": "101"})
    assert isinstance(reply, Reply)
    assert (reply.status, reply.close) == (413, True)  # the body is left unread: the connection cannot go on
    error = json_error(reply)
    assert error["code"] == -32600
    assert error["data"] == {"limit": "max_body_bytes", "max": 100}
    assert "max_body_bytes" in error["message"]


def test_content_length_at_the_limit_is_accepted() -> None:
    endpoint = make_endpoint(limits=Limits(max_body_bytes=100))
    assert receive(endpoint, "POST", {**JSON, "Content-Length": "100"}) == Accepted(wants_body=True)
    assert receive(endpoint, "POST", {**JSON, "Content-Length": "0"}) == Accepted(wants_body=True)


@pytest.mark.parametrize("length", ["", "-1", " 12", "1e3", "0x10", "abc"])
def test_a_content_length_that_is_not_a_number_is_left_to_the_server(length: str) -> None:
    step = receive(make_endpoint(limits=Limits(max_body_bytes=100)), "POST", {**JSON, "Content-Length": length})
    assert step == Accepted(wants_body=True)  # the body read decides, at most max_body_bytes of it


@pytest.mark.parametrize(
    "length",
    [
        pytest.param("\u00b2", id="superscript two"),
        pytest.param("\u00b9\u00b2", id="superscript twelve"),
        pytest.param("9" * 5000, id="5000 digits"),
    ],
)
def test_a_content_length_that_isdigit_but_not_int_does_not_raise(length: str) -> None:
    """Bug: ``receive`` checks ``length.isdigit()`` and then calls ``int(length)``, which raises
    ValueError for superscript digits ("²", which ``isdigit`` accepts) and for more than 4300
    digits (Python's limit on int conversion). It should decide (413, or leave it to the read)."""
    step = receive(make_endpoint(limits=Limits(max_body_bytes=100)), "POST", {**JSON, "Content-Length": length})
    assert step == Accepted(wants_body=True) or step.status == 413


def test_the_default_body_limit_is_the_default_limits() -> None:
    endpoint = make_endpoint()
    assert endpoint.max_body_bytes == Limits().max_body_bytes
    too_long = str(Limits().max_body_bytes + 1)
    assert receive(endpoint, "POST", {**JSON, "Content-Length": too_long}).status == 413


def test_a_body_too_large_to_read_is_413_and_closes(sync: bool) -> None:
    """A chunked body (no Content-Length) that went past the limit: the adapter passes None."""
    endpoint = make_endpoint(limits=Limits(max_body_bytes=100))
    step = receive(endpoint, "POST", {**JSON, "Transfer-Encoding": "chunked"})
    assert step == Accepted(wants_body=True)
    reply = answer(endpoint, step, None, sync=sync)
    assert (reply.status, reply.close) == (413, True)
    assert json_error(reply)["data"] == {"limit": "max_body_bytes", "max": 100}


# -- POST: the answers --------------------------------------------------------------------------


def test_a_call_is_answered_with_200_json(sync: bool) -> None:
    endpoint = make_endpoint()
    reply = answer(endpoint, receive(endpoint, "POST", JSON), CALL, sync=sync)
    assert (reply.status, reply.body, reply.close) == (200, b'{"jsonrpc":"2.0","result":2,"id":1}', False)
    assert header_dict(reply) == {"content-type": "application/json"}


def test_errors_are_200_too(sync: bool) -> None:
    endpoint = make_endpoint()
    reply = answer(endpoint, receive(endpoint, "POST", JSON), b"{nope", sync=sync)
    assert reply.status == 200
    assert json.loads(reply.body)["error"]["code"] == -32700


def test_notifications_are_204_with_no_body_and_no_content_type(sync: bool) -> None:
    endpoint = make_endpoint()
    for body in (NOTIFICATION, b"[" + NOTIFICATION + b"," + NOTIFICATION + b"]"):
        reply = answer(endpoint, receive(endpoint, "POST", JSON), body, sync=sync)
        assert (reply.status, reply.body, reply.headers, reply.close) == (204, b"", (), False)


def test_the_context_reaches_procedures_made_only_when_needed(sync: bool) -> None:
    registry = make_registry()

    @registry.rpc
    def who(ctx: Context) -> str | None:
        return ctx.headers.get("x-user")

    endpoint = make_endpoint(registry)
    made: list[Context] = []

    def make() -> Context:
        made.append(Context(headers=Headers({"X-User": "ada"})))
        return made[-1]

    step = receive(endpoint, "POST", JSON)
    assert answer(endpoint, step, CALL, make, sync=sync).status == 200
    assert made == []  # subtract takes no Context and there is no guard
    reply = answer(endpoint, step, b'{"jsonrpc":"2.0","method":"who","id":2}', make, sync=sync)
    assert json.loads(reply.body)["result"] == "ada"
    assert len(made) == 1


# -- GET and HEAD: introspection ------------------------------------------------------------


def test_get_serves_the_introspection_document(sync: bool) -> None:
    registry = make_registry()
    endpoint = make_endpoint(registry)
    step = receive(endpoint, "GET")
    assert step == Accepted(wants_body=False)
    reply = answer(endpoint, step, b"", sync=sync)
    assert (reply.status, reply.close) == (200, False)
    assert header_dict(reply) == {"content-type": "application/json"}
    assert reply.body == endpoint.schema_json()
    limits = {"max_batch": endpoint.limits.max_batch, "max_body_bytes": endpoint.limits.max_body_bytes}
    assert json.loads(reply.body) == {**build_schema(registry, PluginManager()), "limits": limits} == endpoint.schema()


def test_head_is_get_without_the_body(sync: bool) -> None:
    endpoint = make_endpoint()
    step = receive(endpoint, "HEAD")
    assert step == Accepted(wants_body=False, head=True)
    reply = answer(endpoint, step, b"", sync=sync)
    # The reply keeps its body, so that the adapter can send its length; the adapter sends no body.
    assert (reply.status, reply.body) == (200, endpoint.schema_json())


def test_introspection_off_is_404_for_get_and_head_and_calls_go_on(sync: bool) -> None:
    endpoint = make_endpoint(introspection=False)
    for method in ("GET", "HEAD"):
        assert receive(endpoint, method) is NOT_FOUND
    reply = answer(endpoint, receive(endpoint, "POST", JSON), CALL, sync=sync)
    assert reply.body == b'{"jsonrpc":"2.0","result":2,"id":1}'


def test_a_guard_sees_introspection_as_rpc_discover(sync: bool) -> None:
    registry = make_registry()
    seen: list[tuple[Procedure, Context]] = []

    @registry.guard
    def record(procedure: Procedure, ctx: Context) -> None:
        seen.append((procedure, ctx))

    endpoint = make_endpoint(registry)
    context = Context()
    assert answer(endpoint, receive(endpoint, "GET"), b"", context, sync=sync).status == 200
    assert seen == [(DISCOVER_PROCEDURE, context)]
    assert DISCOVER_PROCEDURE.name == "rpc.discover"
    assert registry.get("rpc.discover") is None
    assert "rpc.discover" not in endpoint.schema()["procedures"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_guard_refusing_introspection_is_403(sync: bool, kind: str) -> None:
    registry = make_registry()

    def refuse(procedure: Procedure, ctx: Context) -> None:
        if procedure.name == "rpc.discover" and ctx.headers.get("authorization") != "Bearer ok":
            raise RpcError(4003, "introspection needs a token", {"hint": "log in"})

    async def refuse_async(procedure: Procedure, ctx: Context) -> None:
        await asyncio.sleep(0)
        refuse(procedure, ctx)

    registry.guard(refuse if kind == "sync" else refuse_async)
    endpoint = make_endpoint(registry)
    for method in ("GET", "HEAD"):
        reply = answer(endpoint, receive(endpoint, method), b"", Context(), sync=sync)
        assert reply.status == 403
        assert json_error(reply) == {"code": 4003, "message": "introspection needs a token", "data": {"hint": "log in"}}
    allowed = Context(headers=Headers({"Authorization": "Bearer ok"}))
    assert answer(endpoint, receive(endpoint, "GET"), b"", allowed, sync=sync).status == 200
    # Only introspection is guarded: calls go on.
    assert answer(endpoint, receive(endpoint, "POST", JSON), CALL, Context(), sync=sync).status == 200


def test_a_guard_failing_on_introspection_is_500_with_a_request_id(
    sync: bool, caplog: pytest.LogCaptureFixture
) -> None:
    registry = make_registry()

    @registry.guard
    def broken(procedure: Procedure, ctx: Context) -> None:
        raise OSError("/srv/secret/path.py")

    endpoint = make_endpoint(registry)
    with caplog.at_level(logging.ERROR, logger="pyrpc"):
        reply = answer(endpoint, receive(endpoint, "GET"), b"", sync=sync)
    assert reply.status == 500
    error = json_error(reply)
    assert (error["code"], error["message"], set(error["data"])) == (-32603, "Internal error", {"request_id"})
    assert b"secret" not in reply.body
    assert error["data"]["request_id"] in caplog.text
    assert "introspection" in caplog.text


def test_an_rpc_error_whose_data_is_not_json_is_500(sync: bool) -> None:
    registry = make_registry()

    @registry.guard
    def refuse(procedure: Procedure, ctx: Context) -> None:
        cycle: list[Any] = []
        cycle.append(cycle)
        raise RpcError(4003, "refused", cycle)

    endpoint = make_endpoint(registry)
    reply = answer(endpoint, receive(endpoint, "GET"), b"", sync=sync)
    assert reply.status == 500
    assert json_error(reply)["code"] == -32603


def test_debug_puts_the_introspection_failure_into_the_answer(sync: bool) -> None:
    registry = make_registry()

    @registry.guard
    def broken(procedure: Procedure, ctx: Context) -> None:
        raise OSError("disk on fire")

    endpoint = make_endpoint(registry, debug=True)
    data = json_error(answer(endpoint, receive(endpoint, "GET"), b"", sync=sync))["data"]
    assert (data["type"], data["message"]) == ("OSError", "disk on fire")


def test_the_document_is_cached_until_the_registry_changes() -> None:
    registry = make_registry()
    endpoint = make_endpoint(registry)
    first = endpoint.schema_json()
    assert endpoint.schema_json() is first  # not rebuilt
    assert list(endpoint.schema()["procedures"]) == ["subtract"]

    @registry.rpc
    def later() -> None:
        pass

    assert endpoint.schema_json() is not first
    assert sorted(endpoint.schema()["procedures"]) == ["later", "subtract"]


def test_the_document_has_the_plugins_amendments() -> None:
    from pyrpc_core import hookimpl

    class Stamp:
        @hookimpl
        def pyrpc_amend_schema(self, schema: dict[str, Any], registry: Registry) -> None:
            schema["x-stamp"] = "amended"

    plugins = PluginManager()
    plugins.register(Stamp())
    endpoint = Endpoint(make_registry(), plugins=plugins)
    assert endpoint.schema()["x-stamp"] == "amended"
    assert json.loads(endpoint.schema_json())["x-stamp"] == "amended"


# -- CORS ---------------------------------------------------------------------------------------

CORS_OPTIONS = CORS(
    allow_origins=[ORIGIN],
    allow_headers=["authorization", "content-type", "x-role"],
    expose_headers=["x-request-id"],
    max_age=300,
)


def cors_endpoint(registry: Registry | None = None, **options: Any) -> Endpoint:
    return make_endpoint(registry, cors=CORS_OPTIONS, **options)


def preflight(endpoint: Endpoint, origin: str, method: str = "POST", headers: str | None = "content-type") -> Reply:
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        asked["Access-Control-Request-Headers"] = headers
    reply = receive(endpoint, "OPTIONS", asked)
    assert isinstance(reply, Reply)
    return reply


def test_a_preflight_of_an_allowed_origin_is_204_with_the_allow_headers() -> None:
    reply = preflight(cors_endpoint(), ORIGIN, headers="Content-Type, Authorization, X-Role")
    assert (reply.status, reply.body) == (204, b"")
    assert header_dict(reply) == {
        "access-control-allow-origin": ORIGIN,
        "vary": "Origin",
        "access-control-expose-headers": "x-request-id",
        "access-control-allow-methods": "GET, POST",
        "access-control-max-age": "300",
        "access-control-allow-headers": "authorization, content-type, x-role",
    }


def test_a_preflight_may_ask_for_safelisted_headers_and_none() -> None:
    assert preflight(cors_endpoint(), ORIGIN, headers="accept, accept-language, content-language").status == 204
    assert preflight(cors_endpoint(), ORIGIN, headers=None).status == 204
    assert preflight(cors_endpoint(), ORIGIN, method="GET").status == 204


@pytest.mark.parametrize(
    ("origin", "method", "headers", "reason"),
    [
        ("https://evil.example", "POST", "content-type", "origin"),
        (ORIGIN + ".evil.example", "POST", "content-type", "origin"),
        ("http://app.example", "POST", "content-type", "origin"),
        ("null", "POST", "content-type", "origin"),
        (ORIGIN, "DELETE", "content-type", "method"),
        (ORIGIN, "PUT", "content-type", "method"),
        (ORIGIN, "POST", "content-type, x-not-allowed", "header"),
    ],
)
def test_a_preflight_is_refused_with_403_and_no_allow_headers(
    origin: str, method: str, headers: str, reason: str
) -> None:
    reply = preflight(cors_endpoint(), origin, method, headers)
    assert reply.status == 403
    assert not any(name.startswith("access-control-") for name, _ in reply.headers)
    assert reason in json.loads(reply.body)["detail"]


def test_without_cors_a_preflight_is_plain_options() -> None:
    reply = preflight(make_endpoint(), ORIGIN)
    assert (reply.status, reply.headers) == (204, (("allow", ALLOW),))


def test_any_origin() -> None:
    endpoint = make_endpoint(cors=CORS(allow_origins=["*"], allow_headers=["*"]))
    reply = preflight(endpoint, "https://anyone.example", headers="x-anything, x-else")
    assert reply.status == 204
    headers = header_dict(reply)
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-headers"] == "x-anything, x-else"  # "*" echoes what was asked
    assert headers["vary"] == "Origin"
    call = receive(endpoint, "POST", {**JSON, "Origin": "https://anyone.example"})
    assert call.cors == (("access-control-allow-origin", "*"),)  # the same for every origin: no Vary


def test_credentials_name_the_origin() -> None:
    endpoint = make_endpoint(cors=CORS(allow_origins=[ORIGIN + "/"], allow_credentials=True))
    step = receive(endpoint, "POST", {**JSON, "Origin": ORIGIN})
    assert dict(step.cors) == {
        "access-control-allow-origin": ORIGIN,
        "vary": "Origin",
        "access-control-allow-credentials": "true",
    }
    assert header_dict(preflight(endpoint, ORIGIN))["access-control-allow-credentials"] == "true"


def test_cors_settings_are_checked() -> None:
    with pytest.raises(TypeError, match="list of origins"):
        CORS(allow_origins=ORIGIN)
    with pytest.raises(ValueError, match="allow_credentials"):
        CORS(allow_origins=["*"], allow_credentials=True)
    with pytest.raises(ValueError, match="max_age"):
        CORS(allow_origins=[ORIGIN], max_age=-1)
    settings = CORS(allow_origins=[ORIGIN], allow_methods=["post"])
    assert hash(settings) == hash(CORS(allow_origins=[ORIGIN], allow_methods=["post"]))  # frozen, hashable
    assert settings.allow_origins == (ORIGIN,)
    assert preflight(make_endpoint(cors=settings), ORIGIN, "POST").status == 204  # methods by any case


def test_cors_headers_for_and_preflight_directly() -> None:
    assert CORS_OPTIONS.headers_for(None) == ()
    assert CORS_OPTIONS.headers_for("https://evil.example") == ()
    assert CORS_OPTIONS.allows(ORIGIN)
    assert not CORS_OPTIONS.allows("https://evil.example")
    assert CORS_OPTIONS.preflight(ORIGIN, "post", None).status == 204
    assert CORS_OPTIONS.preflight("https://evil.example", "POST", None).status == 403


def all_replies(endpoint: Endpoint, headers: Mapping[str, str], *, sync: bool) -> dict[str, Reply]:
    """One reply of every kind the endpoint gives, for a request carrying ``headers``."""
    replies: dict[str, Reply] = {}
    replies["415"] = receive(endpoint, "POST", {**headers, "Content-Type": "text/plain"})
    too_long = str(endpoint.max_body_bytes + 1)
    replies["413 from Content-Length"] = receive(endpoint, "POST", {**headers, **JSON, "Content-Length": too_long})
    call = receive(endpoint, "POST", {**headers, **JSON})
    replies["413 from the body"] = answer(endpoint, call, None, sync=sync)
    replies["200 call"] = answer(endpoint, call, CALL, Context(headers=Headers(headers)), sync=sync)
    replies["204 notification"] = answer(endpoint, call, NOTIFICATION, sync=sync)
    replies["405"] = receive(endpoint, "PUT", headers)
    replies["204 OPTIONS"] = receive(endpoint, "OPTIONS", headers)
    for method in ("GET", "HEAD"):
        step = receive(endpoint, method, headers)
        if isinstance(step, Reply):
            replies[f"{method} {step.status}"] = step
        else:
            reply = answer(endpoint, step, b"", Context(headers=Headers(headers)), sync=sync)
            replies[f"{method} {reply.status}"] = reply
    return replies


def guarded_registry(outcome: str) -> Registry:
    registry = make_registry()

    @registry.guard
    def introspection(procedure: Procedure, ctx: Context) -> None:
        if procedure.name == "rpc.discover" and outcome == "403":
            raise RpcError(4003, "no")
        if procedure.name == "rpc.discover" and outcome == "500":
            raise RuntimeError("broken guard")

    return registry


@pytest.mark.parametrize(
    ("options", "introspection_status"),
    [
        ({}, 200),
        ({"introspection": False}, 404),
        ({"registry": "403"}, 403),
        ({"registry": "500"}, 500),
    ],
)
def test_cors_headers_are_on_every_reply_to_an_allowed_origin(
    sync: bool, options: dict[str, Any], introspection_status: int
) -> None:
    options = dict(options)  # the parameters are shared by the runs
    registry = guarded_registry(options.pop("registry", ""))
    endpoint = cors_endpoint(registry, limits=Limits(max_body_bytes=1000), **options)
    logging.disable(logging.ERROR)  # the 500 logs its traceback on purpose
    try:
        replies = all_replies(endpoint, {"Origin": ORIGIN}, sync=sync)
    finally:
        logging.disable(logging.NOTSET)
    statuses = {name: reply.status for name, reply in replies.items()}
    assert statuses == {
        "415": 415,
        "413 from Content-Length": 413,
        "413 from the body": 413,
        "200 call": 200,
        "204 notification": 204,
        "405": 405,
        "204 OPTIONS": 204,
        f"GET {introspection_status}": introspection_status,
        f"HEAD {introspection_status}": introspection_status,
    }
    for name, reply in replies.items():
        headers = header_dict(reply)
        assert headers.get("access-control-allow-origin") == ORIGIN, name
        assert headers.get("access-control-expose-headers") == "x-request-id", name
        assert headers.get("vary") == "Origin", name
    assert replies["413 from Content-Length"].close
    assert replies["413 from the body"].close


def test_no_cors_headers_for_other_origins_or_without_an_origin(sync: bool) -> None:
    endpoint = cors_endpoint(limits=Limits(max_body_bytes=1000))
    for headers in ({"Origin": "https://evil.example"}, {}):
        for name, reply in all_replies(endpoint, headers, sync=sync).items():
            assert not any(header.startswith("access-control-") for header, _ in reply.headers), name


def test_cors_is_off_unless_configured(sync: bool) -> None:
    endpoint = make_endpoint(limits=Limits(max_body_bytes=1000))
    assert endpoint.cors is None
    for name, reply in all_replies(endpoint, {"Origin": ORIGIN}, sync=sync).items():
        assert not any(header.startswith("access-control-") for header, _ in reply.headers), name


def test_the_404_of_another_path_is_not_the_endpoints_and_has_no_cors() -> None:
    assert receive(cors_endpoint(), "GET", {"Origin": ORIGIN}, path="/elsewhere") is NOT_FOUND


# -- the options --------------------------------------------------------------------------------


def test_the_options_are_the_endpoints_keywords() -> None:
    assert set(Options.__optional_keys__) == {"debug", "limits", "introspection", "cors", "plugins"}
    options: Options = {"debug": True, "limits": Limits(max_batch=3), "introspection": False, "cors": CORS_OPTIONS}
    endpoint = Endpoint(make_registry(), "/x", plugins=PluginManager(), **options)
    assert endpoint.dispatcher.debug is True
    assert endpoint.dispatcher.limits == Limits(max_batch=3)
    assert (endpoint.introspection, endpoint.cors, endpoint.path) == (False, CORS_OPTIONS, "/x")


def test_without_plugins_given_the_installed_ones_are_used() -> None:
    from pyrpc_core.plugins import get_plugin_manager

    assert Endpoint(make_registry()).plugins is get_plugin_manager()
