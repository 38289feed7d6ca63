"""The Introspection Engine: a registry as one JSON document, the format ``GET /rpc`` serves.

::

    {"version": 1,
     "procedures": {"<name>": {"name", "doc", "params": <JSON Schema object>, "result": <JSON Schema>}},
     "$defs": {"<Model>": <JSON Schema>}}

Every model appears once, in the top-level ``$defs``, and ``$ref``s point there. Parameters
are described as pydantic validates them (input shape), results as it serializes them
(output shape: a field with a default is always present). The document is deterministic:
procedures and ``$defs`` are sorted by name, properties keep their declaration order (which is
also the order of by-position params).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

if TYPE_CHECKING:
    import pluggy

    from .registry import Registry

SCHEMA_VERSION = 1
REF_TEMPLATE = "#/$defs/{model}"


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


def build_schema(registry: Registry, plugins: pluggy.PluginManager | None = None) -> dict[str, Any]:
    """The introspection document of ``registry``, amended by the plugins' ``pyrpc_amend_schema``.

    ``plugins`` defaults to the installed plugins (``pyrpc_core.plugins.get_plugin_manager()``).
    """
    procedures = list(registry)
    inputs: list[tuple[tuple[str, str], Literal["validation", "serialization"], TypeAdapter[Any]]] = []
    for procedure in procedures:
        inputs.append(((procedure.name, "params"), "validation", procedure.params_adapter))
        inputs.append(((procedure.name, "result"), "serialization", procedure.result_adapter))
    schemas, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF_TEMPLATE, schema_generator=SchemaGenerator)

    defs = definitions.get("$defs", {})
    document: dict[str, Any] = {"version": SCHEMA_VERSION, "procedures": {}}
    for procedure in procedures:
        params = _inline(schemas[((procedure.name, "params"), "validation")], defs)
        params.pop("title", None)  # the internal model's name means nothing to a client
        document["procedures"][procedure.name] = {
            "name": procedure.name,
            "doc": procedure.doc,
            "params": params,
            "result": schemas[((procedure.name, "result"), "serialization")],
        }
    document["$defs"] = {name: defs[name] for name in sorted(defs)}

    if plugins is None:
        from .plugins import get_plugin_manager

        plugins = get_plugin_manager()
    plugins.hook.pyrpc_amend_schema(schema=document, registry=registry)
    return document


def _inline(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The params model itself, out of ``$defs``: it is the procedure's, no one else's."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return dict(defs.pop(ref.removeprefix("#/$defs/")))


def dump_schema(schema: dict[str, Any]) -> bytes:
    """The document as compact UTF-8 JSON; the same document always gives the same bytes."""
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":")).encode()
