"""The pieces of introspection documents, generated once and reused while their classes live.

pydantic generates a set of JSON Schemas in one go, then names all their ``$defs`` together.
On a large API that is most of what ``pyrpc dev`` spends after a save, although a save
changes a module or two. So the document is built from cached pieces:

- a definition (a model, enum, dataclass or TypedDict, in one mode) is cached with its class,
  which keeps the class alive: pydantic's core reference holds ``id(class)``, and a live
  class's id is its own. A class that pydantic rebuilt since is generated again;
- a procedure's params and result are cached with the ``Procedure`` object.

New pieces come from pydantic (``SchemaGenerator``), told not to descend into definitions
already cached. Every class is generated in both modes, whichever the document uses: naming
(``names``) gives a class whose two shapes differ an input name, decided by the class alone.
Names are chosen over the whole document, and a piece is renamed again only when the names it
refers to changed.

Unchanged parts of successive documents are the same objects: documents are read-only. That
holds for entries built anew that read as before, too (``_SameAsBefore``): after a reload, most do.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import (
    CoreModeRef,
    DefsRef,
    JsonRef,
    JsonSchemaMode,
    JsonSchemaValue,
    _DefinitionsRemapping,  # pydantic's own: its naming round, skipped
)
from pydantic_core import CoreSchema

from ..errors import data_adapter, declared_message
from ..procedure import Procedure
from .generator import SchemaGenerator
from .names import REF_PREFIX, Names, Shape, choose_names, refs_in, rename_refs
from .recent import Recent

_KEY_TEMPLATE = REF_PREFIX + "{model}"
_OTHER_MODE: dict[str, JsonSchemaMode] = {"validation": "serialization", "serialization": "validation"}

# How many builds a piece may go unused before it is dropped: two, so that a process building
# two registries in turn (a dev server and its introspection, say) keeps both warm.
_KEEP_BUILDS = 2


@dataclass(eq=False)
class _Definition:
    """One ``$defs`` entry, with references as ``#/$defs/<key>`` until names are chosen."""

    key: str
    shape: Shape
    schema: JsonSchemaValue
    owner: Any
    """The class it was generated from; None when there is none to check (never reused then)."""
    owner_core: Any
    """The owner's ``__pydantic_core_schema__`` at generation: another one means it was rebuilt."""
    virtual: bool = False
    """A mode no procedure used, of a class whose schema depends on where it is used (a TypedDict, a
    plain dataclass: pydantic gives them the configuration of the model around them), generated
    in no context. It stands for the class in naming only; a use in a document is generated."""
    reusable: bool = False
    last_used: int = 0
    renamed: tuple[tuple[str, ...], JsonSchemaValue] | None = None
    """The last renamed copy, with the names of its references it was made with."""


@dataclass(eq=False)
class _ProcedurePiece:
    """A procedure's params and result schemas, with references as ``#/$defs/<key>``."""

    params: JsonSchemaValue
    result: JsonSchemaValue
    refs: tuple[str, ...]
    core_schemas: tuple[Any, Any]
    params_key: str | None
    """The key of the params model's definition (the params are a reference to it), inlined in the entry."""
    reusable: bool = False
    last_used: int = 0
    entry: tuple[Procedure, tuple[str, ...], JsonSchemaValue | None, dict[str, Any]] | None = None
    """The last document entry, with what it was made from: the procedure (a reload's may share the piece),
    the names of its references and the renamed params model."""
    errors: tuple[JsonSchemaValue | None, ...] = ()
    """The data schema of each declared error (``Procedure.errors``), None for one that declares no data type."""


@dataclass
class _Keys:
    """Unique keys for ``(core ref, mode)`` pairs; a key is never given twice in a process."""

    by_ref: dict[tuple[str, str], str] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def get(self, core_mode_ref: tuple[str, str]) -> str:
        key = self.by_ref.get(core_mode_ref)
        if key is None:
            key = self.by_ref[core_mode_ref] = str(next(self.counter))
        return key


class SchemaCache:
    """Builds the ``procedures`` and ``$defs`` of documents, reusing what earlier builds generated."""

    def __init__(self) -> None:
        self._keys = _Keys()
        self._definitions: dict[str, _Definition] = {}
        self._procedures: dict[Procedure, _ProcedurePiece] = {}
        self._named: dict[str, Procedure] = {}
        """The latest procedure of each name with a piece (``Procedure.reuse_models`` may let another share it)."""
        self._builds = 0
        self._lock = threading.RLock()
        self._last: tuple[tuple[Procedure, ...], dict[str, str]] = ((), {})
        self._same = _SameAsBefore()
        self._last_names: tuple[list[str], dict[str, Shape], Names] | None = None

    def build(self, procedures: Sequence[Procedure]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(procedures, $defs)`` of the document for ``procedures`` (sorted by name)."""
        with self._lock:
            self._builds += 1
            pieces = self._pieces(procedures)
            params_keys = {piece.params_key for piece in pieces.values() if piece.params_key is not None}
            keys = [
                key for key in self._reachable(pieces[procedure] for procedure in procedures) if key not in params_keys
            ]
            chosen = self._names(keys, {key: self._definitions[key].shape for key in self._with_other_modes(keys)})
            # The params models go in their entries, unnamed: their keys stand for themselves.
            names = chosen.by_key | {key: key for key in params_keys}
            entries = {procedure.name: self._entry(procedure, pieces[procedure], names) for procedure in procedures}
            defs = {names[key]: self._renamed(self._definitions[key], names) for key in keys}
            self._last = (tuple(procedures), chosen.origins)
            self._forget_unused()
            same = self._same
            entries = {name: same.entry(("procedures", name), entry) for name, entry in entries.items()}
            defs = {name: same.entry(("$defs", name), defs[name]) for name in sorted(defs)}
            same.settle()
            return entries, defs

    def _names(self, keys: list[str], shapes: dict[str, Shape]) -> Names:
        """``choose_names(keys, shapes)``; the last answer when asked the same (a usual save changes no class)."""
        last = self._last_names
        if last is not None and last[0] == keys and len(last[1]) == len(shapes):
            earlier = last[1]
            if all(earlier.get(key) is shape for key, shape in shapes.items()):
                return last[2]
        chosen = choose_names(keys, shapes)
        self._last_names = (keys, shapes, chosen)
        return chosen

    def origins(self, procedures: Sequence[Procedure]) -> dict[str, str]:
        """What each ``$defs`` name of the document for ``procedures`` denotes (``Names.origins``)."""
        with self._lock:  # reentrant: another thread's build must not come between ours and its origins
            built = self._last[0]
            if len(built) != len(procedures) or not all(a is b for a, b in zip(built, procedures, strict=True)):
                self.build(procedures)
            return dict(self._last[1])

    def _pieces(self, procedures: Sequence[Procedure]) -> dict[Procedure, _ProcedurePiece]:
        pieces: dict[Procedure, _ProcedurePiece] = {}
        missing: list[Procedure] = []
        for procedure in procedures:
            piece = self._procedures.get(procedure)
            if piece is None:  # registered again by a reload: its earlier self's, if its models are the same
                earlier = self._named.get(procedure.name)
                if earlier is not None and earlier.errors == procedure.errors:
                    piece = self._procedures.get(earlier)
            if piece is not None and piece.reusable and _same(piece.core_schemas, _core_schemas(procedure)):
                pieces[procedure] = self._keep(procedure, piece)
            else:
                missing.append(procedure)
        if missing:
            pieces.update(self._generate(missing))
        for piece in pieces.values():
            piece.last_used = self._builds
        return pieces

    def _generate(self, procedures: Sequence[Procedure]) -> dict[Procedure, _ProcedurePiece]:
        """Generate the pieces of ``procedures`` and of the definitions they reach that are not cached."""
        generator = _CachingGenerator(self, by_alias=True, ref_template=_KEY_TEMPLATE)
        inputs: list[tuple[tuple[int, str], JsonSchemaMode, CoreSchema]] = []
        cores = [_core_schemas(procedure) for procedure in procedures]
        for index, (params_core, result_core, *errors_core) in enumerate(cores):
            inputs.append(((index, "params"), "validation", params_core))
            inputs.append(((index, "result"), "serialization", result_core))
            # Declared errors' data goes out as results do: serialization mode, in the same $defs.
            inputs.extend(((index, f"error {i}"), "serialization", core) for i, core in enumerate(errors_core))
        schemas, new_definitions = generator.generate_definitions(inputs)
        fresh = self._store(generator, new_definitions)
        params_keys: list[str | None] = []
        for index in range(len(procedures)):
            params = schemas[((index, "params"), "validation")]
            params_keys.append(str(params["$ref"]).removeprefix(REF_PREFIX) if set(params) == {"$ref"} else None)
        # A params model is the procedure's own, never named: its other mode would be wasted work.
        fresh += self._generate_other_modes(fresh, generator.nodes, {key for key in params_keys if key})
        self._settle_reusable(fresh)
        pieces: dict[Procedure, _ProcedurePiece] = {}
        for index, procedure in enumerate(procedures):
            params = schemas[((index, "params"), "validation")]
            result = schemas[((index, "result"), "serialization")]
            params_key = params_keys[index]
            # The core schemas past params and result are those of the errors that declare a data type.
            found = iter(schemas[((index, f"error {i}"), "serialization")] for i in range(len(cores[index]) - 2))
            errors = tuple(next(found) if data_adapter(error) is not None else None for error in procedure.errors)
            refs = tuple(refs_in([params, result, *(schema for schema in errors if schema is not None)]))
            piece = _ProcedurePiece(params, result, refs, cores[index], params_key, errors=errors)
            piece.reusable = all(self._definitions[key].reusable for key in piece.refs)
            pieces[procedure] = self._keep(procedure, piece)
        return pieces

    def _keep(self, procedure: Procedure, piece: _ProcedurePiece) -> _ProcedurePiece:
        """Cache ``piece`` as ``procedure``'s, and as the latest of its name."""
        self._procedures[procedure] = piece
        self._named[procedure.name] = procedure
        return piece

    def _store(
        self, generator: _CachingGenerator, new_definitions: dict[DefsRef, JsonSchemaValue], unused: bool = False
    ) -> list[str]:
        """Keep the definitions a generator made; their keys. ``unused``: of modes no procedure used."""
        for key, schema in new_definitions.items():
            core_ref, mode = generator.defs_to_core_refs[DefsRef(key)]
            owner = generator.owners.get((core_ref, mode))
            self._definitions[key] = _Definition(
                key=key,
                shape=Shape.of(core_ref, mode, schema),
                schema=schema,
                owner=owner,
                owner_core=getattr(owner, "__pydantic_core_schema__", None),
                virtual=unused and not _context_free(owner),
            )
        return list(new_definitions)

    def _generate_other_modes(self, fresh: list[str], nodes: dict[tuple[str, str], Any], skip: set[str]) -> list[str]:
        """Generate the other mode of each class generated now that has no valid one; the keys added.

        Naming compares a class's two shapes, so every class is cached in both modes. The
        other mode can reach classes of its own (a computed field's type): the loop goes on
        until every class has both. A class whose other mode pydantic cannot describe keeps one
        (naming then counts it as having two shapes that differ).
        """
        generated = set(fresh)
        added: list[str] = []
        pending = fresh
        while pending:
            wanted: dict[tuple[str, JsonSchemaMode], Any] = {}
            for key in pending:
                shape = self._definitions[key].shape
                node = nodes.get((shape.core_ref, shape.mode))
                other = (shape.core_ref, _OTHER_MODE[shape.mode])
                if key in skip or node is None or other in wanted:
                    continue
                other_key = self._keys.by_ref.get(other)
                if other_key in generated or self.reusable(*other, node, virtual=True) is not None:
                    continue
                if other_key is not None:
                    self._definitions.pop(other_key, None)  # of a class since rebuilt or reloaded
                wanted[other] = _in_no_context(*other, node)
            pending = self._generate_modes(list(wanted.items()), nodes, generated)
            generated.update(pending)
            added += pending
        return added

    def _generate_modes(
        self, batch: list[tuple[tuple[str, JsonSchemaMode], Any]], nodes: dict[Any, Any], generated: set[str]
    ) -> list[str]:
        """Generate each core schema of ``batch`` in its mode; on a failure, each on its own, skipping those that fail.

        What this build generated already is referred to, never generated again: a class's
        schema can depend on where it is met, and the document's is the one it used.
        """
        if not batch:
            return []
        generator = _CachingGenerator(self, by_alias=True, ref_template=_KEY_TEMPLATE, unused=True, known=generated)
        try:
            _, new_definitions = generator.generate_definitions(
                [(index, mode, node) for index, ((_, mode), node) in enumerate(batch)]
            )
        except Exception:  # a mode no procedure uses must not fail the document
            if len(batch) == 1:
                return []
            return [key for item in batch for key in self._generate_modes([item], nodes, generated)]
        nodes.update(generator.nodes)
        return self._store(generator, new_definitions, unused=True)

    def _settle_reusable(self, keys: Iterable[str]) -> None:
        """Mark the new definitions that later builds may reuse: those with an owner, reusable
        references and a reusable other mode (the two are cached together).

        A definition without a class to check (a recursive type alias, say) is generated again
        by every build, and so is everything that refers to it.
        """
        pending = [self._definitions[key] for key in keys]
        for definition in pending:
            definition.reusable = definition.owner is not None
        changed = True
        while changed:  # references can form cycles; unmark until stable
            changed = False
            for definition in pending:
                if definition.reusable and not all(
                    self._is_reusable(ref) for ref in (*definition.shape.refs, *self._other_mode(definition.shape))
                ):
                    definition.reusable = False
                    changed = True

    def _is_reusable(self, key: str) -> bool:
        definition = self._definitions.get(key)
        return definition is not None and definition.reusable

    def _other_mode(self, shape: Shape) -> tuple[str, ...]:
        """The key of the other mode of the shape's class, when it has one."""
        key = self._keys.by_ref.get((shape.core_ref, _OTHER_MODE[shape.mode]))
        return (key,) if key is not None and key in self._definitions else ()

    def reusable(self, core_ref: str, mode: JsonSchemaMode, core_schema: Any, virtual: bool = False) -> str | None:
        """The key of the cached definition of ``core_schema`` when it may be reused, else None.

        ``virtual``: for a mode no procedure uses, where a definition generated in no context will do.
        """
        key = self._keys.by_ref.get((core_ref, mode))
        definition = self._definitions.get(key) if key is not None else None
        if definition is None or not definition.reusable or (definition.virtual and not virtual):
            return None
        owner = core_schema.get("cls")
        if (
            owner is not definition.owner
            or getattr(owner, "__pydantic_core_schema__", None) is not definition.owner_core
        ):
            return None
        return definition.key

    def cached_schema(self, key: str, known: Collection[str] = ()) -> JsonSchemaValue | None:
        """The schema of a reusable definition, or of one of ``known`` (generated by this build)."""
        definition = self._definitions.get(key)
        return definition.schema if definition is not None and (definition.reusable or key in known) else None

    def key(self, core_mode_ref: tuple[str, str]) -> str:
        return self._keys.get(core_mode_ref)

    def known_key(self, core_mode_ref: tuple[str, str], known: Collection[str]) -> str | None:
        """The key of ``core_mode_ref`` when it is one of ``known`` and defined, else None."""
        key = self._keys.by_ref.get(core_mode_ref)
        return key if key in known and key in self._definitions else None

    def _reachable(self, pieces: Iterable[_ProcedurePiece]) -> list[str]:
        """The definition keys the pieces reach, depth first, a definition after those it refers to; marks them used.

        Close to the order in which pydantic meets them (it names a definition once its body
        is generated); it only matters for numbering classes that share a module and qualname.
        """
        done: dict[str, None] = {}
        entered: set[str] = set()
        for root in (key for piece in pieces for key in piece.refs):
            stack = [(root, False)]
            while stack:
                key, leaving = stack.pop()
                if leaving:
                    done[key] = None
                    continue
                if key in entered:
                    continue
                entered.add(key)
                definition = self._definitions[key]
                definition.last_used = self._builds
                stack.append((key, True))
                stack.extend((ref, False) for ref in reversed(definition.shape.refs))
        return list(done)

    def _with_other_modes(self, keys: Iterable[str]) -> list[str]:
        """``keys``, the other mode of their classes, and what those reach: what naming compares; marks them used."""
        found = dict.fromkeys(keys)
        pending = list(found)
        while pending:
            definition = self._definitions.get(pending.pop())
            if definition is None:
                continue
            definition.last_used = self._builds
            for key in (*definition.shape.refs, *self._other_mode(definition.shape)):
                if key not in found:
                    found[key] = None
                    pending.append(key)
        return [key for key in found if key in self._definitions]

    def _renamed(self, definition: _Definition, names: dict[str, str]) -> JsonSchemaValue:
        """The definition with its references renamed; the same object as last time when their names did not change."""
        ref_names = tuple(names[ref] for ref in definition.shape.refs)
        if definition.renamed is None or definition.renamed[0] != ref_names:
            definition.renamed = (ref_names, rename_refs(definition.schema, names))
        return definition.renamed[1]

    def _entry(self, procedure: Procedure, piece: _ProcedurePiece, names: dict[str, str]) -> dict[str, Any]:
        """The procedure's entry of ``procedures``; the same object as last time when nothing it shows changed."""
        ref_names = tuple(names[ref] for ref in piece.refs)
        # The params model itself goes in the entry, out of $defs: it is the procedure's, no one else's.
        key = piece.params_key
        inlined = self._renamed(self._definitions[key], names) if key is not None else None
        made = piece.entry
        if made is not None and made[0] is procedure and made[1] == ref_names and made[2] is inlined:
            return made[3]
        params = dict(inlined) if inlined is not None else rename_refs(piece.params, names)
        params.pop("title", None)  # the internal model's name means nothing to a client
        result = rename_refs(piece.result, names)
        entry = {"name": procedure.name, "doc": procedure.doc, "params": params, "result": result}
        if procedure.idempotent:  # only when true: documents of procedures without it stay as they were
            entry["idempotent"] = True
        if procedure.is_stream:  # a generator: ``result`` is the type of each item it sends
            entry["stream"] = True
        if procedure.errors:  # declared errors (``@rpc(errors=[...])``), by code
            declared = zip(procedure.errors, piece.errors, strict=True)
            entry["errors"] = [_error_entry(error, data, names) for error, data in declared]
        piece.entry = (procedure, ref_names, inlined, entry)
        return entry

    def _forget_unused(self) -> None:
        oldest = self._builds - _KEEP_BUILDS
        stale = [
            key
            for key, definition in self._definitions.items()
            if definition.last_used <= oldest or not definition.reusable
        ]
        for key in stale:
            del self._definitions[key]
        # Keys of the forgotten definitions, and of any a failed generation gave out.
        for core_mode_ref in [ref for ref, key in self._keys.by_ref.items() if key not in self._definitions]:
            del self._keys.by_ref[core_mode_ref]
        for procedure in [
            procedure
            for procedure, piece in self._procedures.items()
            if piece.last_used <= oldest or not piece.reusable
        ]:
            del self._procedures[procedure]
        for name in [name for name, procedure in self._named.items() if procedure not in self._procedures]:
            del self._named[name]


class _SameAsBefore:
    """The entries of the latest two documents by name, with their JSON text.

    A reload makes every class and procedure it re-executes anew, and with them new pieces;
    most read as before (a models edit changes one model, not the 500 procedures that use it).
    An entry that reads as the one of the same name before it is handed out as that object,
    so what keys on identity downstream (the emitter's and the snapshot's memos) sees it unchanged.
    """

    def __init__(self) -> None:
        # By (member, name): (the entry handed out, its JSON text, the entry built that was handed out as it).
        self._recent: Recent[tuple[str, str], tuple[Any, str, Any]] = Recent()

    def entry(self, key: tuple[str, str], entry: Any) -> Any:
        """``entry``, or the earlier entry of ``key`` if it reads the same (as JSON, exactly)."""
        # As last time: no need to read it again.
        found = self._recent.find(key, lambda known: known[0] is entry or known[2] is entry)
        if found is None:
            text = _json_text(entry)
            found = self._recent.find(key, lambda known: known[1] == text)
            self._recent.keep(key, (entry, text, entry) if found is None else (found[0], text, entry))
        return entry if found is None else found[0]

    def settle(self) -> None:
        """End a build."""
        self._recent.settle()


def _json_text(entry: Any) -> str:
    """What ``_SameAsBefore`` compares: exact, where Python says ``1 == 1.0 == True``."""
    return json.dumps(entry, ensure_ascii=False)


def _context_free(owner: Any) -> bool:
    """Whether the class's schema is its own wherever it is used: a model or a pydantic dataclass
    (its core schema is its own), an enum. Others (TypedDicts, plain dataclasses) take the
    configuration of the model around them."""
    if not isinstance(owner, type):
        return False
    return "__pydantic_core_schema__" in vars(owner) or issubclass(owner, Enum)


def _in_no_context(core_ref: str, mode: JsonSchemaMode, node: Any) -> Any:
    """What to generate a class's unused mode from: its core schema as met, or for a class that
    takes its configuration from where it is used, its core schema on its own (as ``TypeAdapter``
    makes it), so the unused mode does not depend on where the used one was met."""
    owner = node.get("cls") if isinstance(node, dict) else None
    if owner is None or _context_free(owner):
        return node
    try:
        alone = TypeAdapter(owner).core_schema
    except Exception:  # a class pydantic cannot take alone: as met, then
        return node
    defines = alone.get("ref") == core_ref or any(
        definition.get("ref") == core_ref for definition in alone.get("definitions", ())
    )
    return alone if defines else node  # a parametrized generic's owner is its origin: as met


def _same(these: tuple[Any, ...], those: tuple[Any, ...]) -> bool:
    return all(this is that for this, that in zip(these, those, strict=True))


def _core_schemas(procedure: Procedure) -> tuple[Any, ...]:
    """The core schemas of the params, the result and the declared errors' data (those that declare it)."""
    adapters = (data_adapter(error) for error in procedure.errors)
    errors = (adapter.core_schema for adapter in adapters if adapter is not None)
    return procedure.params_model.__pydantic_core_schema__, procedure.result_adapter.core_schema, *errors


def _error_entry(error: Any, data: JsonSchemaValue | None, names: dict[str, str]) -> dict[str, Any]:
    """A declared error in its procedure's entry: code, class name, default message, data's JSON Schema."""
    entry: dict[str, Any] = {"code": error.code, "name": error.__name__}
    message = declared_message(error)
    if message is not None:
        entry["message"] = message
    if data is not None:
        entry["data"] = rename_refs(data, names)
    return entry


class _CachingGenerator(SchemaGenerator):
    """``SchemaGenerator`` that refers to cached definitions instead of generating them again.

    Definitions are keyed by ``SchemaCache``'s unique keys, so pydantic's own naming round has
    nothing to do; ``names.choose_names`` names them afterwards, over the whole document.
    """

    def __init__(self, cache: SchemaCache, unused: bool = False, known: Collection[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache = cache
        self.unused = unused
        """Generating modes no procedure uses: no warnings, virtual definitions will do."""
        self.known = known
        self.owners: dict[tuple[str, str], Any] = {}
        self.nodes: dict[tuple[str, str], Any] = {}
        """The core schema of each definition generated, to generate its other mode from."""

    def generate_inner(self, schema: Any) -> JsonSchemaValue:
        ref = schema.get("ref")
        if isinstance(ref, str):
            key = self.cache.reusable(ref, self.mode, schema, virtual=self.unused) or self.cache.known_key(
                (ref, self.mode), self.known
            )
            if key is not None:
                return {"$ref": _KEY_TEMPLATE.format(model=key)}
            self.owners[(ref, self.mode)] = schema.get("cls")
            self.nodes[(ref, self.mode)] = schema
        return super().generate_inner(schema)

    def emit_warning(self, kind: Any, detail: str) -> None:
        if not self.unused:  # a warning about a mode no procedure uses would only puzzle
            super().emit_warning(kind, detail)

    def get_schema_from_definitions(self, json_ref: JsonRef) -> JsonSchemaValue | None:
        """A definition generated now, or a cached one (pydantic compares a field with what it refers to)."""
        if self.json_to_defs_refs.get(json_ref) not in self.definitions:
            cached = self.cache.cached_schema(json_ref.removeprefix(REF_PREFIX), self.known)
            if cached is not None:
                return cached
        return super().get_schema_from_definitions(json_ref)

    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        key = DefsRef(self.cache.key(core_mode_ref))
        # The one candidate name is the key itself: pydantic's naming round then keeps every key.
        self._prioritized_defsref_choices[key] = [key]
        return key

    def _build_definitions_remapping(self) -> _DefinitionsRemapping:
        # Each key being its only candidate, pydantic's naming round would keep every key, after
        # deep-copying and comparing all the definitions: a tenth of a large API's build.
        return _KeysKept({}, {})


class _KeysKept(_DefinitionsRemapping):
    """pydantic's renaming of ``$defs`` when every key keeps its name: nothing to do."""

    def remap_json_schema(self, schema: Any) -> Any:
        return schema
