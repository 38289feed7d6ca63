"""pydantic's JSON Schema generator, with the changes clients need."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema


class SchemaGenerator(GenerateJsonSchema):
    """pydantic's generator, with the changes clients need.

    Field titles are dropped (they only repeat the name). In serialization mode every field
    is required unless pydantic may leave it out, because a result always carries its
    defaults: that is what lets emitters make input and output shapes differ exactly. Enums
    carry their members' names in ``x-enum-varnames``.
    """

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
