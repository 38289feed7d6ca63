"""The named types of ``$defs``: interfaces for models, a type plus a const for enums.

Each model is declared once, under the name ``naming.assign_type_names`` gives it, sorted by
that name, so a schema with the same models always gives the same text. ``declare`` handles
one entry alone, so ``emit`` can keep its text while neither the entry nor its names change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import jsdoc
from .json_object import JSON_OBJECT
from .mapping import TypeMapper, literal
from .naming import is_identifier

ENUM_NAMES_KEYWORD = "x-enum-varnames"
"""Where a schema may carry enum member names (a common extension); values name them otherwise."""


@dataclass(frozen=True)
class EnumConst:
    """An enum's runtime object: ``name`` and its ``(key, JSON value)`` pairs."""

    name: str
    members: tuple[tuple[str, str], ...]

    def javascript(self) -> str:
        """The const in index.js, with the blank line before it."""
        members = "".join(f"  {key}: {value},\n" for key, value in self.members)
        return f"\nexport const {self.name} = Object.freeze({{\n{members}}});\n"


@dataclass(frozen=True)
class Declaration:
    """What one ``$defs`` entry turns into: its text in index.d.ts and in index.js (often none)."""

    typescript: str
    javascript: str = ""


def declare(name: str, definition: Any, mapper: TypeMapper) -> Declaration:
    """One ``$defs`` entry as TypeScript under ``name``: an interface, a type, or a type and a const."""
    if not isinstance(definition, JSON_OBJECT):
        return Declaration(f"export type {name} = {mapper.map(definition).text};\n")
    doc = jsdoc.block(jsdoc.text_lines(definition.get("description")), "")
    enum = _enum_const(name, definition)
    if enum is not None:
        members = "".join(f"  readonly {key}: {value};\n" for key, value in enum.members)
        return Declaration(
            f"{doc}export type {name} = {mapper.map(definition).text};\n"
            f"{doc}export declare const {name}: {{\n{members}}};\n",
            enum.javascript(),
        )
    if definition.get("type") == "object" and isinstance(definition.get("properties"), JSON_OBJECT):
        members = mapper.object_members(definition, "  ")
        body = f"{{\n{members}}}" if members else "{}"
        return Declaration(f"{doc}export interface {name} {body}\n")
    return Declaration(f"{doc}export type {name} = {mapper.map(definition).text};\n")


def join(declarations: Iterable[Declaration]) -> Declaration:
    """The declarations of a whole document, in the order given (sorted by TypeScript name)."""
    listed = list(declarations)
    return Declaration(
        "\n".join(d.typescript for d in listed),
        "".join(d.javascript for d in listed),
    )


def _enum_const(name: str, definition: Mapping[str, Any]) -> EnumConst | None:
    """The runtime object of an enum whose values are all strings or all numbers, else None."""
    values = definition.get("enum")
    if not isinstance(values, list) or not values:
        return None
    if not (
        all(isinstance(v, str) for v in values)
        or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    ):
        return None
    given = definition.get(ENUM_NAMES_KEYWORD)
    if isinstance(given, list) and len(given) == len(values) and all(isinstance(g, str) for g in given):
        raw_keys = list(given)
    else:
        raw_keys = [v if isinstance(v, str) else json.dumps(v) for v in values]
    keys = [_member_key(key) for key in raw_keys]
    if len(set(keys)) != len(keys):
        return None
    rendered = [literal(value) for value in values]
    return EnumConst(name, tuple((k, r.text) for k, r in zip(keys, rendered, strict=True) if r is not None))


def _member_key(key: str) -> str:
    """A key of the const object: bare identifiers and non-negative integers, else quoted.

    ``__proto__`` is written as a computed key, since a plain one would set the prototype.
    """
    if key == "__proto__":
        return '["__proto__"]'
    if is_identifier(key) or (key.isascii() and key.isdigit() and (key == "0" or not key.startswith("0"))):
        return key
    return json.dumps(key, ensure_ascii=False)
