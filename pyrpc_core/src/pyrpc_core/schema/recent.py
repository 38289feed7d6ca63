"""What the latest two builds kept, by key: the memory of the schema's reuse across builds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Values by key, kept for the generation (a build, a snapshot) that used them and the one after.

    What the latest generation did not use survives one more, so that a process alternating
    two documents (a dev server and its introspection, say) keeps both; anything older is
    dropped, however many reloads come. Not thread-safe: its owner holds a lock.
    """

    def __init__(self) -> None:
        self._latest: dict[K, V] = {}
        self._previous: dict[K, V] = {}
        self._used: dict[K, V] = {}

    def find(self, key: K, match: Callable[[V], bool] | None = None) -> V | None:
        """The value of ``key`` the latest generation kept, else the one before, that ``match``
        accepts (any, without it); this generation keeps it too."""
        for generation in (self._latest, self._previous):
            value = generation.get(key)
            if value is not None and (match is None or match(value)):
                self._used[key] = value
                return value
        return None

    def keep(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key`` in this generation."""
        self._used[key] = value

    def settle(self) -> None:
        """End this generation: what it kept becomes the latest."""
        self._previous, self._latest, self._used = self._latest, self._used, {}
