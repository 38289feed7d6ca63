"""``BigInt``: an int in Python, a string of digits on the wire and in the schema (issue #16, big integers)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from pyrpc_asgi import create_app
from pyrpc_core import BigInt, Dispatcher, Registry, build_schema
from pyrpc_core.bigint import BIGINT_PATTERN
from pyrpc_core.plugins import PluginManager
from pyrpc_core.testing import post, serve_asgi

BIG = 2**63 + 1  # 9223372036854775809; as a float64 (a JavaScript number) it is ...808
STRING = {"type": "string", "pattern": BIGINT_PATTERN, "format": "bigint"}
adapter: TypeAdapter[int] = TypeAdapter(BigInt)


class Ledger(BaseModel):
    id: BigInt
    history: list[BigInt] = []
    by_day: dict[str, BigInt] = {}
    limit: BigInt | None = None
    balance: BigInt = 0
    entries: int = 0


@dataclass
class Row:
    id: BigInt


class Keyed(TypedDict):
    id: BigInt


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (0, 0),
        (-7, -7),
        (BIG, BIG),
        ("0", 0),
        ("-0", 0),
        ("12", 12),
        ("-12", -12),
        (str(BIG), BIG),
        ("1" * 200, int("1" * 200)),
    ],
)
def test_reads_ints_and_strings_of_digits(given: Any, expected: int) -> None:
    value = adapter.validate_python(given)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    "given",
    [1.0, 1.5, True, False, None, "", "-", "+1", " 12", "12 ", "12\n", "012", "-01", "1e3", "1.0", "1_000", "0x10",
     "\uff11\uff12", "\u0661\u0662", "12a", [1], {"a": 1}],
)  # fmt: skip
def test_refuses_floats_booleans_and_other_strings(given: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(given)
    assert caught.value.errors()[0]["type"] == "bigint_type"


def test_refuses_json_floats_and_exponents() -> None:
    assert adapter.validate_json(str(BIG)) == BIG  # a JSON integer of any size (a Python client sends those)
    for text in ["1e3", "1.0", "9223372036854775809.0", '" 1"']:
        with pytest.raises(ValidationError):
            adapter.validate_json(text)


def test_more_digits_than_python_converts_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python("9" * 5000)
    assert caught.value.errors()[0]["type"] == "bigint_too_long"


def test_writes_strings_of_digits_in_json_and_ints_in_python() -> None:
    assert adapter.dump_json(BIG) == f'"{BIG}"'.encode()
    assert adapter.dump_json(-BIG) == f'"-{BIG}"'.encode()
    assert adapter.dump_python(BIG) == BIG
    assert adapter.dump_python(BIG, mode="json") == str(BIG)
    ledger = Ledger(id=BIG, history=[1, -BIG], by_day={"mon": 0}, limit=None)
    assert json.loads(ledger.model_dump_json()) == {
        "id": str(BIG),
        "history": ["1", f"-{BIG}"],
        "by_day": {"mon": "0"},
        "limit": None,
        "balance": "0",
        "entries": 0,
    }
    assert Ledger.model_validate_json(ledger.model_dump_json()) == ledger
    assert TypeAdapter(Row).dump_json(Row(id=BIG)) == f'{{"id":"{BIG}"}}'.encode()
    assert TypeAdapter(Keyed).dump_json({"id": BIG}) == f'{{"id":"{BIG}"}}'.encode()


@pytest.mark.parametrize("mode", ["validation", "serialization"])
def test_json_schema_is_a_string_of_digits_in_both_modes(mode: Any) -> None:
    assert adapter.json_schema(mode=mode) == STRING
    properties = TypeAdapter(Ledger).json_schema(mode=mode)["properties"]
    assert {key: value for key, value in properties["id"].items() if key != "title"} == STRING
    assert properties["history"]["items"] == STRING
    assert properties["by_day"]["additionalProperties"] == STRING
    assert properties["limit"]["anyOf"] == [STRING, {"type": "null"}]
    assert properties["entries"]["type"] == "integer"


def test_the_schema_document_writes_defaults_as_the_wire_does() -> None:
    registry = Registry()

    @registry.rpc
    def save(ledger: Ledger, step: BigInt = 1, steps: list[BigInt] = [2], cap: BigInt | None = 3) -> Ledger:  # noqa: B006
        return ledger

    document = build_schema(registry, PluginManager())
    params = document["procedures"]["save"]["params"]["properties"]
    assert (params["step"]["default"], params["steps"]["default"], params["cap"]["default"]) == ("1", ["2"], "3")
    for definition in document["$defs"].values():
        assert definition["properties"]["balance"]["default"] == "0"
        assert definition["properties"]["entries"]["default"] == 0  # a plain int stays a number


def _registry() -> Registry:
    registry = Registry()

    @registry.rpc(name="big.add")
    def big_add(a: BigInt, b: BigInt = 1) -> BigInt:
        return a + b

    @registry.rpc(name="big.ledger")
    def big_ledger(ledger: Ledger) -> Ledger:
        return ledger.model_copy(update={"history": [*ledger.history, ledger.id + 1]})

    @registry.rpc(name="plain.add")
    def plain_add(a: int, b: int) -> int:
        return a + b

    return registry


def test_dispatcher_refuses_what_is_not_digits_with_32602() -> None:
    dispatcher = Dispatcher(_registry())
    for bad in [1.5, "1e3", " 1", True]:
        body = json.dumps({"jsonrpc": "2.0", "method": "big.add", "params": [bad], "id": 1}).encode()
        answer = json.loads(dispatcher.dispatch_sync(body) or b"")
        assert answer["error"]["code"] == -32602, bad


def test_2_63_plus_1_round_trips_exactly_over_http() -> None:
    with serve_asgi(create_app(_registry())) as base_url:
        url = base_url + "/rpc"

        def call(method: str, params: Any) -> bytes:
            return post(url, {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).body

        # by position and by name, as strings (the TypeScript client) and as JSON integers (Python)
        expected = f'{{"jsonrpc":"2.0","result":"{BIG + 1}","id":1}}'.encode()
        assert call("big.add", [str(BIG)]) == expected
        assert call("big.add", {"a": str(BIG), "b": "1"}) == expected
        assert call("big.add", [BIG, 1]) == expected
        back = f'{{"jsonrpc":"2.0","result":"{BIG}","id":1}}'.encode()
        assert call("big.add", {"a": str(-BIG), "b": str(2 * BIG)}) == back

        ledger = {"id": str(BIG), "history": [str(BIG), "-1"], "by_day": {"mon": str(BIG)}, "limit": None}
        result = json.loads(call("big.ledger", [ledger]))["result"]
        assert result == {**ledger, "history": [str(BIG), "-1", str(BIG + 1)], "balance": "0", "entries": 0}

        refused = json.loads(call("big.add", [float(BIG)]))
        assert refused["error"]["code"] == -32602

        # Without BigInt, the integer travels as a JSON number: exact in the text, but a
        # JavaScript client (JSON.parse, float64) reads 9223372036854775808.
        plain = call("plain.add", [BIG, 0])
        assert plain == f'{{"jsonrpc":"2.0","result":{BIG},"id":1}}'.encode()
        assert int(float(json.loads(plain)["result"])) != BIG


def test_the_served_schema_says_string_for_bigint_and_integer_for_int() -> None:
    document = build_schema(_registry(), PluginManager())
    add = document["procedures"]["big.add"]
    assert add["params"]["properties"]["a"] == STRING
    assert add["result"] == STRING
    assert document["procedures"]["plain.add"]["result"] == {"type": "integer"}
