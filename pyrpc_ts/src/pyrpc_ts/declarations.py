"""The named types of ``$defs``: interfaces for models, a type plus a const for enums.

Each model is declared once, under the name ``naming.assign_type_names`` gives it, sorted by
that name, so a schema with the same models always gives the same text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import jsdoc
from .mapping import TypeMapper, literal
from .naming import is_identifier

ENUM_NAMES_KEYWORD = "x-enum-varnames"
"""Where a schema may carry enum member names (a common extension); values name them otherwise."""


@dataclass(frozen=True)
class EnumConst:
    """An enum's runtime object: ``name`` and its ``(key, JSON value)`` pairs."""

    name: str
    members: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Declarations:
    """What ``$defs`` turn into: declaration text for index.d.ts and consts for index.js."""

    text: str
    enums: tuple[EnumConst, ...]


def declare_all(defs: Mapping[str, Any], names: Mapping[str, str], mapper: TypeMapper) -> Declarations:
    """Every ``$defs`` entry as TypeScript, sorted by TypeScript name."""
    parts: list[str] = []
    enums: list[EnumConst] = []
    for key in sorted(defs, key=lambda k: names[k]):
        name = names[key]
        definition = defs[key]
        if not isinstance(definition, Mapping):
            parts.append(f"export type {name} = {mapper.map(definition).text};\n")
            continue
        doc = jsdoc.block(jsdoc.text_lines(definition.get("description")), "")
        enum = _enum_const(name, definition)
        if enum is not None:
            enums.append(enum)
            members = "".join(f"  readonly {key_}: {value};\n" for key_, value in enum.members)
            parts.append(
                f"{doc}export type {name} = {mapper.map(definition).text};\n"
                f"{doc}export declare const {name}: {{\n{members}}};\n"
            )
        elif definition.get("type") == "object" and isinstance(definition.get("properties"), Mapping):
            members = mapper.object_members(definition, "  ")
            body = f"{{\n{members}}}" if members else "{}"
            parts.append(f"{doc}export interface {name} {body}\n")
        else:
            parts.append(f"{doc}export type {name} = {mapper.map(definition).text};\n")
    return Declarations(text="\n".join(parts), enums=tuple(enums))


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
