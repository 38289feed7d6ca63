"""The introspection document: its shape, shared $defs, input/output modes, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, computed_field
from pydantic.json_schema import GenerateJsonSchema

from pyrpc_core import Context, Registry, build_schema, hookimpl
from pyrpc_core.plugins import PluginManager
from pyrpc_core.schema import SchemaGenerator, dump_schema
from pyrpc_core.schema.cache import SchemaCache
from pyrpc_core.testing.corpus import corpus_registries


class Address(BaseModel):
    city: str
    zip: str | None = None


class User(BaseModel):
    id: int
    name: str = Field(description="Full name", min_length=1)
    nickname: str | None = None
    address: Address


def schema_of(registry: Registry) -> dict[str, Any]:
    return build_schema(registry, PluginManager())


def test_document_shape() -> None:
    registry = Registry()

    @registry.rpc
    def add(a: int, b: int = 2) -> int:
        """Add two numbers."""
        return a + b

    document = schema_of(registry)
    assert document == {
        "version": 1,
        "procedures": {
            "add": {
                "name": "add",
                "doc": "Add two numbers.",
                "params": {
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "default": 2}},
                    "required": ["a"],
                    "additionalProperties": False,
                },
                "result": {"type": "integer"},
            }
        },
        "$defs": {},
    }


def test_models_appear_once_in_top_level_defs() -> None:
    registry = Registry()
    for index in range(10):

        def get(id: int, user: User) -> User:
            return user

        registry.rpc(name=f"get{index}")(get)
    document = schema_of(registry)
    # Ten procedures, one model: its input and its output shape, each once.
    assert sorted(document["$defs"]) == ["Address", "AddressInput", "User", "UserInput"]
    for procedure in document["procedures"].values():
        assert procedure["params"]["properties"]["user"]["$ref"].startswith("#/$defs/")
        assert procedure["result"]["$ref"].startswith("#/$defs/")
    for ref in _refs(document):
        assert ref.removeprefix("#/$defs/") in document["$defs"]


def test_params_use_validation_mode_and_results_serialization_mode() -> None:
    registry = Registry()

    @registry.rpc
    def save(user: User) -> User:
        return user

    document = schema_of(registry)
    procedure = document["procedures"]["save"]
    input_name = procedure["params"]["properties"]["user"]["$ref"].removeprefix("#/$defs/")
    output_name = procedure["result"]["$ref"].removeprefix("#/$defs/")
    assert input_name != output_name
    assert document["$defs"][input_name]["required"] == ["id", "name", "address"]
    # A result always carries its defaults, so every field is present on output.
    assert document["$defs"][output_name]["required"] == ["id", "name", "nickname", "address"]
    assert document["$defs"][input_name]["properties"]["name"] == {
        "type": "string",
        "description": "Full name",
        "minLength": 1,
    }


class Counted(BaseModel):
    x: int = 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return 2 * self.x


class AsInput(BaseModel):
    """Described as its input, in both modes (and what it holds as itself)."""

    model_config = ConfigDict(json_schema_mode_override="validation")
    counted: Counted

    @computed_field  # type: ignore[prop-decorator]
    @property
    def triple(self) -> int:
        return 3


class Both(BaseModel):
    first: AsInput
    second: Counted


def test_a_models_json_schema_mode_override_holds_for_it_alone() -> None:
    """The generator's mode (``SchemaGenerator.mode``) follows the configuration on top of
    pydantic's stack: a model's override holds for that model, and the result's next field is
    back in serialization mode."""
    registry = Registry()

    @registry.rpc
    def echo(value: AsInput) -> Both:
        return Both(first=value, second=value.counted)

    document = schema_of(registry)
    defs = document["$defs"]

    def target(schema: dict[str, Any]) -> dict[str, Any]:
        return defs[schema["$ref"].removeprefix("#/$defs/")]  # type: ignore[no-any-return]

    assert document["procedures"]["echo"]["params"]["properties"]["value"] == {"$ref": "#/$defs/AsInput"}
    result = target(document["procedures"]["echo"]["result"])
    assert target(result["properties"]["first"]) is defs["AsInput"]  # the override: one shape, no "triple"
    assert sorted(defs["AsInput"]["properties"]) == ["counted"]
    assert sorted(target(result["properties"]["second"])["properties"]) == ["double", "x"]


def test_the_generators_mode_is_pydantics_at_every_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SchemaGenerator.mode`` is an attribute kept up to date, not pydantic's property: at every
    node of every corpus document (and of the override above) it reads what the property would."""
    registry = Registry()

    @registry.rpc
    def echo(value: AsInput) -> Both:
        return Both(first=value, second=value.counted)

    seen: list[tuple[str, str]] = []
    generate_inner = SchemaGenerator.generate_inner

    def checked(self: SchemaGenerator, schema: Any) -> Any:
        seen.append((self.mode, GenerateJsonSchema.mode.fget(self)))  # type: ignore[attr-defined]
        return generate_inner(self, schema)

    monkeypatch.setattr(SchemaGenerator, "generate_inner", checked)
    for checked_registry in [registry, *corpus_registries().values()]:
        SchemaCache().build(list(checked_registry))  # a cache of its own: every node generated
    assert len(seen) > 500
    assert {pair for pair in seen if pair[0] != pair[1]} == set()
    assert {mode for mode, _ in seen} == {"validation", "serialization"}


def test_properties_keep_declaration_order_and_context_is_left_out() -> None:
    registry = Registry()

    @registry.rpc
    def f(zeta: int, ctx: Context, alpha: str, mid: Literal["a", "b"] = "a") -> None: ...

    params = schema_of(registry)["procedures"]["f"]["params"]
    assert list(params["properties"]) == ["zeta", "alpha", "mid"]
    assert "ctx" not in json.dumps(params)


def test_procedures_and_defs_are_sorted() -> None:
    registry = Registry()

    class Zed(BaseModel):
        a: int

    class Alpha(BaseModel):
        b: int

    @registry.rpc(name="z.last")
    def last() -> Zed: ...

    @registry.rpc(name="a.first")
    def first() -> Alpha: ...

    document = schema_of(registry)
    assert list(document["procedures"]) == ["a.first", "z.last"]
    assert list(document["$defs"]) == sorted(document["$defs"])


def test_same_code_gives_byte_identical_json_across_processes(tmp_path: Any) -> None:
    module = tmp_path / "api_under_test.py"
    module.write_text(
        textwrap.dedent(
            """
            from pydantic import BaseModel
            from pyrpc_core import Registry, build_schema
            from pyrpc_core.plugins import PluginManager
            from pyrpc_core.schema import dump_schema

            class Tag(BaseModel):
                label: str
            class Post(BaseModel):
                title: str
                tags: list[Tag] = []

            registry = Registry()
            def make(name):
                def f(post: Post, limit: int = 10) -> list[Post]:
                    return [post]
                registry.rpc(name=name)(f)
            for name in ["posts.list", "posts.get", "tags.all", "a", "zz"]:
                make(name)
            import sys
            sys.stdout.buffer.write(dump_schema(build_schema(registry, PluginManager())))
            """
        )
    )
    outputs = {
        subprocess.run(
            [sys.executable, str(module)],
            capture_output=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["procedures"]["a"]["params"]["properties"]["limit"] == {
        "type": "integer",
        "default": 10,
    }


def test_dump_schema_is_compact_utf8() -> None:
    assert dump_schema({"a": "ü", "b": [1, 2]}) == '{"a":"ü","b":[1,2]}'.encode()


def test_plugins_can_amend_the_schema() -> None:
    class Stamp:
        @hookimpl
        def pyrpc_amend_schema(self, schema: dict[str, Any], registry: Registry) -> None:
            schema["x-generator"] = "stamp"
            schema["procedures"].pop("internal", None)

    plugins = PluginManager()
    plugins.register(Stamp())
    registry = Registry()
    registry.rpc(name="internal")(lambda: None)
    registry.rpc(name="public")(lambda: None)
    document = build_schema(registry, plugins)
    assert document["x-generator"] == "stamp"
    assert list(document["procedures"]) == ["public"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_defaults_are_written_as_pydantic_writes_them() -> None:
    """Plain JSON defaults skip pydantic's per-default TypeAdapter; every default still reads the same."""
    import datetime
    import enum

    from pydantic import ConfigDict
    from pydantic.json_schema import GenerateJsonSchema

    from pyrpc_core.schema.generator import SchemaGenerator

    class Color(enum.Enum):
        RED = "red"

    class Level(int, enum.Enum):
        LOW = 1

    class Pair(enum.Enum):  # a value that is not plain JSON: pydantic's own way
        AB = ("a", "b")

    def defaults_of(model: type[BaseModel], generator: type[GenerateJsonSchema]) -> dict[str, Any]:
        schema = model.model_json_schema(schema_generator=generator, mode="validation")
        return {name: field.get("default", "<none>") for name, field in schema["properties"].items()}

    for config in (ConfigDict(), ConfigDict(ser_json_inf_nan="strings", ser_json_timedelta="float")):

        class Defaults(BaseModel):
            model_config = config
            none: int | None = None
            flag: bool = True
            count: int = 10**30
            name: str = "é\n"
            ratio: float = -0.5
            endless: float = float("inf")
            items: list[Any] = [1, "a", None, [2.5, {"k": False}]]
            mapping: dict[str, Any] = {"a": {"b": []}}
            pair: tuple[int, str] = (1, "x")
            color: Color = Color.RED
            level: Level = Level.LOW
            pair: Pair = Pair.AB
            wait: datetime.timedelta = datetime.timedelta(seconds=90)

        ours, theirs = defaults_of(Defaults, SchemaGenerator), defaults_of(Defaults, GenerateJsonSchema)
        assert ours == theirs
        assert [type(value) for value in ours.values()] == [type(value) for value in theirs.values()]
