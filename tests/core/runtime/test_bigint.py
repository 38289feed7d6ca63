"""``BigInt``: an int in Python, a string of digits on the wire and in the schema (issue #16, big integers)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, PlainSerializer, TypeAdapter, ValidationError, computed_field
from typing_extensions import TypedDict

from pyrpc_asgi import create_app
from pyrpc_core import BigInt, BigIntModel, Dispatcher, Registry, RPCClient, build_schema
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

        with RPCClient(url) as client:  # the Python client: ints go in, the wire's strings come out
            assert client.call("big.add", BIG, 1) == str(BIG + 1)

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


# -- BigIntModel: every int of a model's own fields --------------------------------------------


class Level(IntEnum):
    LOW = 1


class Inner(BaseModel):
    n: int


class Node(BigIntModel):
    value: int
    children: list[Node] = Field(default=[])


class Everything(BigIntModel):
    plain: int
    listed: list[int] = Field(default=[1])
    maybe: int | None = None
    keyed: dict[str, int] = Field(default={})
    pair: tuple[int, str] = (2, "x")
    either: int | str = 0
    bounded: Annotated[int, Field(ge=0)] = 0
    own: Annotated[int, PlainSerializer(lambda v: v * 2, return_type=int)] = 0
    level: Level = Level.LOW
    fixed: Literal[1, 2] = 1
    flag: bool = False
    inner: Inner | None = None
    node: Node | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return self.plain * 2


class Derived(Everything):
    extra: int = 3


def test_bigint_model_writes_and_reads_every_int_of_its_own_fields_as_strings() -> None:
    value = Everything(
        plain=BIG, listed=[BIG], keyed={"k": -BIG}, pair=(BIG, "y"), inner=Inner(n=BIG), node=Node(value=BIG)
    )
    assert json.loads(value.model_dump_json()) == {
        "plain": str(BIG),
        "listed": [str(BIG)],
        "maybe": None,
        "keyed": {"k": f"-{BIG}"},
        "pair": [str(BIG), "y"],
        "either": "0",
        "bounded": "0",
        "own": 0,  # an int with its own serializer is the user's choice
        "level": 1,  # enum and literal values stay numbers
        "fixed": 1,
        "flag": False,
        "inner": {"n": BIG},  # another model decides for itself
        "node": {"value": str(BIG), "children": []},
        "double": str(2 * BIG),
    }
    assert Everything.model_validate_json(value.model_dump_json()) == value
    assert json.loads(Derived(plain=1).model_dump_json())["extra"] == "3"
    assert value.model_dump()["plain"] == BIG  # Python mode: ints


def test_bigint_model_refuses_what_bigint_refuses_and_keeps_bounds() -> None:
    for bad in [1.5, "1e3", " 1", True]:
        with pytest.raises(ValidationError):
            Everything.model_validate({"plain": bad})
    with pytest.raises(ValidationError) as caught:
        Everything.model_validate({"plain": "1", "bounded": "-1"})
    assert caught.value.errors()[0]["type"] == "greater_than_equal"


@pytest.mark.parametrize("mode", ["validation", "serialization"])
def test_bigint_model_schema_says_what_the_wire_carries(mode: Any) -> None:
    schema = Everything.model_json_schema(mode=mode)
    properties = schema["properties"]

    def strip(value: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in value.items() if k not in ("title", "default", "readOnly")}

    for name in ("plain", "bounded"):
        assert strip(properties[name]) == STRING
    assert properties["listed"]["items"] == STRING
    assert properties["maybe"]["anyOf"] == [STRING, {"type": "null"}]
    assert properties["keyed"]["additionalProperties"] == STRING
    assert properties["pair"]["prefixItems"][0] == STRING
    assert properties["own"]["type"] == "integer"
    assert schema["$defs"]["Inner"]["properties"]["n"]["type"] == "integer"
    assert strip(schema["$defs"]["Node"]["properties"]["value"]) == STRING
    if mode == "serialization":
        assert strip(properties["double"]) == STRING


def test_bigint_model_over_http_and_in_the_document() -> None:
    registry = Registry()

    @registry.rpc
    def grow(node: Node) -> Node:
        return Node(value=node.value + 1, children=[node])

    document = build_schema(registry, PluginManager())
    for definition in document["$defs"].values():
        assert {k: v for k, v in definition["properties"]["value"].items() if k != "title"} == STRING
    with serve_asgi(create_app(registry)) as base_url:
        answer = post(base_url + "/rpc", {"jsonrpc": "2.0", "method": "grow", "params": [{"value": str(BIG)}], "id": 1})
    expected = f'{{"value":"{BIG + 1}","children":[{{"value":"{BIG}","children":[]}}]}}'
    assert answer.body == f'{{"jsonrpc":"2.0","result":{expected},"id":1}}'.encode()


def test_bigint_model_defaults_in_the_document_are_strings() -> None:
    registry = Registry()

    @registry.rpc
    def keep(value: Everything) -> None:
        return None

    definitions = build_schema(registry, PluginManager())["$defs"].values()
    found = [d["properties"] for d in definitions if "listed" in d.get("properties", {})]
    assert found
    for properties in found:
        assert (properties["listed"]["default"], properties["pair"]["default"]) == (["1"], ["2", "x"])
        assert properties["own"]["default"] == 0
