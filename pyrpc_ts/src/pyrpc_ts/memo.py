"""The memo of ``generate``: text built from a schema entry, kept while the entry stays the same.

Why it exists: ``pyrpc dev`` calls ``generate`` with the whole document after every save, and
a save changes one or a few procedures. ``pyrpc_core.schema.build_schema`` hands out the very
same dict objects for the ``$defs`` and ``procedures`` entries that did not change, and the
document is immutable once built, so the text of an unchanged entry can be taken as it was.

What a piece is keyed on: the function that builds it (``declare`` for a model,
``procedure_text`` for a procedure), its own name (the TypeScript name of a model, the wire
name of a procedure, which sets its indentation) and the identity of the entry object. The
memo holds a strong reference to that object, so its ``id`` cannot be reused by another
object while the piece is kept. A piece is reused only when, in addition, every ``$ref`` it
looked up resolves to the same TypeScript name as when it was built (the mapper records
them), since a renamed model changes the text of everything that refers to it. The type
names themselves are kept too, for as long as ``$defs`` holds the same entries under the
same keys (they depend on nothing else).

A document that is built anew every time (``json.loads``) never hits, and gives the same
bytes. Memory stays bounded: the memo keeps the pieces the latest call used and those of the
call before it, whatever the number of reloads. Each call works on its own structures and
swaps them in under a lock at the end, so two threads may generate at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from .mapping import TypeMapper
from .naming import assign_type_names

T = TypeVar("T")

Builder = Callable[[str, Any, TypeMapper], T]
"""Builds a piece from its own name, its entry and a mapper: ``declare``, ``procedure_text``."""

_Key = tuple[Callable[..., Any], str, int]
"""(builder, own name, ``id`` of the entry object)."""

_ABSENT = object()


@dataclass(frozen=True, slots=True)
class _Piece:
    source: object
    """The entry the text was built from: the strong reference that keeps its ``id`` taken."""
    refs: tuple[str, ...]
    """The ``$defs`` keys the text refers to."""
    ref_names: tuple[str | None, ...]
    """The TypeScript names they had (None: the key was missing)."""
    value: Any


@dataclass(frozen=True, slots=True)
class _TypeNames:
    """The names ``assign_type_names`` gave, and the ``$defs`` (the same objects) it gave them for."""

    defs: dict[str, Any]
    names: dict[str, str]

    def fit(self, defs: Mapping[str, Any]) -> bool:
        """Whether ``defs`` has the same keys holding the very same entries."""
        known = self.defs
        return len(defs) == len(known) and all(known.get(key, _ABSENT) is entry for key, entry in defs.items())


class Pieces:
    """One ``generate`` call's access to the memo: reused pieces where still right, else built."""

    def __init__(self, names: Mapping[str, str], *generations: Mapping[_Key, _Piece]) -> None:
        self.names = names
        """The TypeScript name of every ``$defs`` key (read only: it may be shared between calls)."""
        self._generations = generations
        self.used: dict[_Key, _Piece] = {}

    def get(self, build: Builder[T], name: str, source: Any) -> T:
        """``build(name, source, mapper)``, or what it gave before for the same object and names."""
        key = (build, name, id(source))
        piece = self._find(key, source)
        if piece is None:
            mapper = TypeMapper(self.names)
            value = build(name, source, mapper)
            piece = _Piece(source, tuple(mapper.resolved), tuple(mapper.resolved.values()), value)
        self.used[key] = piece
        return cast(T, piece.value)

    def _find(self, key: _Key, source: object) -> _Piece | None:
        for generation in self._generations:
            piece = generation.get(key)
            if piece is not None and piece.source is source and self._same_names(piece):
                return piece
        return None

    def _same_names(self, piece: _Piece) -> bool:
        return tuple(map(self.names.get, piece.refs)) == piece.ref_names


class Memo:
    """The pieces of the latest two ``generate`` calls, and the latest type names."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[_Key, _Piece] = {}
        self._previous: dict[_Key, _Piece] = {}
        self._names: _TypeNames | None = None

    @contextmanager
    def call(self, defs: Mapping[str, Any]) -> Iterator[Pieces]:
        """A ``Pieces`` for one call on ``defs``; what it used becomes the latest generation at the end."""
        with self._lock:
            latest, previous, type_names = self._latest, self._previous, self._names
        if type_names is None or not type_names.fit(defs):
            type_names = _TypeNames(dict(defs), assign_type_names(defs))
        pieces = Pieces(type_names.names, latest, previous)
        yield pieces
        with self._lock:
            self._previous, self._latest = self._latest, pieces.used
            self._names = type_names

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._latest, self._previous, self._names = {}, {}, None

    def size(self) -> int:
        """How many pieces are held (both generations, a piece in both counted once)."""
        with self._lock:
            return len(self._latest.keys() | self._previous.keys())
