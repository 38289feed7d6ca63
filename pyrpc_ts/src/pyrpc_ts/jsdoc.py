"""JSDoc comments: docstrings, field descriptions and JSON Schema constraints as tags.

Editors show these on hover, so a TypeScript user sees what pydantic will check
(``@minimum 1``, ``@pattern ^[a-z]+$``, ``@format email``) without reading the Python.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .json_object import JSON_OBJECT

# Schema keywords shown as a tag, in this order (a stable order keeps the output byte-stable).
CONSTRAINT_TAGS: tuple[tuple[str, str], ...] = (
    ("format", "format"),
    ("minimum", "minimum"),
    ("exclusiveMinimum", "exclusiveMinimum"),
    ("maximum", "maximum"),
    ("exclusiveMaximum", "exclusiveMaximum"),
    ("multipleOf", "multipleOf"),
    ("minLength", "minLength"),
    ("maxLength", "maxLength"),
    ("pattern", "pattern"),
    ("minItems", "minItems"),
    ("maxItems", "maxItems"),
    ("minProperties", "minProperties"),
    ("maxProperties", "maxProperties"),
)


_KEYWORDS = frozenset(keyword for keyword, _ in CONSTRAINT_TAGS)

BIGINT_FORMAT = "bigint"
BIGINT_PATTERN = "^-?(0|[1-9][0-9]*)$"
"""A ``BigInt``'s format and pattern: its type (`` `${bigint}` ``) says them, so they get no tags."""

# ``json.dumps`` with options builds an encoder per call: one built once is ten times faster.
_sorted_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def escape(text: str) -> str:
    """Text that cannot end the comment it sits in."""
    return text.replace("*/", "*\\/")


def _value(value: Any) -> str:
    if isinstance(value, str) and value and "\n" not in value:
        return value
    return _sorted_json(value)


def constraint_lines(schema: Mapping[str, Any]) -> list[str]:
    """The tags for one field's schema; ``Optional`` fields are looked at through their null branch."""
    target = _non_null_branch(schema)
    lines = [] if _KEYWORDS.isdisjoint(target) else _keyword_tags(target)
    if target.get("uniqueItems") is True:
        lines.append("@uniqueItems")
    discriminator = target.get("discriminator")
    if isinstance(discriminator, JSON_OBJECT) and isinstance(discriminator.get("propertyName"), str):
        lines.append(f"@discriminator {discriminator['propertyName']}")
    if "default" in schema:
        lines.append(f"@default {_sorted_json(schema['default'])}")
    if schema.get("deprecated") is True:
        lines.append("@deprecated")
    return lines


def _keyword_tags(target: Mapping[str, Any]) -> list[str]:
    """The tags of ``CONSTRAINT_TAGS`` keywords with a plain value, in that order."""
    lines: list[str] = []
    # A tuple's length is in its type already ([number, string], []): no need to repeat it.
    is_tuple = "prefixItems" in target or target.get("maxItems") == 0
    is_bigint = target.get("type") == "string" and target.get("format") == BIGINT_FORMAT
    for keyword, tag in CONSTRAINT_TAGS:
        if is_tuple and keyword in ("minItems", "maxItems"):
            continue
        if is_bigint and (keyword == "format" or (keyword == "pattern" and target[keyword] == BIGINT_PATTERN)):
            continue
        if keyword in target and not isinstance(target[keyword], (dict, list)):
            lines.append(f"@{tag} {_value(target[keyword])}")
    return lines


def _non_null_branch(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    branches = schema.get("anyOf")
    if isinstance(branches, list):
        rest = [b for b in branches if not (isinstance(b, JSON_OBJECT) and b.get("type") == "null")]
        if len(rest) == 1 and isinstance(rest[0], JSON_OBJECT):
            return rest[0]
    return schema


def text_lines(text: Any) -> list[str]:
    """A docstring or description as comment lines (trailing blanks dropped)."""
    if not isinstance(text, str):
        return []
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return lines if any(lines) else []


def block(lines: Sequence[str], indent: str) -> str:
    """A ``/** ... */`` block at ``indent``, or ``""`` when there is nothing to say.

    One line stays on one line; more become the usual starred block.
    """
    if not lines:
        return ""
    safe = [escape(line) for line in lines]
    if len(safe) == 1:
        return f"{indent}/** {safe[0]} */\n"
    body = "".join(f"{indent} *{' ' + line if line else ''}\n" for line in safe)
    return f"{indent}/**\n{body}{indent} */\n"


def field_doc(schema: Mapping[str, Any]) -> list[str]:
    """The comment lines of an object property: its description, then its constraint tags."""
    lines = text_lines(schema.get("description"))
    if not lines:
        lines = text_lines(_non_null_branch(schema).get("description"))
    tags = constraint_lines(schema)
    if lines and tags:
        lines.append("")
    return lines + tags
