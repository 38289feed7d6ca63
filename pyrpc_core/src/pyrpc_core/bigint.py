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

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = ["BIGINT_FORMAT", "BIGINT_PATTERN", "BigInt"]

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


class _BigIntSchema:
    """The ``Annotated`` marker behind ``BigInt``: its validator, serializer and JSON Schema."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _serialize, when_used="json", return_schema=core_schema.str_schema()
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": BIGINT_PATTERN, "format": BIGINT_FORMAT}

    def __repr__(self) -> str:
        return "BigInt"


BigInt = Annotated[int, _BigIntSchema()]
"""An ``int`` that travels as a JSON string of digits, typed `` `${bigint}` `` in TypeScript."""
