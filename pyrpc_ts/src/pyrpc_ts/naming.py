"""TypeScript names: which strings may stand bare, and the names of ``$defs`` models.

Every name here is derived from the schema document alone, so the same document always
yields the same names. A pyRPC server's ``$defs`` keys are stable names already (see
``pyrpc_core.schema.names``): each is exported as it is, with one change that keeps distinct
keys distinct, so a name keeps meaning one type as the API grows. Keys that are not
identifiers (documents from elsewhere) are made readable, collisions numbered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .json_object import JSON_OBJECT

# Reserved words (ES, ES strict mode and modules): none can name a parameter or a declaration.
RESERVED_WORDS = frozenset(
    {
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "new",
        "null",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "implements",
        "interface",
        "let",
        "package",
        "private",
        "protected",
        "public",
        "static",
        "yield",
        "await",
        "arguments",
        "eval",
    }
)

# TypeScript's predefined type names: no interface or type alias may take them.
TYPE_KEYWORDS = frozenset(
    {"any", "unknown", "never", "object", "string", "number", "boolean", "bigint", "symbol", "undefined"}
)

# Names the generated file declares or uses itself: a model may not shadow them.
TAKEN_TYPE_NAMES = frozenset({"Types", "Procedures", "procedures", "meta", "Promise"})

_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_NAME_PARTS = re.compile(r"[A-Za-z0-9]+")
_INPUT_SUFFIX = "-Input"
_OUTPUT_SUFFIX = "-Output"


# ``json.dumps`` with options builds an encoder per call: one built once is ten times faster.
quoted = json.JSONEncoder(ensure_ascii=False).encode
"""A string as a JSON (and JavaScript) string literal, non-ASCII kept as is."""


def is_identifier(name: str) -> bool:
    """Whether ``name`` may be written bare as a property key (ASCII identifiers only, to be safe)."""
    return bool(_ASCII_IDENTIFIER.fullmatch(name))


def property_key(name: str) -> str:
    """``name`` as an object-type key: bare when it is an identifier, else a quoted string."""
    return name if is_identifier(name) else quoted(name)


def binding_name(name: str, taken: Iterable[str] = ()) -> str:
    """``name`` as a function parameter name: a valid identifier, not reserved, not in ``taken``."""
    candidate = re.sub(r"[^A-Za-z0-9_$]", "_", name) or "_"
    if candidate[0].isdigit():
        candidate = "_" + candidate
    if candidate in RESERVED_WORDS:
        candidate += "_"
    used = set(taken)
    unique = candidate
    counter = 2
    while unique in used:
        unique = f"{candidate}{counter}"
        counter += 1
    return unique


def base_type_name(def_key: str, definition: Mapping[str, Any]) -> str:
    """The readable name of one ``$defs`` entry, before collisions are settled.

    The title is what the user wrote (``User``, ``Page[User]``); the key is the fallback.
    ``Page[User]`` becomes ``Page_User``; anything not an identifier is split into words.
    """
    title = definition.get("title")
    source = title if isinstance(title, str) and title.strip() else _strip_mode(def_key)
    name = source if is_identifier(source) else ("_".join(_NAME_PARTS.findall(source)) or "Model")
    if name[0].isdigit():
        name = "_" + name
    if name in RESERVED_WORDS or name in TYPE_KEYWORDS or name in TAKEN_TYPE_NAMES:
        name += "_"
    return name


def _strip_mode(def_key: str) -> str:
    for suffix in (_INPUT_SUFFIX, _OUTPUT_SUFFIX):
        if def_key.endswith(suffix):
            return def_key[: -len(suffix)]
    return def_key


def exported_name(key: str) -> str:
    """A ``$defs`` key that is an identifier, as the name it is exported under.

    A name TypeScript or the file needs (``class``, ``string``, ``Types``), followed by any
    number of ``_``, gets one more ``_``: ``Types`` -> ``Types_``, ``Types_`` -> ``Types__``.
    Distinct keys stay distinct, so the name never depends on which other keys exist.
    """
    stem = key.rstrip("_")
    return key + "_" if stem in RESERVED_WORDS or stem in TYPE_KEYWORDS or stem in TAKEN_TYPE_NAMES else key


def assign_type_names(defs: Mapping[str, Any]) -> dict[str, str]:
    """The TypeScript name of every ``$defs`` key, unique.

    A key that is an identifier is its own name (``exported_name``). Any other key (``X-Input``
    and ``X-Output`` as pydantic splits a model, ``Page[User]``, ``Weird Name!``) is named from
    its title or itself, made an identifier, with ``Input`` for ``-Input``; they are handled
    in sorted order, outputs first, and a name already taken gets ``2``, ``3``... appended.
    """
    names: dict[str, str] = {key: exported_name(key) for key in defs if is_identifier(key)}
    used: set[str] = set(names.values())
    # Plain and output names first, so a model that really is called ``UserInput`` cannot
    # push ``User``'s output shape to a suffix.
    ordered = sorted((key for key in defs if key not in names), key=lambda key: (key.endswith(_INPUT_SUFFIX), key))
    for key in ordered:
        definition = defs[key] if isinstance(defs[key], JSON_OBJECT) else {}
        name = base_type_name(key, definition)
        if key.endswith(_INPUT_SUFFIX):
            name += "Input"
        unique = name
        counter = 2
        while unique in used:
            unique = f"{name}{counter}"
            counter += 1
        used.add(unique)
        names[key] = unique
    return names
