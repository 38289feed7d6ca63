"""Declared errors (issue #16): ``RpcError`` subclasses with a fixed code and a data type, listed in
``@rpc(errors=[...])``, checked at registration, sent through their data type, and in the schema."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from pyrpc_core import Dispatcher, RegistrationError, Registry, RpcError, build_schema


class NotFoundData(BaseModel):
    user_id: int = Field(alias="userId")
    hint: str = "check the id"


class NotFound(RpcError):
    code = 4004
    message = "not found"
    data: NotFoundData


class Conflict(RpcError):
    """No data declared: anything goes, as for RpcError."""

    code = 4009


class Limit(TypedDict):
    limit: int


class TooMany(RpcError):
    code = 4029
    message = "too many"
    data: Limit | None


@dataclass
class Reason:
    why: str


class Refused(RpcError):
    code = -1
    data: Reason


def test_a_declared_error_has_its_code_message_and_data_typed() -> None:
    error = NotFound(data={"userId": 7})
    assert (error.code, error.message, error.data) == (4004, "not found", NotFoundData(userId=7))
    assert NotFound(data={"user_id": 7}, message="no user 7").message == "no user 7"  # by name too
    assert NotFound(data=NotFoundData(userId=3)).to_dict() == {
        "code": 4004,
        "message": "not found",
        "data": {"userId": 3, "hint": "check the id"},
    }
    assert repr(Conflict()) == "Conflict(code=4009, message='Conflict', data=None)"  # no message: the class name
    assert Conflict(data=[1, 2]).to_dict() == {"code": 4009, "message": "Conflict", "data": [1, 2]}
    assert isinstance(NotFound(data={"userId": 1}), RpcError)


def test_a_declared_error_refuses_another_code_and_data_that_does_not_fit() -> None:
    with pytest.raises(TypeError, match="NotFound has the fixed code 4004, not 5"):
        NotFound(code=5, data={"userId": 1})
    with pytest.raises(TypeError, match=r"NotFound\(data=...\): the data does not fit its declared type NotFoundData"):
        NotFound(data={"id": 1})
    with pytest.raises(TypeError, match="RpcError needs a code"):
        RpcError()
    with pytest.raises(TypeError, match="RpcError needs a message"):
        RpcError(code=1)


def test_rpc_error_itself_is_as_before() -> None:
    error = RpcError(code=4004, message="user not found", data={"id": 1})
    assert (error.code, error.message, error.data) == (4004, "user not found", {"id": 1})
    assert RpcError(1, "m").to_dict() == {"code": 1, "message": "m"}
    assert repr(error) == "RpcError(code=4004, message='user not found', data={'id': 1})"


def _answer(registry: Registry, method: str, params: Any = None) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params or [], "id": 1}).encode()
    dispatcher = Dispatcher(registry)
    sync = dispatcher.dispatch_sync(body)
    assert sync is not None
    assert asyncio.run(dispatcher.dispatch(body)) == sync
    return json.loads(sync)["error"]


def test_the_wire_carries_the_declared_data_by_alias_always_present() -> None:
    registry = Registry()

    @registry.rpc(errors=[NotFound, Conflict, TooMany])
    def get(id: int, which: str) -> int:
        if which == "model":
            raise NotFound(data=NotFoundData(userId=id))
        if which == "dict":
            raise NotFound(data={"user_id": id}, message=f"no user {id}")
        if which == "none":
            raise TooMany()
        if which == "conflict":
            raise Conflict(data={"anything": [1]})
        raise RpcError(code=4100, message="undeclared", data={"still": "works"})

    assert _answer(registry, "get", [7, "model"]) == {
        "code": 4004,
        "message": "not found",
        "data": {"userId": 7, "hint": "check the id"},
    }
    assert _answer(registry, "get", [8, "dict"])["data"] == {"userId": 8, "hint": "check the id"}
    assert _answer(registry, "get", [8, "dict"])["message"] == "no user 8"
    assert _answer(registry, "get", [1, "none"]) == {"code": 4029, "message": "too many", "data": None}
    assert _answer(registry, "get", [1, "conflict"]) == {
        "code": 4009,
        "message": "Conflict",
        "data": {"anything": [1]},
    }
    assert _answer(registry, "get", [1, "other"]) == {
        "code": 4100,
        "message": "undeclared",
        "data": {"still": "works"},
    }


def test_a_declared_error_raised_by_a_procedure_that_does_not_list_it_still_goes_out_typed() -> None:
    registry = Registry()

    @registry.rpc
    def get() -> int:
        raise NotFound(data={"userId": 1})

    assert _answer(registry, "get")["data"] == {"userId": 1, "hint": "check the id"}


def _refusal(errors: Any) -> str:
    registry = Registry()
    with pytest.raises(RegistrationError) as info:

        @registry.rpc(errors=errors)
        def find(id: int) -> int:
            return id

    message = str(info.value)
    assert "find" in message
    return message


class NoCode(RpcError):
    pass


class Reserved(RpcError):
    code = -32001


class Duplicate(RpcError):
    code = 4004


class Huge(RpcError):
    code = 2**53


class Plain:
    pass


class PlainData(RpcError):
    code = 4100
    data: Plain


class Unresolved(RpcError):
    code = 4101
    data: Missing  # type: ignore[name-defined]  # noqa: F821


def test_registration_refuses_what_a_client_could_not_tell_apart() -> None:
    assert "lists RpcError itself" in _refusal([RpcError])
    assert "lists <class 'int'>" in _refusal([int])
    assert "takes a list of RpcError subclasses" in _refusal(NotFound)
    assert "lists NoCode, which has no fixed code; give it one: class NoCode(RpcError): code = 4004" in _refusal(
        [NoCode]
    )
    assert "code -32001 is in the range JSON-RPC reserves (-32768..-32000)" in _refusal([Reserved])
    assert "lists NotFound and Duplicate, both with code 4004" in _refusal([NotFound, Duplicate])
    assert "whose code 9007199254740992 is beyond 2^53" in _refusal([Huge])
    assert "the data of PlainData is annotated Plain, a plain class" in _refusal([PlainData])
    assert "cannot resolve the data annotation of Unresolved" in _refusal([Unresolved])


def test_the_procedure_keeps_its_declared_errors_sorted_by_code_and_the_rest_of_its_options() -> None:
    registry = Registry()

    @registry.rpc(name="users.find", errors=[TooMany, NotFound, NotFound], idempotent=True, timeout=5)
    def find(id: int) -> int:
        return id

    procedure = registry["users.find"]
    assert procedure.errors == (NotFound, TooMany)
    assert (procedure.idempotent, procedure.timeout) == (True, 5)
    assert find(3) == 3  # unchanged


def test_the_schema_lists_declared_errors_with_their_data_in_defs() -> None:
    registry = Registry()

    @registry.rpc(name="users.get", errors=[NotFound, Conflict, TooMany, Refused])
    def get(id: int) -> int:
        return id

    @registry.rpc
    def plain(id: int) -> int:
        return id

    schema = build_schema(registry)
    assert "errors" not in schema["procedures"]["plain"]
    errors = schema["procedures"]["users.get"]["errors"]
    assert [error["code"] for error in errors] == [-1, 4004, 4009, 4029]
    by_code = {error["code"]: error for error in errors}
    assert by_code[4009] == {"code": 4009, "name": "Conflict"}
    assert by_code[4029] == {
        "code": 4029,
        "name": "TooMany",
        "message": "too many",
        "data": {"anyOf": [{"$ref": "#/$defs/Limit"}, {"type": "null"}]},
    }
    not_found = by_code[4004]
    assert not_found["name"] == "NotFound"
    assert not_found["message"] == "not found"
    ref = not_found["data"]["$ref"]
    model = schema["$defs"][ref.removeprefix("#/$defs/")]
    # Serialization mode, by alias: what goes out, every field present.
    assert model["properties"] == {"userId": {"type": "integer"}, "hint": {"type": "string", "default": "check the id"}}
    assert model["required"] == ["userId", "hint"]
    assert by_code[-1]["data"]["$ref"].removeprefix("#/$defs/") in schema["$defs"]
