"""The per-request context a procedure can ask for by annotating a parameter with ``Context``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class Headers(Mapping[str, str]):
    """Read-only HTTP headers with case-insensitive names.

    A name sent more than once keeps its values joined with ``", "``, as RFC 9110 allows.
    """

    __slots__ = ("_items",)

    def __init__(self, raw: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        items: dict[str, str] = {}
        pairs = raw.items() if isinstance(raw, Mapping) else raw
        for name, value in pairs:
            key = name.lower()
            items[key] = f"{items[key]}, {value}" if key in items else value
        self._items = items

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass
class Context:
    """What a procedure may know about the HTTP request that carried its call.

    Annotate a parameter with ``Context`` and the dispatcher passes it in; it never appears
    in the schema. ``state`` is where middleware-like code puts what it learned (the user,
    a database session); it is shared by all calls of one batch.
    """

    headers: Headers = field(default_factory=Headers)
    client: tuple[str, int] | None = None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def last_event_id(self) -> str | None:
        """For a streaming procedure called again after a dropped connection: the id of the last
        item the client received (its ``Last-Event-ID``), to resume after it; None on a first call."""
        return self.headers.get("last-event-id")
