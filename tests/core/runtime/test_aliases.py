"""Aliases on the wire: params are read by alias and results written by alias, as the schema names them.

The schema describes params in validation mode and results in serialization mode, both by
alias; these tests hold the dispatcher to the same names, however a model's config reads.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, computed_field
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict

from pyrpc_asgi import create_app
from pyrpc_core import Dispatcher, Registry, RPCClient, build_schema
from pyrpc_core.plugins import PluginManager


class Account(BaseModel):
    user_id: int = Field(alias="userId")
    display_name: str | None = Field(default=None, alias="displayName")


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    first_name: str
    last_seen: int | None = None

    @computed_field(alias="fullName")  # type: ignore[prop-decorator]
    @property
    def full_name(self) -> str:
        return self.first_name.title()


class Split(BaseModel):
    """Read as ``valueIn``, written as ``valueOut``."""

    value: int = Field(validation_alias="valueIn", serialization_alias="valueOut")


class Choices(BaseModel):
    code: int = Field(validation_alias=AliasChoices("theCode", "legacyCode"))


class NamesInConfig(BaseModel):
    """A config that, left to itself, would read and write the field names, not the aliases."""

    model_config = ConfigDict(validate_by_alias=False, validate_by_name=True, serialize_by_alias=False)

    user_id: int = Field(alias="userId")


@dataclass
class Box:
    item_count: Annotated[int, Field(alias="itemCount")]


class Limits(TypedDict):
    max_size: Annotated[int, Field(alias="maxSize")]


@pytest.fixture
def registry() -> Registry:
    api = Registry()

    @api.rpc
    def account(value: Account) -> Account:
        return value

    @api.rpc
    def accounts(values: list[Account], by_key: dict[str, Account | None]) -> dict[str, list[Account | None]]:
        return {"list": list(values), "dict": list(by_key.values())}

    @api.rpc
    def camel(value: Camel) -> Camel:
        return value

    @api.rpc
    def split(value: Split) -> Split:
        return value

    @api.rpc
    def choices(value: Choices) -> Choices:
        return value

    @api.rpc
    def names_in_config(value: NamesInConfig) -> NamesInConfig:
        return value

    @api.rpc
    def shapes(box: Box, limits: Limits) -> tuple[Box, Limits]:
        return box, limits

    @api.rpc
    def window(size: int, from_: Annotated[int, Field(alias="from")] = 0) -> list[int]:
        return list(range(from_, from_ + size))

    @api.rpc
    def from_dict(by_alias: bool) -> Account:
        # A dict of the procedure's own making: either spelling of the keys is fine.
        return {"userId": 1} if by_alias else {"user_id": 1}  # type: ignore[return-value]

    return api


@pytest.fixture(params=["async", "sync"])
def call(request: pytest.FixtureRequest, registry: Registry) -> Callable[..., Any]:
    """Call a procedure through the dispatcher; its answer (``result`` or ``error``), parsed."""
    dispatcher = Dispatcher(registry)

    def send(method: str, *args: Any, **kwargs: Any) -> Any:
        params = list(args) if args else kwargs
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).encode()
        answer = asyncio.run(dispatcher.dispatch(body)) if request.param == "async" else dispatcher.dispatch_sync(body)
        assert answer is not None
        return json.loads(answer)

    return send


def result(answer: Any) -> Any:
    assert "result" in answer, answer
    return answer["result"]


def refused(answer: Any) -> list[str]:
    """The locations pydantic named in a -32602 answer, as dotted strings."""
    assert answer["error"]["code"] == -32602, answer
    return [".".join(str(part) for part in error["loc"]) for error in answer["error"]["data"]]


def test_a_field_alias_is_the_name_both_ways(call: Callable[..., Any]) -> None:
    assert result(call("account", value={"userId": 7})) == {"userId": 7, "displayName": None}
    assert refused(call("account", value={"user_id": 7})) == ["value.userId"]


def test_an_aliased_parameter_is_named_by_its_alias_and_placed_by_its_position(call: Callable[..., Any]) -> None:
    assert result(call("window", size=2, **{"from": 5})) == [5, 6]
    assert result(call("window", 2, 5)) == [5, 6]
    assert refused(call("window", size=2, from_=5)) == ["from_"]


def test_aliases_hold_inside_lists_dicts_and_optionals(call: Callable[..., Any]) -> None:
    answer = call("accounts", values=[{"userId": 1}], by_key={"a": {"userId": 2, "displayName": "B"}, "b": None})
    assert result(answer) == {
        "list": [{"userId": 1, "displayName": None}],
        "dict": [{"userId": 2, "displayName": "B"}, None],
    }


def test_populate_by_name_reads_both_and_writes_the_alias(call: Callable[..., Any]) -> None:
    expected = {"firstName": "ann", "lastSeen": None, "fullName": "Ann"}
    assert result(call("camel", value={"firstName": "ann"})) == expected
    assert result(call("camel", value={"first_name": "ann"})) == expected


def test_validation_and_serialization_aliases_each_on_their_side(call: Callable[..., Any]) -> None:
    assert result(call("split", value={"valueIn": 3})) == {"valueOut": 3}
    assert refused(call("split", value={"valueOut": 3})) == ["value.valueIn"]
    assert result(call("choices", value={"legacyCode": 4})) == {"code": 4}


def test_the_aliases_win_over_a_config_that_would_use_names(call: Callable[..., Any]) -> None:
    assert result(call("names_in_config", value={"userId": 5})) == {"userId": 5}
    assert result(call("names_in_config", value={"user_id": 5})) == {"userId": 5}  # validate_by_name


def test_dataclass_and_typeddict_fields_go_by_alias(call: Callable[..., Any]) -> None:
    assert result(call("shapes", box={"itemCount": 2}, limits={"maxSize": 9})) == [{"itemCount": 2}, {"maxSize": 9}]


def test_a_dict_returned_for_a_model_may_use_either_name(call: Callable[..., Any]) -> None:
    assert result(call("from_dict", by_alias=True)) == {"userId": 1, "displayName": None}
    assert result(call("from_dict", by_alias=False)) == {"userId": 1, "displayName": None}


def test_the_schema_names_what_the_wire_carries(registry: Registry) -> None:
    document = build_schema(registry, PluginManager())

    def properties(procedure: str, side: str) -> list[str]:
        """The property names of the model a procedure takes as ``value`` (params) or returns (result)."""
        entry = document["procedures"][procedure]
        schema = entry["params"]["properties"]["value"] if side == "params" else entry["result"]
        return list(document["$defs"][schema["$ref"].removeprefix("#/$defs/")]["properties"])

    assert properties("split", "params") == ["valueIn"]
    assert properties("split", "result") == ["valueOut"]
    assert properties("camel", "result") == ["firstName", "lastSeen", "fullName"]
    assert properties("names_in_config", "params") == properties("names_in_config", "result") == ["userId"]
    assert list(document["procedures"]["window"]["params"]["properties"]) == ["size", "from"]


def test_streamed_items_and_the_python_client_use_aliases(serve_asgi: Callable[[Any], str]) -> None:
    api = Registry()

    @api.rpc
    def account(value: Account) -> Account:
        return value

    @api.rpc
    async def accounts(count: int) -> AsyncIterator[Account]:
        for number in range(count):
            yield Account(userId=number)

    with RPCClient(serve_asgi(create_app(api))) as client:
        # The client writes a model argument by alias, as the server reads it.
        assert client.account(Account(userId=3, displayName="C")) == {"userId": 3, "displayName": "C"}
        with client.stream.accounts(2) as items:
            assert list(items) == [{"userId": 0, "displayName": None}, {"userId": 1, "displayName": None}]
