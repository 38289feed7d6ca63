"""JSON Schema (as pydantic writes it) to TypeScript type expressions.

The mapper reads only the schema document. Every construct has an answer: the exact
TypeScript form where one exists, otherwise the closest safe type (``unknown`` or a wider
type) with a ``/* comment */`` saying what was lost. It never raises on a strange schema,
because one odd field must not cost the user every other type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import jsdoc
from .json_object import JSON_OBJECT
from .naming import property_key, quoted

INDENT = "  "
MAX_DEPTH = 64
"""Fragments nested deeper become ``unknown`` with a comment, the same in both emitters
(Python's recursion limit would otherwise decide, and JavaScript's stack is deeper)."""

# Operator precedence of a rendered type, so arrays and intersections can add parentheses.
UNION = 0
INTERSECTION = 1
ATOM = 2


@dataclass(frozen=True)
class TsType:
    """A rendered type expression and how tightly it binds."""

    text: str
    precedence: int = ATOM

    def wrapped(self, at_least: int) -> str:
        """The text, parenthesised when it binds looser than ``at_least``."""
        return self.text if self.precedence >= at_least else f"({self.text})"


UNKNOWN = TsType("unknown")
NEVER = TsType("never")
_PRIMITIVES = {
    "string": TsType("string"),
    "integer": TsType("number"),
    "number": TsType("number"),
    "boolean": TsType("boolean"),
    "null": TsType("null"),
}
BIGINT_FORMAT = jsdoc.BIGINT_FORMAT
"""The ``format`` of a string of decimal digits meant as a big integer (``pyrpc_core.BigInt``)."""
BIGINT = TsType("`${bigint}`")
"""What such a string is in TypeScript: ``BigInt(value)`` reads it exactly, `` `${n}` `` writes one."""


def note(base: str, why: str) -> TsType:
    """The closest safe type ``base``, with a comment saying why it is not exact."""
    return TsType(f"{base} /* {jsdoc.escape(why)} */")


def literal(value: Any) -> TsType | None:
    """A JSON value as a literal type, or None when TypeScript has no literal for it."""
    if value is None:
        return TsType("null")
    if isinstance(value, bool):
        return TsType("true" if value else "false")
    if isinstance(value, int):
        return TsType(str(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return TsType(repr(value) if not value.is_integer() else str(int(value)))
    if isinstance(value, str):
        return TsType(quoted(value))
    return None


def union(members: list[TsType]) -> TsType:
    """``A | B``, flattened: duplicates dropped, ``never`` dropped, ``unknown`` absorbing all."""
    texts: list[str] = []
    for member in members:
        if member.text == "never":
            continue
        if member.text.startswith("unknown"):
            return member
        if member.text not in texts:
            texts.append(member.text)
    if not texts:
        return NEVER
    if len(texts) == 1:
        return next(m for m in members if m.text == texts[0])
    return TsType(" | ".join(texts), UNION)


def required_set(required: Any) -> set[str]:
    """The names a schema's ``required`` lists (ignoring anything that is not a name)."""
    if not isinstance(required, list):
        return set()
    return {name for name in required if isinstance(name, str)}


class TypeMapper:
    """Maps schema fragments of one document; ``$ref``s become the names ``ref_names`` gives.

    ``resolved`` records every ``$defs`` key looked up and the name it got (None: missing), so
    the memo of ``emit`` knows which names a piece of text depends on.
    """

    def __init__(self, ref_names: Mapping[str, str]) -> None:
        self.ref_names = ref_names
        self.resolved: dict[str, str | None] = {}
        self._depth = 0

    def map(self, schema: Any, indent: str = "") -> TsType:
        """The TypeScript type of ``schema``; ``indent`` is where multi-line object types start.

        A fragment the rules below did not foresee still gives ``unknown`` with a comment:
        the failure stays as small as the fragment, never the whole package.
        """
        if self._depth >= MAX_DEPTH:
            return note("unknown", "nested too deeply")
        self._depth += 1
        try:
            return self._map(schema, indent)
        except Exception as exc:  # the promise is "never fail the generation", for any input
            return note("unknown", f"could not map this schema: {type(exc).__name__}")
        finally:
            self._depth -= 1

    def _map(self, schema: Any, indent: str) -> TsType:
        if schema is True:
            return UNKNOWN
        if schema is False:
            return NEVER
        if not isinstance(schema, JSON_OBJECT):
            return note("unknown", f"not a schema: {json.dumps(schema, default=str)[:60]}")
        if "$ref" in schema:
            return self._ref(schema["$ref"])
        if "const" in schema:
            return literal(schema["const"]) or note(self._by_type(schema, indent).text, "constant value")
        if "enum" in schema:
            return self._enum(schema, indent)
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                return self._any_of(schema[keyword], indent)
        if "allOf" in schema:
            return self._all_of(schema["allOf"], indent)
        if "not" in schema:
            return note("unknown", "'not' has no TypeScript form")
        return self._by_type(schema, indent)

    def _ref(self, ref: Any) -> TsType:
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            key = ref.removeprefix("#/$defs/")
            name = self.resolved[key] = self.ref_names.get(key)
            if name is not None:
                return TsType(name)
        shown = ref if isinstance(ref, str) else json.dumps(ref, ensure_ascii=False)
        return note("unknown", f"unresolved $ref {shown}")

    def _enum(self, schema: Mapping[str, Any], indent: str) -> TsType:
        values = schema["enum"]
        if not isinstance(values, list):
            return note("unknown", "malformed enum")
        members = [literal(value) for value in values]
        if any(member is None for member in members):
            return note(self._by_type(schema, indent).text, "enum of values without literal types")
        return union([m for m in members if m is not None])

    def _any_of(self, branches: Any, indent: str) -> TsType:
        if not isinstance(branches, list):
            return note("unknown", "malformed union")
        return union([self.map(branch, indent) for branch in branches])

    def _all_of(self, parts: Any, indent: str) -> TsType:
        if not isinstance(parts, list) or not parts:
            return note("unknown", "malformed allOf")
        mapped = [self.map(part, indent) for part in parts]
        if len(mapped) == 1:
            return mapped[0]
        return TsType(" & ".join(part.wrapped(INTERSECTION) for part in mapped), INTERSECTION)

    def _by_type(self, schema: Mapping[str, Any], indent: str) -> TsType:
        kind = schema.get("type")
        if isinstance(kind, list):
            return union([self._by_type({**schema, "type": one}, indent) for one in kind])
        if kind is None:
            if "properties" in schema or "additionalProperties" in schema:
                kind = "object"
            elif "items" in schema or "prefixItems" in schema:
                kind = "array"
            else:
                return UNKNOWN  # {} is Any: anything at all, which TypeScript spells unknown
        if not isinstance(kind, str):
            return note("unknown", "malformed type")
        if kind == "string" and schema.get("format") == BIGINT_FORMAT:
            return BIGINT
        if kind in _PRIMITIVES:
            return _PRIMITIVES[kind]
        if kind == "array":
            return self._array(schema, indent)
        if kind == "object":
            return self.object_type(schema, indent)
        return note("unknown", f"unknown JSON type {json.dumps(kind, ensure_ascii=False)}")

    def _array(self, schema: Mapping[str, Any], indent: str) -> TsType:
        prefix = schema.get("prefixItems")
        items = schema.get("items", True)
        if isinstance(prefix, list):
            elements = [self.map(item, indent).text for item in prefix]
            max_items = schema.get("maxItems")
            if items is False or (isinstance(max_items, int) and max_items <= len(prefix)):
                return TsType(f"[{', '.join(elements)}]")
            rest = self.map(items, indent)
            elements.append(f"...{rest.wrapped(ATOM)}[]")
            return TsType(f"[{', '.join(elements)}]")
        if schema.get("maxItems") == 0:
            return TsType("[]")
        element = self.map(items, indent)
        return TsType(f"{element.wrapped(ATOM)}[]")

    def object_type(self, schema: Mapping[str, Any], indent: str) -> TsType:
        """An inline object type; named models go through ``declarations`` as interfaces instead.

        Without comments it stays on one line (``{ a: number; b?: string }``), which keeps
        signatures readable; with comments each member gets its own line.
        """
        members = self.members(schema, indent + INDENT)
        if not members:
            return TsType("{}")
        if not any(doc for doc, _ in members):
            return TsType("{ " + " ".join(line for _, line in members).removesuffix(";") + " }")
        return TsType("{\n" + self._lines(members, indent + INDENT) + indent + "}")

    def object_members(self, schema: Mapping[str, Any], indent: str) -> str:
        """The lines inside an interface's ``{ }``: documented properties, then any index signature."""
        return self._lines(self.members(schema, indent), indent)

    @staticmethod
    def _lines(members: list[tuple[list[str], str]], indent: str) -> str:
        return "".join(jsdoc.block(doc, indent) + indent + line + "\n" for doc, line in members)

    def members(self, schema: Mapping[str, Any], indent: str) -> list[tuple[list[str], str]]:
        """``(comment lines, member text)`` for each property and any index signature."""
        properties = schema.get("properties")
        required = schema.get("required")
        required_names = required_set(required)
        members: list[tuple[list[str], str]] = []
        has_properties = isinstance(properties, JSON_OBJECT) and bool(properties)
        if isinstance(properties, JSON_OBJECT):
            for name, field in properties.items():
                mark = "" if name in required_names else "?"
                field_type = self.map(field, indent)
                doc = jsdoc.field_doc(field) if isinstance(field, JSON_OBJECT) else []
                members.append((doc, f"{property_key(str(name))}{mark}: {field_type.text};"))
        extra = self._index_signature(schema, indent, has_properties)
        if extra:
            members.append(([], extra))
        return members

    def _pattern_signature(self, patterns: Mapping[str, Any], indent: str) -> str:
        """A dict whose keys match patterns (pydantic's, for keys with a pattern): typed by its
        values; BigInt keys as `` `${bigint}` ``, others as strings (TypeScript has no regexes)."""
        value = union([self.map(item, indent) for item in patterns.values()])
        if list(patterns) == [jsdoc.BIGINT_PATTERN]:
            return f"[K in {BIGINT.text}]?: {value.text};"
        return f"[key: string]: {value.text};"

    def _index_signature(self, schema: Mapping[str, Any], indent: str, has_properties: bool) -> str:
        patterns = schema.get("patternProperties")
        only_patterns = not has_properties and "properties" not in schema and "additionalProperties" not in schema
        if only_patterns and isinstance(patterns, JSON_OBJECT) and patterns:
            return self._pattern_signature(patterns, indent)
        additional = schema.get("additionalProperties", None if has_properties or "properties" in schema else True)
        if additional is None or additional is False:
            return ""
        value = self.map(additional, indent)
        names = schema.get("propertyNames")
        if isinstance(names, JSON_OBJECT) and names and names.get("type", "string") == "string":
            keys = self.map({k: v for k, v in names.items() if k not in ("pattern", "minLength", "maxLength")})
            if keys.text != "string" and not keys.text.startswith("unknown"):
                if has_properties:
                    return f"[key: string]: unknown /* keys {jsdoc.escape(keys.text)} */;"
                return f"[K in {keys.text}]?: {value.text};"
        if has_properties and value.text != "unknown":
            return f"[key: string]: unknown /* extra properties are {jsdoc.escape(value.text)} */;"
        return f"[key: string]: {value.text};"
