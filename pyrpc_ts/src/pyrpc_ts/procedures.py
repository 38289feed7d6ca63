"""Procedures as TypeScript: typed signatures nested by dotted name, and a flat by-name table.

``Types`` is what ``createClient<Types>()`` exposes: ``users.get`` becomes
``client.users.get(id)``, parameters by position in declaration order (the order the server
accepts by-position params in), trailing optional ones optional, results as ``Promise<R>``, and a
streaming procedure's (``"stream": true``, a generator in Python) as ``AsyncIterable<Item>``.
``Procedures`` lists the same procedures flat by wire name with their params as one object
(``params``) and by position (``args``), for calls by wire name (``client.$call``) and batches;
a streaming procedure's entry says ``stream: true`` (its ``result`` is the type of each item).
Each procedure's text is built alone (``procedure_text``), so ``emit`` can keep it between
calls while the procedure does not change.

With the emitter option ``calls: "named"`` (``named_procedure_text``) each procedure takes its
params as one object instead (``add(params: { a: number; b?: number })``), which the client
sends by name, so that reordering two parameters in Python cannot swap a caller's arguments.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import jsdoc
from .json_object import JSON_OBJECT
from .mapping import INDENT, TypeMapper, note, required_set
from .naming import binding_name, property_key, quoted


@dataclass(frozen=True)
class Signature:
    """One procedure's rendered parts."""

    name: str
    parameters: str
    result: str
    doc_lines: tuple[str, ...]


@dataclass(frozen=True)
class ProcedureText:
    """One procedure's text in every place it appears, built once from its entry and wire name.

    ``leaf`` is its member of ``Types`` when no other procedure sits under its name;
    ``callable_head`` opens it as a callable namespace (``users`` with ``users.get`` below);
    ``member`` is its member of ``Procedures``; ``quoted`` its name in the ``procedures`` list.
    """

    leaf: str
    callable_head: str
    member: str
    quoted: str


@dataclass
class _Namespace:
    """A level of the ``Types`` tree: procedures and sub-namespaces by segment."""

    procedure: ProcedureText | None = None
    children: dict[str, _Namespace] = field(default_factory=dict)


def signature(name: str, procedure: Mapping[str, Any], mapper: TypeMapper, indent: str) -> Signature:
    """The positional signature of one procedure, with its docstring and @param tags."""
    params = procedure.get("params")
    doc = jsdoc.text_lines(procedure.get("doc"))
    result_schema = procedure.get("result", True)
    result = mapper.map(result_schema, indent).text
    properties = params.get("properties") if isinstance(params, JSON_OBJECT) else None
    if not isinstance(params, JSON_OBJECT) or not isinstance(properties, JSON_OBJECT):
        why = "params are not an object schema; arguments are not checked"
        return Signature(name, f"...args: {note('unknown[]', why).text}", result, tuple(doc))

    required = params.get("required")
    required_names = required_set(required)
    names = list(properties)
    # An optional parameter before a required one cannot be left out by position: only the
    # optional tail may be omitted, so any earlier optional parameter is written as required.
    last_required = _last_required(names, required_names)
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
        if isinstance(schema, JSON_OBJECT):
            tags.extend(_param_tag(local, schema))
    return Signature(name, ", ".join(rendered), result, _doc_lines(doc, tags, result_schema))


def named_signature(name: str, procedure: Mapping[str, Any], mapper: TypeMapper, indent: str) -> Signature:
    """The by-name signature: one object of params (``params``), optional when none is required, none when no params.

    The object's properties carry their own JSDoc (descriptions, constraints, defaults), so
    no ``@param`` tags are written.
    """
    params = procedure.get("params", True)
    doc = jsdoc.text_lines(procedure.get("doc"))
    result_schema = procedure.get("result", True)
    result = mapper.map(result_schema, indent).text
    parameters = _named_parameter(params, mapper.map(params, indent).text)
    return Signature(name, parameters, result, _doc_lines(doc, [], result_schema))


def _doc_lines(doc: list[str], tags: list[str], result_schema: Any) -> tuple[str, ...]:
    """A signature's JSDoc: the docstring, a blank line, the tags and ``@returns`` (the result's description)."""
    result_lines = jsdoc.text_lines(result_schema.get("description")) if isinstance(result_schema, JSON_OBJECT) else []
    if result_lines:
        tags.append("@returns " + " ".join(result_lines))
    if doc and tags:
        doc.append("")
    return tuple(doc + tags)


def _last_required(names: list[str], required_names: set[str]) -> int:
    """The index of the last required parameter (-1 for none): only the optional ones after it may be left out."""
    return max((i for i, n in enumerate(names) if n in required_names), default=-1)


def _named_parameter(params: Any, params_type: str, written: str | None = None) -> str:
    """``params: T``, ``params?: T`` when no property is required, or nothing when there are no params.

    ``params_type`` is the params schema as a type (``{}``: none); ``written`` what to write
    in its place (``Procedures`` refers to its own ``params``).
    """
    if params_type == "{}":
        return ""
    properties = params.get("properties") if isinstance(params, JSON_OBJECT) else None
    required = isinstance(properties, JSON_OBJECT) and bool(required_set(params.get("required")) & set(properties))
    return f"params{'' if required else '?'}: {params_type if written is None else written}"


def gap_names(procedure: Any) -> list[str] | None:
    """The parameter names of a procedure whose positional call may leave a gap, else None.

    Only the optional tail of a positional signature may be left out, and a gap needs two
    of its parameters (``opt_middle(undefined, "y")``): the client sends such a call by name,
    which takes the names of every parameter.
    """
    params = procedure.get("params") if isinstance(procedure, JSON_OBJECT) else None
    properties = params.get("properties") if isinstance(params, JSON_OBJECT) else None
    if not isinstance(params, JSON_OBJECT) or not isinstance(properties, JSON_OBJECT):
        return None
    names = [str(name) for name in properties]
    last_required = _last_required(names, required_set(params.get("required")))
    return names if len(names) - last_required - 1 >= 2 else None


def _param_tag(local: str, schema: Mapping[str, Any]) -> list[str]:
    """``@param name - description (minimum 0, default 1)``, or nothing when there is nothing to say."""
    text = " ".join(jsdoc.text_lines(schema.get("description")))
    constraints = ", ".join(line.removeprefix("@") for line in jsdoc.constraint_lines(schema))
    if constraints:
        text = f"{text} ({constraints})" if text else constraints
    return [f"@param {local} - {text}"] if text else []


def procedure_text(wire_name: str, procedure: Any, mapper: TypeMapper) -> ProcedureText:
    """Everything the package says about the procedure ``wire_name``, its params by position."""
    return _procedure_text(wire_name, procedure, mapper, named=False)


def named_procedure_text(wire_name: str, procedure: Any, mapper: TypeMapper) -> ProcedureText:
    """Everything the package says about the procedure ``wire_name``, its params one object by name."""
    return _procedure_text(wire_name, procedure, mapper, named=True)


def _procedure_text(wire_name: str, procedure: Any, mapper: TypeMapper, *, named: bool) -> ProcedureText:
    if not isinstance(procedure, JSON_OBJECT):
        procedure = {}
    segments = wire_name.split(".")
    indent = INDENT * len(segments)
    key = property_key(segments[-1])
    sig = (named_signature if named else signature)(wire_name, procedure, mapper, indent)
    doc = jsdoc.block(list(sig.doc_lines), indent)
    returns = "AsyncIterable" if is_stream(procedure) else "Promise"
    call = f"({sig.parameters}): {returns}<{sig.result}>;\n"
    return ProcedureText(
        leaf=f"{doc}{indent}{key}{call}",
        callable_head=f"{doc}{indent}{key}: {{\n{indent}{INDENT}{call}",
        member=_flat_member(wire_name, procedure, mapper, named=named),
        quoted=quoted(wire_name),
    )


def is_stream(procedure: Any) -> bool:
    """Whether the entry is a streaming procedure's: ``"stream": true`` (only ``true`` counts)."""
    return isinstance(procedure, JSON_OBJECT) and procedure.get("stream") is True


def _flat_member(wire_name: str, procedure: Mapping[str, Any], mapper: TypeMapper, *, named: bool) -> str:
    """The member of ``Procedures``: wire name to ``{ params; args; result }`` (and ``stream: true``).

    ``params`` are the params by name (one object), ``args`` the arguments of the call in
    ``Types`` (a labelled tuple of the signature's parameters: by position, or the one object
    of named calls), so that a call by wire name is typed either way. A
    streaming procedure's ``result`` is its item type, and ``stream: true`` says so, which the
    client's typed ``$call`` and ``$stream`` tell apart.
    """
    inner = INDENT * 2
    params = procedure.get("params", True)
    params_type = mapper.map(params, inner).text
    if named:  # the one object of the call, written once
        args = _named_parameter(params, params_type, f'Procedures[{quoted(wire_name)}]["params"]')
    else:
        args = signature(wire_name, procedure, mapper, inner).parameters
    if params_type == "{}":
        params_type = "{ [key: string]: never }"
    result = mapper.map(procedure.get("result", True), inner).text
    stream = f"{inner}stream: true;\n" if is_stream(procedure) else ""
    errors = _errors_member(procedure, mapper, inner)
    return (
        f"{INDENT}{property_key(wire_name)}: {{\n{inner}params: {params_type};\n{inner}args: [{args}];\n"
        f"{inner}result: {result};\n{stream}{errors}{INDENT}}};\n"
    )


def declared_errors(procedure: Any) -> list[Mapping[str, Any]]:
    """The entry's declared errors (``"errors"``) a client can tell apart: objects with an integer ``code``."""
    errors = procedure.get("errors") if isinstance(procedure, JSON_OBJECT) else None
    if not isinstance(errors, list):
        return []
    return [
        error
        for error in errors
        if isinstance(error, JSON_OBJECT) and isinstance(error.get("code"), int) and not isinstance(error["code"], bool)
    ]


def _errors_member(procedure: Mapping[str, Any], mapper: TypeMapper, inner: str) -> str:
    """``errors``: the union of the declared errors, ``{ code: 4004; message: string; data: T }`` each.

    ``data?: unknown`` for an error whose entry has no data type; the member is left out when
    the procedure declares none (see ``@pyrpc/client``'s ``$isError``, which narrows to it).
    """
    members: list[str] = []
    for error in declared_errors(procedure):
        data = f"data: {mapper.map(error['data'], inner + INDENT).text}" if "data" in error else "data?: unknown"
        members.append(f"{{ code: {json.dumps(error['code'])}; message: string; {data} }}")
    if not members:
        return ""
    if len(members) == 1:
        return f"{inner}errors: {members[0]};\n"
    lines = "".join(f"\n{inner}{INDENT}| {member}" for member in members)
    return f"{inner}errors:{lines};\n"


def types_interface(texts: Mapping[str, ProcedureText]) -> str:
    """The body of ``export interface Types``: one member per procedure, nested by dots."""
    root = _Namespace()
    for wire_name, text in texts.items():
        node = root
        for segment in wire_name.split("."):
            child = node.children.get(segment)
            if child is None:
                child = node.children[segment] = _Namespace()
            node = child
        node.procedure = text
    return _render_members(root, INDENT)


def _render_members(node: _Namespace, indent: str) -> str:
    out: list[str] = []
    for segment in sorted(node.children):
        child = node.children[segment]
        text = child.procedure
        if not child.children and text is not None:
            out.append(text.leaf)
            continue
        if text is not None:
            # ``users`` is a procedure and a namespace: a callable object type with members.
            out.append(text.callable_head)
        else:
            out.append(f"{indent}{property_key(segment)}: {{\n")
        out.append(_render_members(child, indent + INDENT))
        out.append(f"{indent}}};\n")
    return "".join(out)


def procedures_interface(texts: Iterable[ProcedureText]) -> str:
    """The body of ``export interface Procedures``, in the order given (sorted by wire name)."""
    return "".join(text.member for text in texts)


def wire_names(texts: Iterable[ProcedureText]) -> str:
    """The ``procedures`` list's items, in the order given (sorted by wire name)."""
    return ", ".join(text.quoted for text in texts)
