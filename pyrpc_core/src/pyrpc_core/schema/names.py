"""Stable names for ``$defs`` entries: adding or removing a model never makes a name mean another type.

A class (model, enum, dataclass, TypedDict, generic parametrization) is named as a whole, in
three steps, each by the class alone or loudly:

1. Its shapes. A class whose validation and serialization schemas differ has two names, the
   input shape's ``<Name>Input`` and the output shape's ``<Name>``; one whose schemas are equal
   has one, ``<Name>``. Whether they differ is decided by the class and the classes it refers
   to (its schemas are compared, whichever the document uses), never by whether some
   procedure also returns it.
2. Its levels, shortest first: the base name (the title, which is the class name unless
   ``model_config["title"]`` says otherwise; ``Page[User]`` gives ``Page_User``), then the base
   qualified by more and more of its module path (``PkgA_User``, ``App_PkgA_User``). At each
   level a class lists its names: ``User``, and ``UserInput`` when it has two shapes, whichever
   the document uses.
3. Its level: the first at which no other class of the document lists any of its names. Two
   classes sharing a short name therefore both lose it: ``User`` disappears (a compile error in
   a client) rather than starting to mean the other one, and a class's two names are always
   qualified alike. Adding a class can only take levels away from the others, and a name a
   class has is listed by no other, so a name present in two documents names the same class
   (and, by its suffix, the same shape) in both.

Classes that share their whole path (made by a factory) fall back to the most qualified
level and a hash of their schema (``App_User_1f3a9c0e``); classes of equal path and equal
schema share one entry.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

JsonSchemaMode = Literal["validation", "serialization"]

INPUT_SUFFIX = "Input"
"""What the input shape of a class whose two shapes differ adds to each of its candidates."""
REF_PREFIX = "#/$defs/"
"""What every reference to a ``$defs`` entry starts with."""
# A reference in sorted JSON text: a whole string "#/$defs/<key>" (after "$ref": or in a
# discriminator's mapping), not a key of an object. Only the key is captured.
_REF_IN_TEXT = re.compile(r'(?<=[^\\]"#/\$defs/)([0-9]+)(?="(?!:))')
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORDS = re.compile(r"[A-Za-z0-9]+")
# pydantic's short form of a generic argument: ``typing.List[app.User]`` -> ``List[User]``.
_DOTTED_PREFIX = re.compile(r"(?:[^.[\]]+\.)+([^.[\]]+)")


@dataclass(frozen=True, eq=False)
class Shape:
    """What naming needs of one definition: where it comes from, and its schema with holes for references.

    ``parts`` and ``refs`` interleave: ``parts[0] + label(refs[0]) + parts[1] + ...`` is the
    schema as sorted JSON text, with the references' labels filled in.
    """

    core_ref: str
    mode: JsonSchemaMode
    parts: tuple[str, ...]
    refs: tuple[str, ...]
    path: str
    """The class's module and qualname, generic arguments included (``app.models.Page[User]``)."""
    title: str | None

    @classmethod
    def of(cls, core_ref: str, mode: JsonSchemaMode, schema: Any) -> Shape:
        """The shape of ``schema``, whose references are ``#/$defs/<key>``."""
        # split() with one group alternates text and captured keys: [text, key, text, key, ..., text].
        pieces = _REF_IN_TEXT.split(_sorted_text(schema))
        # pydantic's core refs carry ids: "app.Page:140[app.User:141]" is the class app.Page[app.User].
        path = "".join(part.rsplit(":", 1)[0] for part in re.split(r"([\][,])", core_ref))
        title = schema.get("title") if isinstance(schema, dict) else None
        usable = title if isinstance(title, str) and title.strip() else None
        return cls(core_ref, mode, tuple(pieces[0::2]), tuple(pieces[1::2]), path, usable)

    def render(self, labels: Mapping[str, str]) -> str:
        """The sorted JSON text with ``labels`` in the holes (a key without a label stays as it is)."""
        return self.template.format(*[labels.get(ref, ref) for ref in self.refs])

    @cached_property
    def template(self) -> str:
        # str.format does the joining in C: naming renders every definition.
        return "{}".join(part.replace("{", "{{").replace("}", "}}") for part in self.parts)

    @cached_property
    def levels(self) -> tuple[str, ...]:
        """The candidate names, shortest first: the base name, then qualified by more of the module path."""
        head, bracket, arguments = self.path.partition("[")
        segments = head.split(".")
        generic = bracket + _DOTTED_PREFIX.sub(r"\1", arguments)
        default = segments[-1] + generic
        title = self.title
        if title is None or title == default:
            base = type_name(default)
        else:  # an explicit title; a generic's parametrizations inherit it, their arguments tell them apart
            base = type_name(title + generic if generic and "[" not in title else title)
        levels = [base]
        prefix = ""
        for segment in reversed(segments[:-1]):
            qualifier = module_qualifier(segment)
            if qualifier:
                prefix = f"{qualifier}_{prefix}"
                levels.append(prefix + base)
        return tuple(levels)


def type_name(text: str) -> str:
    """``text`` as a type name: itself when an ASCII identifier, else its words joined by ``_``."""
    name = text if _IDENTIFIER.fullmatch(text) else "_".join(_WORDS.findall(text))
    if not name:
        return "Model"
    return "_" + name if name[0].isdigit() else name


def module_qualifier(segment: str) -> str:
    """A module path segment as part of a name: ``pkg_a`` -> ``PkgA``; nothing for ``<locals>``."""
    if segment == "<locals>":
        return ""
    return "".join(word[0].upper() + word[1:] for word in _WORDS.findall(segment))


@dataclass(frozen=True)
class Names:
    """The outcome of naming a document's definitions."""

    by_key: dict[str, str]
    """The name of every key of the document (several keys may share one: the two modes of a class with one shape)."""
    origins: dict[str, str]
    """What each name denotes: the class's path, with ``(input)`` for an input shape."""


@dataclass
class _Definition:
    """One name given: the classes of a unit in one shape."""

    levels: tuple[str, ...]
    groups: list[tuple[str, bool]]
    """``(core ref, is input shape)`` of its classes (several only for classes of one path and schema)."""
    digest: str = ""


def choose_names(document: Sequence[str], shapes: Mapping[str, Shape]) -> Names:
    """The names of the ``document`` keys.

    ``shapes`` holds those keys, the other mode of each of their classes, and everything those
    refer to: whether a class's two shapes differ is decided on both, even when the document
    uses one. A class is named as a whole: a class with two shapes lists ``X`` and ``XInput``
    at each level, whichever the document uses, so its two names are qualified alike.
    """
    inputs = _input_classes(shapes)
    groups: dict[tuple[str, bool], list[str]] = defaultdict(list)
    for key in document:
        shape = shapes[key]
        groups[(shape.core_ref, shape.mode == "validation" and shape.core_ref in inputs)].append(key)
    digests = _Digests(shapes, inputs)
    by_levels: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for core_ref in dict.fromkeys(core_ref for core_ref, _ in groups):
        by_levels[digests.shape_of(core_ref).levels].append(core_ref)
    units: list[_Unit] = []
    for levels, members in by_levels.items():
        if len(members) == 1:
            units.append(_Unit(levels, members[0] in inputs, members))
            continue
        # Classes of one path: told apart by their schemas' hashes, equal ones are one unit.
        by_digest: dict[tuple[str, bool], list[str]] = defaultdict(list)
        for core_ref in members:
            by_digest[(digests.of(core_ref), core_ref in inputs)].append(core_ref)
        units += [_Unit(levels, two, same, digest) for (digest, two), same in by_digest.items()]
    listed: defaultdict[str, int] = defaultdict(int)
    for unit in units:
        for candidate in {name for level in unit.levels for name in unit.names(level)}:
            listed[candidate] += 1
    chosen: dict[str, list[_Definition]] = defaultdict(list)
    for unit in units:
        base = next((level for level in unit.levels if all(listed[name] == 1 for name in unit.names(level))), None)
        if base is None:  # every candidate is another's too: the most qualified one and a hash
            base = f"{unit.levels[-1]}_{unit.digest or digests.of(unit.core_refs[0])}"
        for is_input in (False, True):
            shaped = [(core_ref, is_input) for core_ref in unit.core_refs if (core_ref, is_input) in groups]
            if shaped:
                name = base + INPUT_SUFFIX if is_input else base
                chosen[name].append(_Definition(unit.levels, shaped, unit.digest))
    return _settle(chosen, groups, shapes)


@dataclass
class _Unit:
    """What is named as one: a class, or classes of one path and schema (made by a factory)."""

    levels: tuple[str, ...]
    two_shapes: bool
    core_refs: list[str]
    digest: str = ""

    def names(self, level: str) -> tuple[str, ...]:
        """The names the unit takes at ``level``: its output (or only) shape's, and its input shape's."""
        return (level, level + INPUT_SUFFIX) if self.two_shapes else (level,)


class _Digests:
    """Short hashes of classes' schemas, references written as class paths: the same in every process."""

    def __init__(self, shapes: Mapping[str, Shape], inputs: set[str]):
        self._shapes = shapes
        self._inputs = inputs
        self._by_class: dict[str, Shape] = {}
        for shape in shapes.values():  # its output shape when it has both
            if shape.core_ref not in self._by_class or shape.mode == "serialization":
                self._by_class[shape.core_ref] = shape
        self._labels: dict[str, str] | None = None

    def shape_of(self, core_ref: str) -> Shape:
        """The class's output shape, or its only one: the same whichever shape the document uses."""
        return self._by_class[core_ref]

    def of(self, core_ref: str) -> str:
        if self._labels is None:
            self._labels = {
                key: _origin(shape, shape.mode == "validation" and shape.core_ref in self._inputs)
                for key, shape in self._shapes.items()
            }
        return hashlib.sha256(self.shape_of(core_ref).render(self._labels).encode()).hexdigest()[:8]


def _settle(
    chosen: Mapping[str, list[_Definition]], groups: Mapping[tuple[str, bool], list[str]], shapes: Mapping[str, Shape]
) -> Names:
    """Keys and origins of the chosen names.

    A name two definitions reached (a hash met a class named like it) is numbered, and so are
    keys that share a name with another schema (classes of one path and equal hashes that
    refer to different classes): the one corner where names are not stable, and every name
    still denotes one schema.
    """
    by_key: dict[str, str] = {}
    origins: dict[str, str] = {}
    shared: list[str] = []
    used = set(chosen)
    for name in sorted(chosen):
        ordered = sorted(chosen[name], key=lambda definition: (definition.digest, definition.levels))
        for number, definition in enumerate(ordered, start=1):
            final = name if number == 1 else _fresh(name, used)
            for group in definition.groups:
                for key in groups[group]:
                    by_key[key] = final
            origins[final] = _origin(shapes[groups[definition.groups[0]][0]], definition.groups[0][1])
            if len(definition.groups) > 1:
                shared.append(final)
    keys_of: dict[str, list[str]] = defaultdict(list)
    for key, name in by_key.items():
        keys_of[name].append(key)
    for name in shared:
        variants: dict[str, list[str]] = defaultdict(list)
        for key in keys_of[name]:
            variants[shapes[key].render(by_key)].append(key)
        for text in sorted(variants)[1:]:
            other = _fresh(name, used)
            for key in variants[text]:
                by_key[key] = other
            origins[other] = origins[name]
    return Names(by_key, origins)


def _fresh(name: str, used: set[str]) -> str:
    """``name_2``, ``name_3``...: the first not in ``used``, which then holds it."""
    number = 2
    while f"{name}_{number}" in used:
        number += 1
    used.add(f"{name}_{number}")
    return f"{name}_{number}"


def _origin(shape: Shape, is_input: bool) -> str:
    return shape.path + (" (input)" if is_input else "")


def _input_classes(shapes: Mapping[str, Shape]) -> set[str]:
    """The core refs of the classes whose validation and serialization shapes differ.

    The coarsest answer consistent with the schemas: a class differs when its two schemas
    differ once every reference names its class and, for classes that differ, its mode. It
    starts from "none differ" and marks classes until nothing changes; a class marked changes
    the texts of those that refer to it, and only those are looked at again. A class with one
    shape known (the other could not be generated) counts as differing.
    """
    pairs: dict[str, dict[str, str]] = defaultdict(dict)
    for key, shape in shapes.items():
        pairs[shape.core_ref][shape.mode] = key
    ids = {core_ref: str(number) for number, core_ref in enumerate(pairs)}
    labels = {key: ids[shape.core_ref] for key, shape in shapes.items()}
    users: defaultdict[str, set[str]] = defaultdict(set)
    for shape in shapes.values():
        for ref in shape.refs:
            target = shapes.get(ref)
            if target is not None:
                users[target.core_ref].add(shape.core_ref)
    differing: set[str] = set()
    pending = list(pairs)
    while pending:
        core_ref = pending.pop()
        if core_ref in differing:
            continue
        modes = pairs[core_ref]
        validation, serialization = modes.get("validation"), modes.get("serialization")
        if (
            validation is not None
            and serialization is not None
            and shapes[validation].render(labels) == shapes[serialization].render(labels)
        ):
            continue
        differing.add(core_ref)
        if validation is not None:
            labels[validation] += "<"
        pending.extend(users[core_ref] - differing)
    return differing


def rename_refs(node: Any, names: Mapping[str, str]) -> Any:
    """A copy of the JSON value ``node`` with every ``#/$defs/<key>`` string pointing to ``names[key]``.

    Every such string: ``$ref`` values and a discriminator's mapping.
    """
    if isinstance(node, dict):
        return {field: rename_refs(value, names) for field, value in node.items()}
    if isinstance(node, list):
        return [rename_refs(item, names) for item in node]
    if isinstance(node, str) and node.startswith(REF_PREFIX):
        name = names.get(node[len(REF_PREFIX) :])
        return node if name is None else REF_PREFIX + name
    return node


def refs_in(schemas: Iterable[Any]) -> Sequence[str]:
    """The keys of the references in ``schemas``, in order of appearance, each once."""
    found: dict[str, None] = {}
    for schema in schemas:
        for key in _REF_IN_TEXT.findall(_sorted_text(schema)):
            found.setdefault(key, None)
    return list(found)


def _sorted_text(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
