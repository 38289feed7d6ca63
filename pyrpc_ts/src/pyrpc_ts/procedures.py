"""Procedures as TypeScript: typed signatures nested by dotted name, and a flat by-name table.

``Types`` is what ``createClient<Types>()`` exposes: ``users.get`` becomes
``client.users.get(id)``, parameters by position in declaration order (the order the server
accepts by-position params in), trailing optional ones optional, results as ``Promise<R>``.
``Procedures`` lists the same procedures flat by wire name with their params as one object,
for calls by name and for batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import jsdoc
from .mapping import INDENT, TypeMapper, note, required_set
from .naming import binding_name, property_key


@dataclass(frozen=True)
class Signature:
    """One procedure's rendered parts."""

    name: str
    parameters: str
    result: str
    doc_lines: tuple[str, ...]


@dataclass
class _Namespace:
    """A level of the ``Types`` tree: procedures and sub-namespaces by segment."""

    procedure: Signature | None = None
    children: dict[str, _Namespace] = field(default_factory=dict)


def signature(name: str, procedure: Mapping[str, Any], mapper: TypeMapper, indent: str) -> Signature:
    """The positional signature of one procedure, with its docstring and @param tags."""
    params = procedure.get("params")
    doc = jsdoc.text_lines(procedure.get("doc"))
    result_schema = procedure.get("result", True)
    result = mapper.map(result_schema, indent).text
    properties = params.get("properties") if isinstance(params, Mapping) else None
    if not isinstance(params, Mapping) or not isinstance(properties, Mapping):
        why = "params are not an object schema; arguments are not checked"
        return Signature(name, f"...args: {note('unknown[]', why).text}", result, tuple(doc))

    required = params.get("required")
    required_names = required_set(required)
    names = list(properties)
    # An optional parameter before a required one cannot be left out by position: only the
    # optional tail may be omitted, so any earlier optional parameter is written as required.
    last_required = max((i for i, n in enumerate(names) if n in required_names), default=-1)
    rendered: list[str] = []
    tags: list[str] = []
    taken: list[str] = []
    for index, wire_name in enumerate(names):
        schema = properties[wire_name]
        local = binding_name(str(wire_name), taken)
        taken.append(local)
        optional = wire_name not in required_names and index > last_required
        type_text = mapper.map(schema, indent).text
        if wire_name not in required_names and not optional:
            type_text += " /* has a default, but later parameters are required */"
        rendered.append(f"{local}{'?' if optional else ''}: {type_text}")
        if isinstance(schema, Mapping):
            tags.extend(_param_tag(local, schema))
    result_lines = jsdoc.text_lines(result_schema.get("description")) if isinstance(result_schema, Mapping) else []
    if result_lines:
        tags.append("@returns " + " ".join(result_lines))
    if doc and tags:
        doc.append("")
    return Signature(name, ", ".join(rendered), result, tuple(doc + tags))


def _param_tag(local: str, schema: Mapping[str, Any]) -> list[str]:
    """``@param name - description (minimum 0, default 1)``, or nothing when there is nothing to say."""
    text = " ".join(jsdoc.text_lines(schema.get("description")))
    constraints = ", ".join(line.removeprefix("@") for line in jsdoc.constraint_lines(schema))
    if constraints:
        text = f"{text} ({constraints})" if text else constraints
    return [f"@param {local} - {text}"] if text else []


def types_interface(procedures: Mapping[str, Any], mapper: TypeMapper) -> str:
    """The body of ``export interface Types``: one member per procedure, nested by dots."""
    root = _Namespace()
    for wire_name in sorted(procedures):
        node = root
        segments = wire_name.split(".")
        for segment in segments[:-1]:
            node = node.children.setdefault(segment, _Namespace())
        leaf = node.children.setdefault(segments[-1], _Namespace())
        procedure = procedures[wire_name]
        if not isinstance(procedure, Mapping):
            procedure = {}
        depth = INDENT * len(segments)
        leaf.procedure = signature(wire_name, procedure, mapper, depth)
    return _render_members(root, INDENT)


def _render_members(node: _Namespace, indent: str) -> str:
    out: list[str] = []
    for segment in sorted(node.children):
        child = node.children[segment]
        key = property_key(segment)
        sig = child.procedure
        if sig is not None:
            out.append(jsdoc.block(list(sig.doc_lines), indent))
        if not child.children and sig is not None:
            out.append(f"{indent}{key}({sig.parameters}): Promise<{sig.result}>;\n")
            continue
        out.append(f"{indent}{key}: {{\n")
        if sig is not None:
            # ``users`` is a procedure and a namespace: a callable object type with members.
            out.append(f"{indent}{INDENT}({sig.parameters}): Promise<{sig.result}>;\n")
        out.append(_render_members(child, indent + INDENT))
        out.append(f"{indent}}};\n")
    return "".join(out)


def procedures_interface(procedures: Mapping[str, Any], mapper: TypeMapper) -> str:
    """The body of ``export interface Procedures``: wire name to ``{ params; result }``."""
    out: list[str] = []
    inner = INDENT * 2
    for wire_name in sorted(procedures):
        procedure = procedures[wire_name]
        if not isinstance(procedure, Mapping):
            procedure = {}
        params = procedure.get("params", True)
        params_type = mapper.map(params, inner).text
        if params_type == "{}":
            params_type = "{ [key: string]: never }"
        result = mapper.map(procedure.get("result", True), inner).text
        out.append(f"{INDENT}{property_key(wire_name)}: {{\n")
        out.append(f"{inner}params: {params_type};\n{inner}result: {result};\n{INDENT}}};\n")
    return "".join(out)
