"""Comparing schemas across documents whatever their ``$defs`` are called: what a name denotes."""

from __future__ import annotations

from typing import Any

REF_PREFIX = "#/$defs/"


class Shapes:
    """Whether schemas of two documents describe the same values, references followed into each one's ``$defs``.

    Two references match when their targets match, assuming so while comparing them (so
    recursive models compare): the largest matching, which equal names cannot fake. Objects
    compare key by key in order (property order is the by-position order of params).
    """

    def __init__(self, left: dict[str, Any], right: dict[str, Any]) -> None:
        self.left_defs: dict[str, Any] = left.get("$defs", {})
        self.right_defs: dict[str, Any] = right.get("$defs", {})
        self._assumed: set[tuple[str, str]] = set()

    def same(self, left: Any, right: Any) -> bool:
        if isinstance(left, dict) and isinstance(right, dict):
            return list(left) == list(right) and all(self.same(left[key], right[key]) for key in left)
        if isinstance(left, list) and isinstance(right, list):
            return len(left) == len(right) and all(self.same(a, b) for a, b in zip(left, right, strict=True))
        if isinstance(left, str) and isinstance(right, str) and left.startswith(REF_PREFIX):
            return right.startswith(REF_PREFIX) and self.same_definition(
                left.removeprefix(REF_PREFIX), right.removeprefix(REF_PREFIX)
            )
        return type(left) is type(right) and left == right

    def same_definition(self, left: str, right: str) -> bool:
        """Whether ``$defs[left]`` of the left document and ``$defs[right]`` of the right one match."""
        if (left, right) in self._assumed:
            return True
        if left not in self.left_defs or right not in self.right_defs:
            return False
        before = set(self._assumed)
        self._assumed.add((left, right))
        if self.same(self.left_defs[left], self.right_defs[right]):
            return True
        self._assumed = before  # what was assumed on the way rested on this pair
        return False


def assert_same_up_to_names(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """The documents are equal once every reference is followed: only the ``$defs`` names may differ."""
    shapes = Shapes(ours, theirs)
    assert list(ours) == list(theirs)
    for key in ours:
        if key != "$defs":
            assert shapes.same(ours[key], theirs[key]), f"{key} differs beyond the names of $defs"


def assert_names_keep_their_shapes(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Every ``$defs`` name of both documents denotes the same schema in each."""
    shapes = Shapes(before, after)
    for name in before["$defs"].keys() & after["$defs"].keys():
        assert shapes.same_definition(name, name), f"{name} denotes another type after the change"
