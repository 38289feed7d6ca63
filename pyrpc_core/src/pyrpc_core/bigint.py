"""``BigInt``: an integer that travels as a string of digits, for integers beyond 2^53.

JavaScript's ``number`` holds integers exactly up to 2^53 (``Number.MAX_SAFE_INTEGER``);
``JSON.parse`` rounds anything larger without a word, so a plain ``int`` of Python above that
reaches a TypeScript client changed. A field, parameter or result annotated ``BigInt`` is an
``int`` in Python and a JSON string of decimal digits on the wire (``"9223372036854775809"``),
which the generated TypeScript types as `` `${bigint}` ``: ``BigInt(value)`` turns it into an
exact ``bigint``, and `` `${n}` `` turns a ``bigint`` back.

It reads an ``int`` or such a string (``"-12"``, ``"0"``); it refuses floats (``1.0``, ``1e3``),
booleans, and strings with signs, spaces, leading zeros or exponents (``"+1"``, ``" 12"``,
``"012"``, ``"1e3"``). Its JSON Schema is ``{"type": "string", "pattern": BIGINT_PATTERN,
"format": "bigint"}``; ``"format": "bigint"`` is what the emitters recognise.

It works wherever pydantic reads a type: ``list[BigInt]``, ``dict[str, BigInt]``,
``BigInt | None``, model, dataclass and TypedDict fields.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, SchemaValidator, core_schema

__all__ = ["BIGINT_FORMAT", "BIGINT_PATTERN", "BigInt", "BigIntModel"]

BIGINT_PATTERN = "^-?(0|[1-9][0-9]*)$"
"""The strings a ``BigInt`` reads and writes: an optional minus, then digits without a leading zero."""

BIGINT_FORMAT = "bigint"
"""The JSON Schema ``format`` that marks a string of digits meant as a big integer."""

_DIGITS = re.compile(r"-?(?:0|[1-9][0-9]*)")


def _validate(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        try:
            return int(value)
        except ValueError:  # more digits than sys.get_int_max_str_digits() allows
            raise PydanticCustomError("bigint_too_long", "Integer string has too many digits") from None
    raise PydanticCustomError(
        "bigint_type",
        "Input should be an integer or a string of decimal digits (an optional '-', no leading zeros)",
    )


def _serialize(value: int) -> str:
    return str(int(value))


def _core_schema(metadata: dict[str, Any] | None = None) -> CoreSchema:
    return core_schema.no_info_plain_validator_function(
        _validate,
        serialization=core_schema.plain_serializer_function_ser_schema(
            _serialize, when_used="json", return_schema=core_schema.str_schema()
        ),
        metadata=metadata,
    )


def _json_schema() -> JsonSchemaValue:
    return {"type": "string", "pattern": BIGINT_PATTERN, "format": BIGINT_FORMAT}


class _BigIntSchema:
    """The ``Annotated`` marker behind ``BigInt``: its validator, serializer and JSON Schema."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return _core_schema()

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return _json_schema()

    def __repr__(self) -> str:
        return "BigInt"


BigInt = Annotated[int, _BigIntSchema()]
"""An ``int`` that travels as a JSON string of digits, typed `` `${bigint}` `` in TypeScript."""


# -- per model: every int of a model's own fields ---------------------------------------------

_CONSTRAINTS = ("gt", "ge", "lt", "le", "multiple_of")
_OTHER_TYPES = frozenset({"model", "dataclass", "typed-dict", "definition-ref", "definitions"})
"""Schemas the walk does not enter: other types decide for their own fields (and a nested
model's schema is shared by every place that uses it, so changing it here would make one
``$defs`` entry describe two wires)."""


def _bigint_core_schema(constraints: dict[str, Any]) -> CoreSchema:
    """``BigInt``'s core schema, with its JSON Schema; an int's bounds (``Field(ge=0)``) still checked."""
    # pydantic reads a schema's JSON Schema from this metadata key (what Annotated markers set).
    schema = _core_schema({"pydantic_js_functions": [_replaced_json_schema]})
    if not constraints:
        return schema
    bounds = SchemaValidator(core_schema.int_schema(**constraints))
    return core_schema.no_info_after_validator_function(bounds.validate_python, schema)


def _replaced_json_schema(schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    return _json_schema()


def _with_bigints(schema: Any) -> Any:
    """``schema`` (a field's core schema) with its plain ints as ``BigInt``s, through containers.

    An int that carries its own serializer (``PlainSerializer``, ``field_serializer``) is left
    as it is: what it writes is the user's choice, and pydantic's schema follows that choice.
    """
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if kind == "int":
        if "serialization" in schema:
            return schema
        return _bigint_core_schema({key: schema[key] for key in _CONSTRAINTS if key in schema})
    if kind in _OTHER_TYPES:
        return schema
    result = dict(schema)
    for key in ("schema", "items_schema", "values_schema", "return_schema"):
        if isinstance(result.get(key), dict):
            result[key] = _with_bigints(result[key])
    if isinstance(result.get("items_schema"), list):  # tuple
        result["items_schema"] = [_with_bigints(item) for item in result["items_schema"]]
    if kind == "union":
        result["choices"] = [
            (_with_bigints(choice[0]), choice[1]) if isinstance(choice, tuple) else _with_bigints(choice)
            for choice in result["choices"]
        ]
    elif kind == "tagged-union":
        result["choices"] = {tag: _with_bigints(choice) for tag, choice in result["choices"].items()}
    elif kind == "model-fields":
        result["fields"] = {name: _with_bigints(field) for name, field in result["fields"].items()}
        result["computed_fields"] = [_with_bigints(field) for field in result.get("computed_fields", [])]
    return result


class BigIntModel(BaseModel):
    """A model whose every ``int`` travels as a string of digits, as if each were a ``BigInt``.

    It covers the model's own fields, through ``list``, ``dict`` values, ``tuple``, ``| None``,
    unions and computed fields, and the same in subclasses. It does not reach into other
    models, dataclasses or TypedDicts used as fields (each opts in itself: derive from
    ``BigIntModel``, or annotate ``BigInt``), nor values typed ``Any``, nor ints with their own
    serializer; ``IntEnum`` and ``Literal`` values stay numbers. Bounds (``Field(ge=0)``) are
    still checked, but a string's JSON Schema cannot state them.
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[BaseModel], handler: GetCoreSchemaHandler, /) -> CoreSchema:
        schema = handler(source)
        if schema.get("type") == "model" and isinstance(schema.get("schema"), dict):
            return {**schema, "schema": _with_bigints(schema["schema"])}
        return schema
