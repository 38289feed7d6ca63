"""A hand-written schema document full of constructs TypeScript cannot say exactly.

The emitter must turn each into the closest safe type with a comment, and still produce a
package that compiles: one bad fragment never costs the rest of the API its types.
"""

from __future__ import annotations

from typing import Any


def _procedure(name: str, params: Any, result: Any, doc: str | None = None) -> dict[str, Any]:
    return {"name": name, "doc": doc, "params": params, "result": result}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


ODD_SCHEMA: dict[str, Any] = {
    "version": 1,
    "procedures": {
        "odd": _procedure(
            "odd",
            _object(
                {
                    "negated": {"not": {"type": "string"}},
                    "dangling": {"$ref": "#/$defs/Missing"},
                    "external": {"$ref": "https://example.com/schema.json"},
                    "number_schema": 42,
                    "made_up": {"type": "frobnicate"},
                    "object_enum": {"enum": [{"a": 1}, [1]]},
                    "object_const": {"const": {"k": 1}, "type": "object"},
                    "bad_enum": {"enum": "not a list"},
                    "bad_union": {"anyOf": "not a list"},
                    "empty_all_of": {"allOf": []},
                    "any_of_with_any": {"anyOf": [{"type": "string"}, {}]},
                },
                [
                    "negated",
                    "dangling",
                    "external",
                    "number_schema",
                    "made_up",
                    "object_enum",
                    "object_const",
                    "bad_enum",
                    "bad_union",
                    "empty_all_of",
                    "any_of_with_any",
                ],
            ),
            {"type": ["string", "null"]},
        ),
        "no_params": _procedure("no_params", "nonsense", {"allOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/B"}]}),
        "gap": _procedure(
            "gap",
            {
                "type": "object",
                "properties": {"a": {"type": "integer", "default": 1}, "b": {"type": "string"}},
                "required": ["b"],
            },
            {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}},
        ),
        "maps": _procedure(
            "maps",
            _object(
                {
                    "typed_extra": {
                        "type": "object",
                        "properties": {"a": {"type": "string"}},
                        "additionalProperties": {"type": "integer"},
                    },
                    "pattern_keys": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "propertyNames": {"pattern": "^x"},
                    },
                    "enum_keys_and_props": {
                        "type": "object",
                        "properties": {"a": {"type": "string"}},
                        "propertyNames": {"enum": ["a", "b"]},
                        "additionalProperties": True,
                    },
                    "open": {"type": "object"},
                },
                ["typed_extra", "pattern_keys", "enum_keys_and_props", "open"],
            ),
            False,
        ),
        "broken": "not a procedure",
        "users": _procedure("users", _object({"id": {"type": "integer"}}, ["id"]), {"$ref": "#/$defs/Json"}),
        "users.get": _procedure("users.get", _object({"id": {"type": "integer"}}, ["id"]), {"$ref": "#/$defs/Types"}),
        "names": _procedure(
            "names",
            {
                "type": "object",
                "properties": {"": {"type": "string"}, "1st": {"type": "number"}, "a b": {"type": "boolean"}},
                "required": ["", "1st", "a b"],
            },
            {"$ref": "#/$defs/Weird Name!"},
        ),
    },
    "$defs": {
        "A": _object({"a": {"type": "string"}}, ["a"]),
        "B": _object({"b": {"type": "integer"}}, ["b"]),
        "Types": {"type": "object", "properties": {}, "title": "Types"},
        "string": {"type": "string", "title": "string"},
        "Weird Name!": {"type": "string", "title": "Weird Name!"},
        "Dup-Input": {**_object({"x": {"type": "integer"}}, []), "title": "Dup"},
        "Dup-Output": {**_object({"x": {"type": "integer"}}, ["x"]), "title": "Dup"},
        "DupInput": {**_object({"y": {"type": "string"}}, ["y"]), "title": "DupInput"},
        "Mixed": {"enum": ["a", 1], "title": "Mixed"},
        "Proto": {"enum": ["__proto__", "x"], "title": "Proto", "type": "string"},
        "NonSchema": 5,
        "Json": {
            "anyOf": [
                {"type": "string"},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "null"},
                {"type": "array", "items": {"$ref": "#/$defs/Json"}},
                {"type": "object", "additionalProperties": {"$ref": "#/$defs/Json"}},
            ]
        },
        "Named": {"enum": ["x", "y"], "x-enum-varnames": ["EX", "WHY"], "title": "Named", "type": "string"},
    },
}
