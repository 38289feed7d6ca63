"""``pyrpc check``: what a change of the API would break for clients built from a saved schema.

``compare(old, new)`` takes two introspection documents (``GET /rpc``: the saved one, say the
client project's snapshot ``pyrpc/schema.json``, and the current one) and lists every change
that a client notices, each marked breaking or safe. It is a pure function of the two
documents; ``load_saved`` reads the saved one from a file or a URL.

Variance decides: a client *sends* params and *reads* results (and declared errors). A change of
a param's type is breaking when the server accepts less than before (an old call may be refused:
"input narrowed"); a change of a result's type is breaking when the server may send more than
before (an old client may meet a value it was not typed for: "output widened"). Every schema
difference is therefore judged by two questions, whether values the old schema allowed are
lost and whether values it did not allow are gained; inputs break on the first, outputs on the
second. What cannot be judged (two unrelated shapes, a JSON Schema keyword this module does not
know) counts as both, so it is breaking either way.

``$ref``s are followed into the ``$defs`` of their own document (the old one's in the old
document, the new one's in the new), and a pair of models is compared once per procedure and
direction, which also ends recursive models.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeGuard

__all__ = ["Change", "CheckError", "compare", "format_change", "load_saved", "summary", "to_document"]

Direction = Literal["input", "output"]

REMAKE = (
    "'pyrpc dev' (workspace mode writes it), 'npx pyrpc sync' in the client project, "
    "or 'pyrpc inspect --json > schema.json' before the change (then --against schema.json)"
)
"""How to make a saved schema, for the messages about a missing or broken one."""

# Keywords that describe a schema without changing which values it allows.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}) | {
    "$comment",
    "$schema",
    "$id",
    "$defs",
    "definitions",
    "x-enum-varnames",
    "discriminator",
}
# Keywords compared by the rules below; any other keyword that differs is a change it cannot judge.
_LOWER_BOUNDS = ("minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties")
_NUMBER_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_EXACT = ("pattern", "format", "multipleOf")
_HANDLED = frozenset({"type", "anyOf", "oneOf", "enum", "const", "$ref", "properties", "required"}) | {
    "additionalProperties",
    "items",
    "prefixItems",
    "uniqueItems",
    *_LOWER_BOUNDS,
    *_UPPER_BOUNDS,
    *_NUMBER_BOUNDS,
    *_EXACT,
}
# Kinds of changes that leave the shape as it was (a default, a name in generated code).
_NOTES = frozenset({"type-renamed", "enum-member-renamed", "default-changed"})
# Procedure keys read by the rules, and those that never matter to a client.
_PROCEDURE_KEYS = frozenset({"name", "doc", "params", "result", "idempotent", "errors"})
_PROCEDURE_NOTES = frozenset({"description", "summary", "title", "tags", "deprecated", "examples"})

# Kinds whose message reads ``<where>: <what>``; the others read ``<where> <what>``.
_AFTER_COLON = frozenset({"enum-member-added", "enum-member-removed", "enum-member-renamed", "type-renamed"}) | {
    "constraint-changed"
}
_JSON_TYPES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


class CheckError(Exception):
    """The saved schema cannot be read (missing, not JSON, not a pyRPC schema); one line naming it."""


@dataclass(frozen=True)
class Change:
    """One difference a client notices. ``path`` locates it (``params.user.tags[]``, ``result.email``,
    ``errors.4004.data``; empty for the whole procedure); ``message`` says it in words."""

    procedure: str
    kind: str
    path: str
    message: str
    breaking: bool

    def to_json(self) -> dict[str, str]:
        return {"procedure": self.procedure, "kind": self.kind, "path": self.path, "message": self.message}


# -- the documents ---------------------------------------------------------------------------


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from ``old`` (the saved schema) to ``new`` (the current API), grouped by
    procedure (sorted by name), the breaking ones of a procedure first."""
    old_procedures = _object(old.get("procedures"))
    new_procedures = _object(new.get("procedures"))
    old_defs, new_defs = _object(old.get("$defs")), _object(new.get("$defs"))
    changes: list[Change] = []
    removed = [name for name in old_procedures if name not in new_procedures]
    added = [name for name in new_procedures if name not in old_procedures]
    renamed = _pair_renames(
        removed,
        added,
        lambda before, after: _alike(
            _procedure_changes(
                after, _object(old_procedures[before]), _object(new_procedures[after]), old_defs, new_defs
            )
        ),
    )
    for name in removed:
        hint = f" (renamed to {renamed[name]!r}?)" if name in renamed else ""
        changes.append(Change(name, "procedure-removed", "", f"procedure removed{hint}", True))
    renamed_from = {after: before for before, after in renamed.items()}
    for name in added:
        hint = f" (renamed from {renamed_from[name]!r}?)" if name in renamed_from else ""
        changes.append(Change(name, "procedure-added", "", f"procedure added{hint}", False))
    for name in old_procedures:
        if name in new_procedures:
            changes += _procedure_changes(
                name, _object(old_procedures[name]), _object(new_procedures[name]), old_defs, new_defs
            )
    return sorted(changes, key=lambda change: (change.procedure, not change.breaking))


def _procedure_changes(
    name: str, old: dict[str, Any], new: dict[str, Any], old_defs: dict[str, Any], new_defs: dict[str, Any]
) -> list[Change]:
    walk = _Walk(name, old_defs, new_defs)
    walk.params(old.get("params"), new.get("params"))
    walk.compare(old.get("result", {}), new.get("result", {}), ["result"], "output")
    walk.errors(old.get("errors"), new.get("errors"))
    if old.get("idempotent") is True and new.get("idempotent") is not True:
        walk.procedure_change("idempotent-removed", "no longer idempotent (clients may retry it after an error)", True)
    elif new.get("idempotent") is True and old.get("idempotent") is not True:
        walk.procedure_change("idempotent-added", "idempotent now", False)
    for key in sorted((old.keys() | new.keys()) - _PROCEDURE_KEYS - _PROCEDURE_NOTES):
        if old.get(key) != new.get(key):
            walk.procedure_change(
                "procedure-changed",
                f"{key!r} changed from {_short(old.get(key))} to {_short(new.get(key))} "
                "(a key pyrpc check does not know: review it)",
                True,
            )
    return walk.changes


def _alike(changes: list[Change]) -> bool:
    """Whether two things with these differences have the same shape (a rename's hint): notes only."""
    return all(change.kind in _NOTES for change in changes)


def _pair_renames(removed: list[str], added: list[str], same: Callable[[str, str], bool]) -> dict[str, str]:
    """Removed names paired one to one with added names of the same shape (``same(before, after)``)."""
    pairs: dict[str, str] = {}
    for before in removed:
        for after in added:
            if after not in pairs.values() and same(before, after):
                pairs[before] = after
                break
    return pairs


# -- the comparison of one procedure ---------------------------------------------------------


@dataclass
class _Alt:
    """One alternative of a schema's union: a JSON type, a literal value, ``any`` or an ``opaque`` ref."""

    kind: str
    schema: dict[str, Any]
    name: str | None
    value: Any = None


@dataclass
class _Walk:
    procedure: str
    old_defs: dict[str, Any]
    new_defs: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    noted: set[tuple[str, str, str]] = field(default_factory=set)

    # -- recording

    def procedure_change(self, kind: str, message: str, breaking: bool, path: list[str] | None = None) -> None:
        self.changes.append(Change(self.procedure, kind, _path(path or []), message, breaking))

    def add(
        self, kind: str, path: list[str], what: str, direction: Direction, *, loses: bool, gains: bool, why: str = ""
    ) -> None:
        """A difference of the schema at ``path``: ``loses`` when values the old schema allowed are
        no longer allowed, ``gains`` when values it did not allow are. ``why`` replaces the effect."""
        breaking = loses if direction == "input" else gains
        effect = why or _effect(direction, loses, gains)
        separator = ": " if kind in _AFTER_COLON else " "
        message = f"{_where(path)}{separator}{what}" + (f" ({effect})" if effect else "")
        self.changes.append(Change(self.procedure, kind, _path(path), message, breaking))

    # -- params, errors

    def params(self, old: Any, new: Any) -> None:
        old_schema, _ = _resolve(old, self.old_defs)
        new_schema, _ = _resolve(new, self.new_defs)
        old_props, new_props = _object(old_schema.get("properties")), _object(new_schema.get("properties"))
        old_required, new_required = _required(old_schema), _required(new_schema)
        removed = [name for name in old_props if name not in new_props]
        added = [name for name in new_props if name not in old_props]
        common = [name for name in old_props if name in new_props]

        def same(before: str, after: str) -> bool:
            return (before in old_required) == (after in new_required) and self.same(
                old_props[before], new_props[after], "input"
            )

        renamed = _pair_renames(removed, added, same)
        renamed_from = {after: before for before, after in renamed.items()}
        for name in removed:
            hint = f" (renamed to {renamed[name]!r}?)" if name in renamed else ""
            self.procedure_change("param-removed", f"parameter {name!r} removed{hint}", True, ["params", name])
        new_order = [name for name in new_props if name in old_props]
        if common != new_order:
            self.procedure_change(
                "params-reordered",
                f"parameters reordered from ({', '.join(common)}) to ({', '.join(new_order)}): by-position calls break",
                True,
                ["params"],
            )
        names = list(new_props)
        for name in added:
            hint = f" (renamed from {renamed_from[name]!r}?)" if name in renamed_from else ""
            later = [other for other in names[names.index(name) + 1 :] if other in old_props]
            if name in new_required:
                message, breaking = f"parameter {name!r} added without a default{hint}", True
            elif later:
                message = f"parameter {name!r} added before {later[0]!r}: by-position calls shift{hint}"
                breaking = True
            else:
                message, breaking = f"parameter {name!r} added with a default{hint}", False
            self.procedure_change("param-added", message, breaking, ["params", name])
        for name in common:
            path = ["params", name]
            if name in old_required and name not in new_required:
                self.procedure_change("param-optional", f"parameter {name!r} has a default now", False, path)
            elif name in new_required and name not in old_required:
                self.procedure_change(
                    "param-required", f"parameter {name!r} lost its default (now required)", True, path
                )
            self.default(old_props[name], new_props[name], path)
            self.compare(old_props[name], new_props[name], path, "input")

    def errors(self, old: Any, new: Any) -> None:
        old_errors, new_errors = _declared_errors(old), _declared_errors(new)
        for code in old_errors:
            if code not in new_errors:
                self.procedure_change("error-removed", f"declared error {code} removed", False, ["errors", str(code)])
        for code in new_errors:
            if code not in old_errors:
                self.procedure_change(
                    "error-added",
                    f"declared error {code} added (clients that handle every declared error miss it)",
                    True,
                    ["errors", str(code)],
                )
        for code, data in old_errors.items():
            if code in new_errors:
                self.compare(data, new_errors[code], ["errors", str(code), "data"], "output")

    def default(self, old: Any, new: Any, path: list[str]) -> None:
        """A changed default of an input (a param, a field): safe, but a client that omits it gets another value."""
        both = isinstance(old, dict) and isinstance(new, dict) and "default" in old and "default" in new
        if both and old["default"] != new["default"]:
            what = f"default changed from {_short(old['default'])} to {_short(new['default'])}"
            self.add("default-changed", path, what, "input", loses=False, gains=False)

    def same(self, old: Any, new: Any, direction: Direction) -> bool:
        """Whether two schemas allow the same values (for rename hints)."""
        probe = _Walk(self.procedure, self.old_defs, self.new_defs)
        probe.compare(old, new, ["params"], direction)
        return _alike(probe.changes)

    # -- schemas

    def compare(self, old: Any, new: Any, path: list[str], direction: Direction) -> None:
        old_resolved, old_name = _resolve(old, self.old_defs)
        new_resolved, new_name = _resolve(new, self.new_defs)
        if "enum" in old_resolved and "enum" in new_resolved:
            self.enum_names(old_resolved, new_resolved, old_name, new_name, path, direction)
        olds = _alternatives(old, self.old_defs)
        news = _alternatives(new, self.new_defs)
        old_any = any(alt.kind == "any" for alt in olds)
        new_any = any(alt.kind == "any" for alt in news)
        if old_any or new_any:
            if old_any != new_any:
                what = self.changed(old, new)
                kind = "type-widened" if new_any else "type-narrowed"
                self.add(kind, path, what, direction, loses=old_any, gains=new_any)
            return
        pairs, lost, gained = _pair(olds, news)
        lost_literals = [alt for alt in olds if alt.kind == "literal" and not _covered(alt.value, news)]
        gained_literals = [alt for alt in news if alt.kind == "literal" and not _covered(alt.value, olds)]
        lost_types = [alt for alt in lost if alt.kind != "null"]
        gained_types = [alt for alt in gained if alt.kind != "null"]
        lost_null = len(lost_types) < len(lost)
        gained_null = len(gained_types) < len(gained)
        if lost_types or gained_types:  # one message, the two labels show the rest
            loses = bool(lost_types or lost_literals or lost_null)
            gains = bool(gained_types or gained_literals or gained_null)
            kind = "type-changed" if loses and gains else "type-narrowed" if loses else "type-widened"
            what = self.changed(old, new)
            self.add(kind, path, what, direction, loses=loses, gains=gains)
        else:
            for alt in lost_literals:
                what = f"enum member {_short(alt.value)} removed"
                self.add("enum-member-removed", path, what, direction, loses=True, gains=False)
            for alt in gained_literals:
                what = f"enum member {_short(alt.value)} added"
                self.add("enum-member-added", path, what, direction, loses=False, gains=True)
            if lost_null:
                what = "no longer accepts null" if direction == "input" else "is never null now"
                self.add("null-removed", path, what, direction, loses=True, gains=False)
            if gained_null:
                what = "accepts null now" if direction == "input" else "may now be null"
                self.add("null-added", path, what, direction, loses=False, gains=True)
        for old_alt, new_alt in pairs:
            self.compare_pair(old_alt, new_alt, path, direction)

    def compare_pair(self, old: _Alt, new: _Alt, path: list[str], direction: Direction) -> None:
        if old.kind == "opaque" or new.kind == "opaque":
            if old.kind != new.kind or old.schema.get("$ref") != new.schema.get("$ref"):
                what = self.changed(old.schema, new.schema)
                self.add("type-changed", path, what, direction, loses=True, gains=True)
            return
        if old.name is not None and new.name is not None:
            key = (old.name, new.name, direction)
            if key in self.seen:  # compared already (or being compared: a recursive model)
                return
            self.seen.add(key)
            self.renamed(old.name, new.name, path, direction)
        if old.kind != new.kind:  # integer and number, the only kinds paired across
            widened = old.kind == "integer"
            kind = "type-widened" if widened else "type-narrowed"
            what = f"changed from {old.kind} to {new.kind}"
            self.add(kind, path, what, direction, loses=not widened, gains=widened)
        if direction == "input":  # constraints on results do not reach the TypeScript types
            self.constraints(old.schema, new.schema, path)
        if old.kind == "array":
            self.array(old, new, path, direction)
        elif old.kind == "object":
            self.object(old, new, path, direction)
        for keyword in sorted((old.schema.keys() | new.schema.keys()) - _ANNOTATIONS - _HANDLED):
            before, after = old.schema.get(keyword), new.schema.get(keyword)
            if before != after:
                what = f"changed its {keyword!r} from {_short(before)} to {_short(after)}"
                self.add("keyword-changed", path, what, direction, loses=True, gains=True)

    def renamed(self, old: str, new: str, path: list[str], direction: Direction) -> None:
        if _base(old) != _base(new) and ("type", _base(old), _base(new)) not in self.noted:
            self.noted.add(("type", _base(old), _base(new)))
            what = (
                f"type {_base(old)!r} renamed to {_base(new)!r} "
                "(the same on the wire; code that names it needs the new name)"
            )
            self.add("type-renamed", path, what, direction, loses=False, gains=False)

    def enum_names(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        old_name: str | None,
        new_name: str | None,
        path: list[str],
        direction: Direction,
    ) -> None:
        if old_name is not None and new_name is not None:
            self.renamed(old_name, new_name, path, direction)
        old_names = _varnames(old)
        new_names = _varnames(new)
        for key, (value, name) in old_names.items():
            other = new_names.get(key)
            if other is not None and other[1] != name and ("enum", _short(value), name) not in self.noted:
                self.noted.add(("enum", _short(value), name))
                what = (
                    f"enum member {_short(value)} renamed from {name} to {other[1]} in generated code "
                    "(the same on the wire)"
                )
                self.add("enum-member-renamed", path, what, direction, loses=False, gains=False)

    def constraints(self, old: dict[str, Any], new: dict[str, Any], path: list[str]) -> None:
        """The value constraints of an input: a tighter one refuses values sent before."""
        tuples = "prefixItems" in old or "prefixItems" in new  # their lengths are the tuple's arity
        for key in _LOWER_BOUNDS + _UPPER_BOUNDS:
            if tuples and key in ("minItems", "maxItems"):
                continue
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            upper = key in _UPPER_BOUNDS
            if before is None or after is None:
                what = f"{key} {after} added" if before is None else f"{key} {before} removed"
                tighter = before is None
            elif not _is_number(before) or not _is_number(after):
                what = f"{key} changed from {_short(before)} to {_short(after)}"
                self.add("constraint-changed", path, what, "input", loses=True, gains=True)
                continue
            else:
                tighter = after < before if upper else after > before
                what = f"{key} {'lowered' if after < before else 'raised'} from {before} to {after}"
            self.add("constraint-changed", path, what, "input", loses=tighter, gains=not tighter)
        for lower in (True, False):
            before_bound, after_bound = _bound(old, lower), _bound(new, lower)
            if before_bound == after_bound:
                continue
            side = "lower bound" if lower else "upper bound"
            if before_bound is None or after_bound is None:
                tighter = before_bound is None
                what = (
                    f"{side} {_show_bound(after_bound, lower)} added"
                    if before_bound is None
                    else f"{side} {_show_bound(before_bound, lower)} removed"
                )
            else:
                (before_value, _), (after_value, after_open) = before_bound, after_bound
                if after_value == before_value:
                    tighter = after_open
                else:
                    tighter = after_value > before_value if lower else after_value < before_value
                what = f"{side} changed from {_show_bound(before_bound, lower)} to {_show_bound(after_bound, lower)}"
            self.add("constraint-changed", path, what, "input", loses=tighter, gains=not tighter)
        for key in _EXACT:
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            if before is None:
                what, loses, gains = f"{key} {_short(after)} added", True, False
            elif after is None:
                what, loses, gains = f"{key} {_short(before)} removed", False, True
            else:
                what, loses, gains = f"{key} changed from {_short(before)} to {_short(after)}", True, True
            self.add("constraint-changed", path, what, "input", loses=loses, gains=gains)
        if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
            unique = bool(new.get("uniqueItems"))
            what = "items must be unique now" if unique else "items need not be unique now"
            self.add("constraint-changed", path, what, "input", loses=unique, gains=not unique)

    def array(self, old: _Alt, new: _Alt, path: list[str], direction: Direction) -> None:
        old_prefix, new_prefix = old.schema.get("prefixItems"), new.schema.get("prefixItems")
        if isinstance(old_prefix, list) and isinstance(new_prefix, list):
            for index, (before, after) in enumerate(zip(old_prefix, new_prefix, strict=False)):
                self.compare(before, after, [*path, f"[{index}]"], direction)
            if len(old_prefix) != len(new_prefix):
                what = self.changed(old.schema, new.schema)
                self.add("type-changed", path, what, direction, loses=True, gains=True)
        elif isinstance(old_prefix, list) or isinstance(new_prefix, list):
            what = self.changed(old.schema, new.schema)
            self.add("type-changed", path, what, direction, loses=True, gains=True)
        else:
            self.compare(old.schema.get("items", {}), new.schema.get("items", {}), [*path, "[]"], direction)

    def object(self, old: _Alt, new: _Alt, path: list[str], direction: Direction) -> None:
        old_props, new_props = _object(old.schema.get("properties")), _object(new.schema.get("properties"))
        old_required, new_required = _required(old.schema), _required(new.schema)
        old_extra, new_extra = old.schema.get("additionalProperties"), new.schema.get("additionalProperties")
        if isinstance(old_extra, dict) or isinstance(new_extra, dict):  # a dict's values
            if old_extra is not False and new_extra is not False:
                self.compare(_as_schema(old_extra), _as_schema(new_extra), [*path, "{}"], direction)
            else:
                what = self.changed(old.schema, new.schema)
                self.add("type-changed", path, what, direction, loses=new_extra is False, gains=old_extra is False)
        elif direction == "input" and (old_extra is False) != (new_extra is False):
            forbidden = new_extra is False
            what = "refuses unknown fields now" if forbidden else "accepts unknown fields now"
            self.add("extra-fields", path, what, direction, loses=forbidden, gains=not forbidden)
        removed = [name for name in old_props if name not in new_props]
        added = [name for name in new_props if name not in old_props]
        renamed = _pair_renames(
            removed,
            added,
            lambda before, after: (
                (before in old_required) == (after in new_required)
                and self.same(old_props[before], new_props[after], direction)
            ),
        )
        renamed_from = {after: before for before, after in renamed.items()}
        for name in removed:
            what = f"removed (renamed to {renamed[name]!r}?)" if name in renamed else "removed"
            if direction == "input":
                refused = new_extra is False
                why = "the server refuses it now" if refused else "the server ignores it when sent"
                self.add("field-removed", [*path, name], what, direction, loses=refused, gains=False, why=why)
            elif name in old_required:
                self.add(
                    "field-removed", [*path, name], what, direction, loses=False, gains=True, why="clients read it"
                )
            else:
                why = "it was optional"
                self.add("field-removed", [*path, name], what, direction, loses=False, gains=False, why=why)
        for name in added:
            hint = f" (renamed from {renamed_from[name]!r}?)" if name in renamed_from else ""
            if direction == "output":
                self.add("field-added", [*path, name], f"added{hint}", direction, loses=False, gains=False)
            elif name in new_required:
                what = f"added as a required field{hint}"
                self.add("field-added", [*path, name], what, direction, loses=True, gains=False)
            else:
                what = f"added as an optional field{hint}"
                self.add("field-added", [*path, name], what, direction, loses=False, gains=True)
        for name in old_props:
            if name not in new_props:
                continue
            field_path = [*path, name]
            was, now = name in old_required, name in new_required
            if was != now:
                if direction == "input":
                    what = "became required" if now else "became optional"
                else:
                    what = "is always present now" if now else "may be missing now"
                self.add(
                    "field-required" if now else "field-optional", field_path, what, direction, loses=now, gains=was
                )
            if direction == "input":
                self.default(old_props[name], new_props[name], field_path)
            self.compare(old_props[name], new_props[name], field_path, direction)

    def changed(self, old: Any, new: Any) -> str:
        """``changed from integer to string``; a model named alike on both sides is shown by its content."""
        before, after = _label(old, self.old_defs), _label(new, self.new_defs)
        if before == after:
            before, after = _label(old, self.old_defs, expand=True), _label(new, self.new_defs, expand=True)
        return f"changed from {_cut(before)} to {_cut(after)}"


# -- schema helpers --------------------------------------------------------------------------


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _required(schema: dict[str, Any]) -> set[str]:
    required = schema.get("required")
    return {name for name in required if isinstance(name, str)} if isinstance(required, list) else set()


def _as_schema(value: Any) -> Any:
    """``additionalProperties`` as the schema of the values (absent or true: any value)."""
    return value if isinstance(value, dict) else {}


def _declared_errors(value: Any) -> dict[int, Any]:
    """``[{"code": 4004, "data": <schema>}, ...]`` by code (``data`` absent: any)."""
    errors: dict[int, Any] = {}
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict) and type(entry.get("code")) is int:
            errors[entry["code"]] = entry.get("data", {})
    return errors


def _base(name: str) -> str:
    """The name clients know a ``$defs`` key by: ``UserInput`` and ``User`` for the keys
    ``User-Input`` and ``User-Output`` of a snapshot from before stable names, which the
    emitters exported so; a key of today is its own name."""
    if name.endswith("-Input"):
        return name.removesuffix("-Input") + "Input"
    return name.removesuffix("-Output")


def _resolve(schema: Any, defs: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``schema`` with its ``$ref`` (and a one-member ``allOf``) replaced by the target, siblings
    kept; the name of the first ``$defs`` entry on the way. An unresolvable ``$ref`` stays."""
    if schema is True or schema is None:
        return {}, None
    if not isinstance(schema, dict):
        return {"not": {}}, None  # false, or something that is no schema: nothing is allowed
    name: str | None = None
    seen: set[str] = set()
    while True:
        ref = schema.get("$ref")
        all_of = schema.get("allOf")
        if isinstance(ref, str):
            key = ref[len("#/$defs/") :] if ref.startswith("#/$defs/") else None
            target = defs.get(key) if key is not None and ref not in seen else None
            if not isinstance(target, dict):
                return schema, name
            seen.add(ref)
            name = name or key
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        elif isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            schema = {**{k: v for k, v in schema.items() if k != "allOf"}, **all_of[0]}
        else:
            return schema, name


def _alternatives(schema: Any, defs: dict[str, Any], expanding: frozenset[str] = frozenset()) -> list[_Alt]:
    """The members of ``schema``'s union, flattened: one per JSON type, one per literal value."""
    resolved, name = _resolve(schema, defs)
    if "$ref" in resolved or (name is not None and name in expanding):
        return [_Alt("opaque", resolved, name)]
    members = resolved.get("anyOf", resolved.get("oneOf"))
    if isinstance(members, list) and members:
        inner = expanding | {name} if name is not None else expanding
        return [alt for member in members for alt in _alternatives(member, defs, inner)]
    if isinstance(resolved.get("enum"), list):
        return [_Alt("literal", resolved, name, value) for value in resolved["enum"]]
    if "const" in resolved:
        return [_Alt("literal", resolved, name, resolved["const"])]
    if resolved == {"not": {}}:
        return []
    kind = resolved.get("type")
    if isinstance(kind, list):
        return [_Alt(str(each), {**resolved, "type": each}, name) for each in kind]
    if isinstance(kind, str):
        return [_Alt(kind, resolved, name)]
    if "properties" in resolved or "additionalProperties" in resolved:
        return [_Alt("object", resolved, name)]
    if "items" in resolved or "prefixItems" in resolved:
        return [_Alt("array", resolved, name)]
    return [_Alt("any", resolved, name)]


def _pair(olds: list[_Alt], news: list[_Alt]) -> tuple[list[tuple[_Alt, _Alt]], list[_Alt], list[_Alt]]:
    """The old and new members of a union matched for a closer look, and those left unmatched
    (removed, added). Objects match by model name, then by title, then a lone pair; an
    integer left over matches a number."""
    old_left = [alt for alt in olds if alt.kind != "literal"]
    new_left = [alt for alt in news if alt.kind != "literal"]
    pairs: list[tuple[_Alt, _Alt]] = []

    def match(test: Callable[[_Alt, _Alt], bool]) -> None:
        for old in list(old_left):
            for new in new_left:
                if test(old, new):
                    pairs.append((old, new))
                    old_left.remove(old)
                    new_left.remove(new)
                    break

    match(lambda old, new: old.kind == new.kind and old.kind not in ("object", "opaque"))
    match(lambda old, new: old.kind == new.kind == "opaque" and old.schema.get("$ref") == new.schema.get("$ref"))
    match(
        lambda old, new: (
            old.kind == new.kind == "object"
            and old.name is not None
            and new.name is not None
            and _base(old.name) == _base(new.name)
        )
    )
    match(
        lambda old, new: (
            old.kind == new.kind == "object"
            and old.schema.get("title") is not None
            and old.schema.get("title") == new.schema.get("title")
        )
    )
    if [alt.kind for alt in old_left].count("object") == 1 and [alt.kind for alt in new_left].count("object") == 1:
        match(lambda old, new: old.kind == new.kind == "object")
    match(lambda old, new: {old.kind, new.kind} == {"integer", "number"})
    return pairs, old_left, new_left


def _covered(value: Any, alts: list[_Alt]) -> bool:
    """Whether a union of ``alts`` allows the literal ``value`` (constraints aside)."""
    kind = _JSON_TYPES.get(type(value), "any")
    for alt in alts:
        if alt.kind == "literal" and _same_value(alt.value, value):
            return True
        if alt.kind == kind or (alt.kind == "number" and kind == "integer"):
            return True
    return False


def _same_value(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _varnames(schema: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """An enum's member names in generated code (``x-enum-varnames``), by value."""
    values, names = schema.get("enum"), schema.get("x-enum-varnames")
    if not isinstance(values, list) or not isinstance(names, list) or len(values) != len(names):
        return {}
    return {json.dumps(value, sort_keys=True): (value, str(name)) for value, name in zip(values, names, strict=True)}


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bound(schema: dict[str, Any], lower: bool) -> tuple[float, bool] | None:
    """A number's tightest lower (or upper) bound: (value, exclusive), or None."""
    inclusive = schema.get("minimum" if lower else "maximum")
    exclusive = schema.get("exclusiveMinimum" if lower else "exclusiveMaximum")
    bounds: list[tuple[float, bool]] = []
    if _is_number(inclusive):
        bounds.append((inclusive, False))
    if _is_number(exclusive):
        bounds.append((exclusive, True))
    if not bounds:
        return None
    # The tightest: for a lower bound the largest value (exclusive first at a tie), for an upper the smallest.
    return max(bounds) if lower else min(bounds, key=lambda bound: (bound[0], not bound[1]))


def _show_bound(bound: tuple[float, bool] | None, lower: bool) -> str:
    if bound is None:
        return "none"
    value, exclusive = bound
    sign = (">" if lower else "<") + ("" if exclusive else "=")
    return f"{sign} {value}"


def _label(schema: Any, defs: dict[str, Any], expand: bool = False) -> str:
    """A short name for a schema, for messages: ``integer``, ``User``, ``"a" | "b"``, ``string[]``;
    ``expand``: a ``$ref`` at the top by what it points to."""
    if schema is True or schema is None:
        return "any"
    if not isinstance(schema, dict):
        return "nothing"
    ref = schema.get("$ref")
    if isinstance(ref, str) and not expand:
        return _base(ref.rsplit("/", 1)[-1])
    resolved, _ = _resolve(schema, defs)
    members = resolved.get("anyOf", resolved.get("oneOf"))
    if isinstance(members, list) and members:
        return " | ".join(_label(member, defs) for member in members)
    if isinstance(resolved.get("enum"), list):
        return " | ".join(_short(value) for value in resolved["enum"]) or "nothing"
    if "const" in resolved:
        return _short(resolved["const"])
    kind = resolved.get("type")
    if isinstance(kind, list):
        return " | ".join(str(each) for each in kind)
    if kind == "array" or (kind is None and ("items" in resolved or "prefixItems" in resolved)):
        prefix = resolved.get("prefixItems")
        if isinstance(prefix, list):
            return "[" + ", ".join(_label(item, defs) for item in prefix) + "]"
        item = _label(resolved.get("items", {}), defs)
        return f"({item})[]" if " | " in item else f"{item}[]"
    extra = resolved.get("additionalProperties")
    if isinstance(extra, dict) and not resolved.get("properties"):
        return f"{{[key]: {_label(extra, defs)}}}"
    if isinstance(kind, str):
        return kind
    if resolved == {"not": {}}:
        return "nothing"
    return "object" if "properties" in resolved else "any"


def _cut(label: str) -> str:
    return label if len(label) <= 80 else label[:77] + "..."


def _short(value: Any) -> str:
    """A JSON value for a message, cut when long."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _effect(direction: Direction, loses: bool, gains: bool) -> str:
    if direction == "input":
        return "input narrowed" if loses else "input widened" if gains else ""
    return "output widened" if gains else "output narrowed" if loses else ""


def _path(path: list[str]) -> str:
    """``params.user.tags[]``, ``result[].name``, ``errors.4004.data``."""
    text = ""
    for part in path:
        text += part if part.startswith(("[", "{")) or not text else f".{part}"
    return text


def _where(path: list[str]) -> str:
    """Where a change is, in a message: ``parameter 'user.email'``, ``result[].name``, ``error 4004 data``."""
    if path[:1] == ["params"] and len(path) > 1:
        return f"parameter {_path(path[1:])!r}"
    if path[:1] == ["errors"] and len(path) > 2:
        rest = _path(path[3:])
        return f"error {path[1]} data" + ("" if not rest else rest if rest.startswith(("[", "{")) else f".{rest}")
    return _path(path)


# -- reading and showing ---------------------------------------------------------------------


def load_saved(source: str | Path) -> dict[str, Any]:
    """The saved schema: a file (the client project's ``pyrpc/schema.json``, say) or an
    ``http(s)://`` URL, checked to be a pyRPC schema; else ``CheckError`` naming it."""
    from .remote import SchemaError, fetch_schema, schema_problem

    if isinstance(source, str) and source.startswith(("http://", "https://")):
        try:
            return fetch_schema(source)
        except SchemaError as exc:
            raise CheckError(str(exc)) from None
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckError(f"no saved schema at {path}: make one with {REMAKE}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CheckError(f"{path}: cannot be read: {reason}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckError(
            f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}; make it again with {REMAKE}"
        ) from None
    problem = schema_problem(document)
    if problem is not None:
        raise CheckError(f"{path}: not a pyRPC schema ({problem}); make it again with {REMAKE}")
    saved: dict[str, Any] = document
    if saved["version"] != 1:
        raise CheckError(f"{path}: schema version {saved['version']}, and this pyrpc reads version 1; upgrade pyrpc")
    return saved


def format_change(change: Change) -> str:
    """``BREAKING users.get: parameter 'id' changed from integer to string (input narrowed)``."""
    return f"{'BREAKING' if change.breaking else 'safe':8} {change.procedure}: {change.message}"


def summary(changes: list[Change]) -> str:
    """``2 breaking changes, 3 safe``."""
    breaking = sum(change.breaking for change in changes)
    return f"{breaking} breaking change{'' if breaking == 1 else 's'}, {len(changes) - breaking} safe"


def to_document(changes: list[Change]) -> dict[str, list[dict[str, str]]]:
    """``{"breaking": [...], "safe": [...]}``, each change as ``{procedure, kind, path, message}``."""
    return {
        "breaking": [change.to_json() for change in changes if change.breaking],
        "safe": [change.to_json() for change in changes if not change.breaking],
    }
