"""The text of a client project's schema snapshot (``pyrpc/schema.json``).

It is ``json.dumps(document, indent=2, ensure_ascii=False)`` and a newline: two-space indents,
one value a line, so that a change of the API is a readable diff; ``npx pyrpc sync`` writes
the same text for the same document. Written whole it was the slowest step of a ``pyrpc dev``
save (about 90 ms for 500 procedures: with an indent, ``json`` encodes in Python). Documents
are read-only and hand out unchanged entries as the same objects (``cache``), so the text of
each entry of ``procedures`` and ``$defs`` is kept while it stays the same object, and the
document is put together around it. The bytes are ``json.dumps``'s: a JSON text holds no raw
line break but between values, so an entry's lines only move two levels in.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from .recent import Recent

_ENTRIES = ("procedures", "$defs")
"""The members whose entries are kept as text."""


def _encode(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class _EntryTexts:
    """The text of each entry of the latest two snapshots, by the entry object itself."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # By id: the entry (held, so that no other object takes its id while kept) and its text.
        self._texts: Recent[int, tuple[Any, str]] = Recent()

    def dump(self, document: dict[str, Any]) -> str:
        if not document or not all(type(key) is str for key in document):
            return _encode(document) + "\n"  # not a document's shape: json.dumps's own way
        with self._lock:
            members = [f"  {_encode(key)}: {self._member(key, value)}" for key, value in document.items()]
            self._texts.settle()
        return "{\n" + ",\n".join(members) + "\n}\n"

    def _member(self, key: str, value: Any) -> str:
        if key not in _ENTRIES or type(value) is not dict or not value or not all(type(k) is str for k in value):
            return _encode(value).replace("\n", "\n  ")
        entries = ",\n".join(f"    {_encode(name)}: {self._entry(entry)}" for name, entry in value.items())
        return "{\n" + entries + "\n  }"

    def _entry(self, entry: Any) -> str:
        found = self._texts.find(id(entry))
        if found is not None:
            return found[1]
        text = _encode(entry).replace("\n", "\n    ")
        self._texts.keep(id(entry), (entry, text))
        return text


_texts = _EntryTexts()


def dump_snapshot(schema: dict[str, Any]) -> str:
    """The document as a client project's snapshot file holds it: ``json.dumps(schema, indent=2,
    ensure_ascii=False)`` and a newline. ``npx pyrpc sync`` writes the same text for the same document."""
    return _texts.dump(schema)
