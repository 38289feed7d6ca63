"""pydantic's JSON Schema generator, with the changes clients need."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any

from pydantic._internal._config import ConfigWrapper, ConfigWrapperStack  # what pydantic's generator pushes on
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode
from pydantic_core import core_schema

from ..bigint import BIGINT_FORMAT


class SchemaGenerator(GenerateJsonSchema):
    """pydantic's generator, with the changes clients need.

    Field titles are dropped (they only repeat the name). In serialization mode every field
    is required unless pydantic may leave it out, because a result always carries its
    defaults: that is what lets emitters make input and output shapes differ exactly. Enums
    carry their members' names in ``x-enum-varnames``. Defaults of ``BigInt`` fields are
    written as the strings the wire carries (``"0"``, ``["1"]``), in both modes.
    """

    # pydantic's ``mode`` is a property that reads json_schema_mode_override from the configuration
    # on top of its stack, through ConfigWrapper.__getattr__, which raises and catches a KeyError
    # when it is unset (nearly always): 1.3 us, asked four times per node, 100,000 times for a
    # large API. Here it is a plain attribute, worked out again (by pydantic's own property) only
    # when what it depends on changes: ``_mode``, or a push or pop of that stack.
    mode: JsonSchemaMode = "validation"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._config_wrapper_stack = _ConfigStack(self._config_wrapper_stack.tail, self._update_mode)
        self._update_mode()

    @property
    def _mode(self) -> JsonSchemaMode:
        return self._asked_mode

    @_mode.setter
    def _mode(self, mode: JsonSchemaMode) -> None:
        self._asked_mode = mode
        if "_config_wrapper_stack" in self.__dict__:  # not yet while pydantic's __init__ runs, in some versions
            self._update_mode()

    def _update_mode(self) -> None:
        self.mode = GenerateJsonSchema.mode.fget(self)  # type: ignore[attr-defined]

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> dict[str, Any]:
        result = super().default_schema(schema)
        if "default" in result:
            result["default"] = _bigint_strings(result["default"], result)
        return result

    def encode_default(self, dft: Any) -> Any:
        # pydantic builds a TypeAdapter for every default it encodes (about 0.2 ms each, a tenth
        # of a large API's schema). A plain JSON value is its own encoding, in any config, and
        # an enum member's is its value (unless its class tells pydantic otherwise).
        if _plain_json(dft):
            return dft
        if isinstance(dft, Enum) and not hasattr(dft, "__get_pydantic_core_schema__") and _plain_json(dft.value):
            return dft.value
        return super().encode_default(dft)

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def enum_schema(self, schema: core_schema.EnumSchema) -> dict[str, Any]:
        """pydantic's enum schema plus the members' names, so clients can offer ``Color.RED``."""
        result = super().enum_schema(schema)
        result["x-enum-varnames"] = [member.name for member in schema["members"]]
        return result

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization" and field["type"] != "typed-dict-field":
            return field.get("serialization_exclude_if") is None
        return super().field_is_required(field, total)


def _plain_json(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is made only of JSON's own types (exactly: no subclasses, no NaN)."""
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return True
    if kind is float:
        return math.isfinite(value)  # pydantic writes inf and nan as the config says
    if depth > 16:
        return False
    if kind is list:
        return all(_plain_json(item, depth + 1) for item in value)
    if kind is dict:
        return all(type(key) is str and _plain_json(item, depth + 1) for key, item in value.items())
    return False


def _bigint_strings(value: Any, schema: Any) -> Any:
    """``value`` (a JSON default) with the integers that ``schema`` says are ``BigInt`` written as strings."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if schema.get("format") == BIGINT_FORMAT and schema.get("type") == "string":
            return str(value)
        branches = schema.get("anyOf")
        if isinstance(branches, list) and any(_bigint_strings(value, b) is not value for b in branches):
            return str(value)
        return value
    if isinstance(value, list) and isinstance(schema.get("prefixItems"), list):
        prefix = schema["prefixItems"]
        rest = schema.get("items", {})
        return [_bigint_strings(item, prefix[i] if i < len(prefix) else rest) for i, item in enumerate(value)]
    if isinstance(value, list) and "items" in schema:
        return [_bigint_strings(item, schema["items"]) for item in value]
    if isinstance(value, dict) and "additionalProperties" in schema:
        return {key: _bigint_strings(item, schema["additionalProperties"]) for key, item in value.items()}
    if "anyOf" in schema and isinstance(schema["anyOf"], list):
        for branch in schema["anyOf"]:
            changed = _bigint_strings(value, branch)
            if changed != value:
                return changed
    return value


class _ConfigStack(ConfigWrapperStack):
    """pydantic's stack of the configurations of the classes being generated; ``changed`` runs after a push, a pop."""

    def __init__(self, config_wrapper: ConfigWrapper, changed: Callable[[], None]) -> None:
        super().__init__(config_wrapper)
        self._changed = changed

    @contextmanager
    def push(self, config_wrapper: Any) -> Iterator[None]:  # type: ignore[override]
        try:
            with super().push(config_wrapper):
                self._changed()
                yield
        finally:
            self._changed()
