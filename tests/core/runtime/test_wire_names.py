"""Names no client can serve are refused at registration, naming the function, the segment and the way out."""

from __future__ import annotations

import pytest

from pyrpc_core import RegistrationError, Registry


def _ping() -> None: ...


@pytest.mark.parametrize(
    ("name", "segment", "why"),
    [
        ("then", "then", "thenable"),
        ("users.then", "then", "thenable"),
        ("then.users", "then", "thenable"),
        ("toJSON", "toJSON", "JSON.stringify"),
        ("audit.toJSON", "toJSON", "JSON.stringify"),
        ("$call", "$call", "helpers"),
        ("users.$get", "$get", "helpers"),
    ],
)
def test_a_segment_no_client_can_serve_is_refused(name: str, segment: str, why: str) -> None:
    registry = Registry()
    with pytest.raises(RegistrationError) as raised:
        registry.rpc(name=name)(_ping)
    message = str(raised.value)
    assert f"cannot be named {name!r}" in message
    assert f"segment {segment!r}" in message
    assert why in message
    assert "@rpc(name=...)" in message
    assert "_ping" in message
    assert __file__ in message
    assert name not in registry


def test_a_function_named_then_is_refused_without_an_explicit_name() -> None:
    def then() -> None: ...

    with pytest.raises(RegistrationError, match=r"cannot be named 'then'.*thenable"):
        Registry().rpc(then)


@pytest.mark.parametrize(
    "name",
    # Every one of these works through the TypeScript proxy (tested in node: client.test.mjs).
    [
        "constructor",
        "toString",
        "valueOf",
        "__proto__",
        "prototype",
        "users.call",
        "users.apply",
        "users.bind",
        "hasOwnProperty",
        "then_",
        "thenable",
        "a$b",
        "users.toString",
    ],
)
def test_names_the_client_can_serve_are_taken(name: str) -> None:
    registry = Registry()
    registry.rpc(name=name)(_ping)
    assert name in registry


def test_the_rpc_prefix_is_still_reserved_by_json_rpc() -> None:
    with pytest.raises(RegistrationError, match=r"JSON-RPC reserves method names that start with 'rpc\.'"):
        Registry().rpc(name="rpc.discover")(_ping)
