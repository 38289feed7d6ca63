"""``pyrpc check``'s comparison: a corpus of before/after pairs, at least one per rule.

Most pairs are built from real registries (procedures registered, ``build_schema``, changed,
built again), so the corpus says what the rules make of what the schema generator produces.
Hand-written documents cover what the generator does not make (yet): declared errors,
optional output fields, unknown keywords and procedure keys, unresolvable ``$ref``s.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from pyrpc_core import Registry, build_schema
from pyrpc_core.plugins import PluginManager
from pyrpc_core.procedure import Procedure
from pyrpc_core.tooling.check import (
    Change,
    CheckError,
    compare,
    format_change,
    load_saved,
    summary,
    to_document,
)

Document = dict[str, Any]


def api(idempotent: tuple[str, ...] = (), **procedures: Callable[..., Any]) -> Document:
    """The schema of a registry of ``procedures`` (by name), their annotations resolved in the caller's scope."""
    localns = sys._getframe(1).f_locals
    registry = Registry()
    for name, function in procedures.items():
        procedure = Procedure.from_function(function, name=name, localns=localns)
        registry.add(dataclasses.replace(procedure, idempotent=name in idempotent))  # as @rpc(idempotent=True)
    return build_schema(registry, PluginManager())


def lines(changes: list[Change]) -> list[str]:
    return [f"{'BREAKING' if change.breaking else 'safe'} {change.procedure}: {change.message}" for change in changes]


Build = Callable[[], tuple[Document, Document]]
"""A pair of the corpus: the saved schema and the current one."""
CORPUS: dict[str, tuple[Build, list[str]]] = {}


def pair(*expected: str) -> Callable[[Build], Build]:
    """Add a before/after pair to the corpus, with the lines ``compare`` must give for it."""

    def add(build: Build) -> Build:
        CORPUS[build.__name__] = (build, list(expected))
        return build

    return add


# -- procedures ------------------------------------------------------------------------------


@pair("BREAKING ping: procedure removed")
def procedure_removed() -> tuple[Document, Document]:
    def ping() -> str: ...
    def add(a: int, b: int) -> int: ...

    return api(ping=ping, add=add), api(add=add)


@pair("safe ping: procedure added")
def procedure_added() -> tuple[Document, Document]:
    def ping() -> str: ...
    def add(a: int, b: int) -> int: ...

    return api(add=add), api(add=add, ping=ping)


@pair(
    "safe users.find: procedure added (renamed from 'users.get'?)",
    "BREAKING users.get: procedure removed (renamed to 'users.find'?)",
)
def procedure_renamed() -> tuple[Document, Document]:
    def get_user(id: int) -> str: ...

    return api(**{"users.get": get_user}), api(**{"users.find": get_user})


@pair(
    "safe users.find: procedure added",  # another shape: no hint
    "BREAKING users.get: procedure removed",
)
def procedure_removed_and_another_added() -> tuple[Document, Document]:
    def get_user(id: int) -> str: ...
    def find_user(name: str) -> str: ...

    return api(**{"users.get": get_user}), api(**{"users.find": find_user})


@pair()  # nothing a client notices
def doc_only() -> tuple[Document, Document]:
    def before(a: int, b: int) -> int:
        """Add."""
        ...

    def after(a: int, b: int) -> int:
        """Add two integers, documented at last."""
        ...

    return api(add=before), api(add=after)


@pair("BREAKING put: no longer idempotent (clients may retry it after an error)")
def idempotent_removed() -> tuple[Document, Document]:
    def put(key: str) -> None: ...

    return api(put=put, idempotent=("put",)), api(put=put)


@pair("safe put: idempotent now")
def idempotent_added() -> tuple[Document, Document]:
    def put(key: str) -> None: ...

    return api(put=put), api(put=put, idempotent=("put",))


# -- parameters ------------------------------------------------------------------------------


@pair("BREAKING add: parameter 'c' added without a default")
def param_added_without_default() -> tuple[Document, Document]:
    def before(a: int, b: int) -> int: ...
    def after(a: int, b: int, c: int) -> int: ...

    return api(add=before), api(add=after)


@pair("safe add: parameter 'c' added with a default")
def param_added_with_default() -> tuple[Document, Document]:
    def before(a: int, b: int) -> int: ...
    def after(a: int, b: int, c: int = 0) -> int: ...

    return api(add=before), api(add=after)


@pair("BREAKING add: parameter 'c' added before 'b': by-position calls shift")
def param_inserted_before_another() -> tuple[Document, Document]:
    def before(a: int, b: int = 0) -> int: ...
    def after(a: int, c: int = 0, b: int = 0) -> int: ...

    return api(add=before), api(add=after)


@pair("BREAKING add: parameter 'b' removed")
def param_removed() -> tuple[Document, Document]:
    def before(a: int, b: int = 0) -> int: ...
    def after(a: int) -> int: ...

    return api(add=before), api(add=after)


@pair(
    "BREAKING get: parameter 'id' removed (renamed to 'user_id'?)",
    "BREAKING get: parameter 'user_id' added without a default (renamed from 'id'?)",
)
def param_renamed() -> tuple[Document, Document]:
    def before(id: int) -> str: ...
    def after(user_id: int) -> str: ...

    return api(get=before), api(get=after)


@pair("BREAKING move: parameters reordered from (x, y) to (y, x): by-position calls break")
def params_reordered() -> tuple[Document, Document]:
    def before(x: int, y: int) -> None: ...
    def after(y: int, x: int) -> None: ...

    return api(move=before), api(move=after)


@pair("BREAKING page: parameter 'size' lost its default (now required)")
def param_lost_its_default() -> tuple[Document, Document]:
    def before(number: int, size: int = 20) -> list[int]: ...
    def after(number: int, size: int) -> list[int]: ...

    return api(page=before), api(page=after)


@pair("safe page: parameter 'size' has a default now")
def param_got_a_default() -> tuple[Document, Document]:
    def before(number: int, size: int) -> list[int]: ...
    def after(number: int, size: int = 20) -> list[int]: ...

    return api(page=before), api(page=after)


@pair("safe page: parameter 'size' default changed from 20 to 50")
def param_default_changed() -> tuple[Document, Document]:
    def before(number: int, size: int = 20) -> list[int]: ...
    def after(number: int, size: int = 50) -> list[int]: ...

    return api(page=before), api(page=after)


@pair("BREAKING users.get: parameter 'id' changed from integer to string (input narrowed)")
def param_type_changed() -> tuple[Document, Document]:
    def before(id: int) -> str: ...
    def after(id: str) -> str: ...

    return api(**{"users.get": before}), api(**{"users.get": after})


@pair("safe get: parameter 'id' changed from integer to integer | string (input widened)")
def param_union_member_added() -> tuple[Document, Document]:
    def before(id: int) -> str: ...
    def after(id: int | str) -> str: ...

    return api(get=before), api(get=after)


@pair("BREAKING get: parameter 'id' changed from integer | string to integer (input narrowed)")
def param_union_member_removed() -> tuple[Document, Document]:
    def before(id: int | str) -> str: ...
    def after(id: int) -> str: ...

    return api(get=before), api(get=after)


@pair("BREAKING find: parameter 'name' no longer accepts null (input narrowed)")
def param_no_longer_nullable() -> tuple[Document, Document]:
    def before(name: str | None) -> int: ...
    def after(name: str) -> int: ...

    return api(find=before), api(find=after)


@pair("safe find: parameter 'name' accepts null now (input widened)")
def param_nullable_now() -> tuple[Document, Document]:
    def before(name: str) -> int: ...
    def after(name: str | None) -> int: ...

    return api(find=before), api(find=after)


@pair(
    "BREAKING scale: result changed from integer to number (output widened)",
    "safe scale: parameter 'factor' changed from integer to number (input widened)",
)
def integer_to_number() -> tuple[Document, Document]:
    def before(factor: int) -> int: ...
    def after(factor: float) -> float: ...

    return api(scale=before), api(scale=after)


@pair("BREAKING scale: parameter 'factor' changed from number to integer (input narrowed)")
def number_to_integer() -> tuple[Document, Document]:
    def before(factor: float) -> None: ...
    def after(factor: int) -> None: ...

    return api(scale=before), api(scale=after)


# -- constraints (inputs: what TypeScript types leave to the server) -------------------------


@pair(
    "BREAKING rename: parameter 'name': minLength 1 added (input narrowed)",
    "BREAKING rename: parameter 'name': maxLength lowered from 20 to 10 (input narrowed)",
    "BREAKING rename: parameter 'code': pattern \"^[a-z]+$\" added (input narrowed)",
    "BREAKING rename: parameter 'age': lower bound changed from >= 0 to >= 18 (input narrowed)",
    "safe rename: parameter 'age': upper bound < 150 removed (input widened)",
)
def constraints_tightened() -> tuple[Document, Document]:
    def before(
        name: Annotated[str, Field(max_length=20)],
        code: str,
        age: Annotated[int, Field(ge=0, lt=150)],
    ) -> None: ...

    def after(
        name: Annotated[str, Field(min_length=1, max_length=10)],
        code: Annotated[str, Field(pattern="^[a-z]+$")],
        age: Annotated[int, Field(ge=18)],
    ) -> None: ...

    return api(rename=before), api(rename=after)


@pair(
    "safe rename: parameter 'name': maxLength raised from 10 to 20 (input widened)",
    "safe rename: parameter 'age': lower bound changed from > 0 to >= 0 (input widened)",
    "safe rename: parameter 'tags': maxItems 3 removed (input widened)",
)
def constraints_loosened() -> tuple[Document, Document]:
    def before(
        name: Annotated[str, Field(max_length=10)],
        age: Annotated[int, Field(gt=0)],
        tags: Annotated[list[str], Field(max_length=3)],
    ) -> None: ...

    def after(
        name: Annotated[str, Field(max_length=20)],
        age: Annotated[int, Field(ge=0)],
        tags: list[str],
    ) -> None: ...

    return api(rename=before), api(rename=after)


@pair()  # TypeScript types of results carry no lengths or bounds
def output_constraints_are_not_compared() -> tuple[Document, Document]:
    def before() -> Annotated[str, Field(max_length=5)]: ...
    def after() -> Annotated[str, Field(max_length=10)]: ...

    return api(code=before), api(code=after)


# -- enums and literals ----------------------------------------------------------------------


def _paint(colors: list[str]) -> Document:
    Color = enum.Enum("Color", {name.upper(): name for name in colors})

    def paint(color: Color) -> None: ...

    def current() -> Color: ...

    return api(paint=paint, current=current)


@pair(
    'safe current: result: enum member "green" removed (output narrowed)',
    "BREAKING paint: parameter 'color': enum member \"green\" removed (input narrowed)",
)
def enum_member_removed() -> tuple[Document, Document]:
    return _paint(["red", "green"]), _paint(["red"])


@pair(
    'BREAKING current: result: enum member "blue" added (output widened)',
    "safe paint: parameter 'color': enum member \"blue\" added (input widened)",
)
def enum_member_added() -> tuple[Document, Document]:
    return _paint(["red", "green"]), _paint(["red", "green", "blue"])


@pair("BREAKING sort: parameter 'order': enum member \"desc\" removed (input narrowed)")
def literal_member_removed() -> tuple[Document, Document]:
    def before(order: Literal["asc", "desc"] = "asc") -> None: ...
    def after(order: Literal["asc"] = "asc") -> None: ...

    return api(sort=before), api(sort=after)


@pair('BREAKING status: result: enum member "gone" added (output widened)')
def literal_member_added_to_output() -> tuple[Document, Document]:
    def before() -> Literal["up", "down"]: ...
    def after() -> Literal["up", "down", "gone"]: ...

    return api(status=before), api(status=after)


@pair('BREAKING sort: parameter \'order\' changed from string to "asc" | "desc" (input narrowed)')
def string_narrowed_to_literals() -> tuple[Document, Document]:
    def before(order: str) -> None: ...
    def after(order: Literal["asc", "desc"]) -> None: ...

    return api(sort=before), api(sort=after)


@pair('safe current: result: enum member "red" renamed from RED to CRIMSON in generated code (the same on the wire)')
def enum_member_renamed_in_code() -> tuple[Document, Document]:
    def before() -> Document:
        class Color(enum.Enum):
            RED = "red"

        def current() -> Color: ...

        return api(current=current)

    def after() -> Document:
        class Color(enum.Enum):
            CRIMSON = "red"

        def current() -> Color: ...

        return api(current=current)

    return before(), after()


# -- models, through $ref --------------------------------------------------------------------


@pair(
    "BREAKING users.create: parameter 'user.email' added as a required field (input narrowed)",
    "safe users.create: parameter 'user': type 'NewUser' renamed to 'NewUserInput' "
    "(the same on the wire; code that names it needs the new name)",
    "safe users.create: parameter 'user.nick' added as an optional field (input widened)",
)
def input_model_field_added() -> tuple[Document, Document]:
    def before() -> Document:
        class NewUser(BaseModel):
            name: str

        def create(user: NewUser) -> int: ...

        return api(**{"users.create": create})

    def after() -> Document:
        class NewUser(BaseModel):
            name: str
            email: str
            nick: str | None = None

        def create(user: NewUser) -> int: ...

        return api(**{"users.create": create})

    return before(), after()


@pair(
    "safe users.create: parameter 'user': type 'NewUserInput' renamed to 'NewUser' "
    "(the same on the wire; code that names it needs the new name)",
    "safe users.create: parameter 'user.nick' removed (the server ignores it when sent)",
)
def input_model_field_removed_extra_ignored() -> tuple[Document, Document]:
    def before() -> Document:
        class NewUser(BaseModel):
            name: str
            nick: str = ""

        def create(user: NewUser) -> int: ...

        return api(**{"users.create": create})

    def after() -> Document:
        class NewUser(BaseModel):
            name: str

        def create(user: NewUser) -> int: ...

        return api(**{"users.create": create})

    return before(), after()


@pair(
    "BREAKING users.create: parameter 'user.nick' removed (the server refuses it now)",
    "safe users.create: parameter 'user': type 'NewUserInput' renamed to 'NewUser' "
    "(the same on the wire; code that names it needs the new name)",
)
def input_model_field_removed_extra_forbidden() -> tuple[Document, Document]:
    def before() -> Document:
        class NewUser(BaseModel):
            model_config = ConfigDict(extra="forbid")
            name: str
            nick: str = ""

        def create(user: NewUser) -> int: ...

        return api(**{"users.create": create})

    def after() -> Document:
        class NewUser(BaseModel):
            model_config = ConfigDict(extra="forbid")
            name: str

        def create(user: NewUser) -> int: ...

        return api(**{"users.create": create})

    return before(), after()


@pair(
    "BREAKING users.create: parameter 'user' refuses unknown fields now (input narrowed)",
    "BREAKING users.create: parameter 'user.nick' became required (input narrowed)",
    "safe users.create: parameter 'user': type 'NewUserInput' renamed to 'NewUser' "
    "(the same on the wire; code that names it needs the new name)",
)
def input_model_field_became_required() -> tuple[Document, Document]:
    def before() -> Document:
        class NewUser(BaseModel):
            name: str
            nick: str = ""

        def create(user: NewUser) -> int: ...

        return api(**{"users.create": create})

    def after() -> Document:
        class NewUser(BaseModel):
            model_config = ConfigDict(extra="forbid")
            name: str
            nick: str

        def create(user: NewUser) -> int: ...

        return api(**{"users.create": create})

    return before(), after()


@pair(
    "BREAKING users.get: result.mail removed (renamed to 'email'?) (clients read it)",
    "safe users.get: result.email added (renamed from 'mail'?)",
)
def output_field_renamed() -> tuple[Document, Document]:
    def before() -> Document:
        class User(BaseModel):
            mail: str

        def get(id: int) -> User: ...

        return api(**{"users.get": get})

    def after() -> Document:
        class User(BaseModel):
            email: str

        def get(id: int) -> User: ...

        return api(**{"users.get": get})

    return before(), after()


@pair("BREAKING users.get: result.email removed (clients read it)")
def output_required_field_removed() -> tuple[Document, Document]:
    def before() -> Document:
        class User(BaseModel):
            id: int
            email: str = ""  # a default: still always present in the output

        def get(id: int) -> User: ...

        return api(**{"users.get": get})

    def after() -> Document:
        class User(BaseModel):
            id: int

        def get(id: int) -> User: ...

        return api(**{"users.get": get})

    return before(), after()


@pair(
    "BREAKING users.get: result.email may now be null (output widened)",
    "safe users.get: result.age added",
)
def output_field_nullable_and_added() -> tuple[Document, Document]:
    def before() -> Document:
        class User(BaseModel):
            id: int
            email: str

        def get(id: int) -> User: ...

        return api(**{"users.get": get})

    def after() -> Document:
        class User(BaseModel):
            id: int
            email: str | None
            age: int = 0

        def get(id: int) -> User: ...

        return api(**{"users.get": get})

    return before(), after()


@pair("safe find: result is never null now (output narrowed)")
def output_no_longer_nullable() -> tuple[Document, Document]:
    def before(name: str) -> int | None: ...
    def after(name: str) -> int: ...

    return api(find=before), api(find=after)


@pair("BREAKING pets.get: result changed from Cat | Dog to Cat | Dog | Bird (output widened)")
def output_union_member_added() -> tuple[Document, Document]:
    class Cat(BaseModel):
        meows: bool

    class Dog(BaseModel):
        barks: bool

    class Bird(BaseModel):
        sings: bool

    def before(id: int) -> Cat | Dog: ...
    def after(id: int) -> Cat | Dog | Bird: ...

    return api(**{"pets.get": before}), api(**{"pets.get": after})


@pair(
    "BREAKING orders.put: parameter 'order.items[].price' changed from integer to string (input narrowed)",
    "BREAKING orders.put: result.items[].price changed from integer to string (output widened)",
)
def change_deep_in_a_referenced_model() -> tuple[Document, Document]:
    def before() -> Document:
        class Item(BaseModel):
            price: int

        class Order(BaseModel):
            items: list[Item]

        def put(order: Order) -> Order: ...

        return api(**{"orders.put": put})

    def after() -> Document:
        class Item(BaseModel):
            price: str

        class Order(BaseModel):
            items: list[Item]

        def put(order: Order) -> Order: ...

        return api(**{"orders.put": put})

    return before(), after()


@pair(
    "BREAKING tree: parameter 'root.name' changed from string to integer (input narrowed)",
    "BREAKING tree: result.name changed from string to integer (output widened)",
)
def recursive_model() -> tuple[Document, Document]:
    def before() -> Document:
        class Node(BaseModel):
            name: str
            children: list[Node] = []

        def tree(root: Node) -> Node: ...

        return api(**{"tree": tree})

    def after() -> Document:
        class Node(BaseModel):
            name: int
            children: list[Node] = []

        def tree(root: Node) -> Node: ...

        return api(**{"tree": tree})

    return before(), after()


@pair(
    "safe users.get: result: type 'User' renamed to 'Person' (the same on the wire; code that names it needs the "
    "new name)"
)
def model_renamed() -> tuple[Document, Document]:
    def before() -> Document:
        class User(BaseModel):
            id: int

        def get(id: int) -> User: ...

        return api(**{"users.get": get})

    def after() -> Document:
        class Person(BaseModel):
            id: int

        def get(id: int) -> Person: ...

        return api(**{"users.get": get})

    return before(), after()


@pair(
    "BREAKING pair: parameter 'counts{}' changed from integer to string (input narrowed)",
    "BREAKING pair: result changed from [integer, string] to [integer, string, boolean] (output widened)",
)
def tuples_and_dicts() -> tuple[Document, Document]:
    def before(counts: dict[str, int]) -> tuple[int, str]: ...
    def after(counts: dict[str, str]) -> tuple[int, str, bool]: ...

    return api(pair=before), api(pair=after)


# -- hand-written documents ------------------------------------------------------------------


def document(procedures: dict[str, Any], defs: dict[str, Any] | None = None) -> Document:
    entries = {
        name: {"name": name, "doc": None, "params": {"type": "object", "properties": {}}, "result": {}, **entry}
        for name, entry in procedures.items()
    }
    return {"version": 1, "procedures": entries, "$defs": defs or {}}


DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}


@pair(
    "BREAKING find: declared error 4009 added (clients that handle every declared error miss it)",
    "BREAKING find: error 4004 data.detail may now be null (output widened)",
    "safe find: declared error 4001 removed",
)
def declared_errors() -> tuple[Document, Document]:
    nullable = copy.deepcopy(DETAIL)
    nullable["properties"]["detail"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    old = document({"find": {"errors": [{"code": 4001}, {"code": 4004, "data": DETAIL}]}})
    new = document({"find": {"errors": [{"code": 4004, "data": nullable}, {"code": 4009}]}})
    return old, new


@pair(
    "BREAKING get: result.email may be missing now (output widened)",
    "safe get: result.nick removed (it was optional)",
)
def output_optional_fields() -> tuple[Document, Document]:
    def user(properties: dict[str, Any], required: list[str]) -> Document:
        result = {"type": "object", "properties": properties, "required": required}
        return document({"get": {"result": result}})

    text = {"type": "string"}
    return user({"email": text, "nick": text}, ["email"]), user({"email": text}, [])


@pair(
    'BREAKING get: result changed its \'patternProperties\' from {"^x-": {"type": "string"}} to '
    '{"^x-": {"type": "integer"}} (output widened)',
    "BREAKING get: 'stream' changed from null to true (a key pyrpc check does not know: review it)",
)
def unknown_keywords_are_breaking() -> tuple[Document, Document]:
    def result(kind: str) -> dict[str, Any]:
        return {"type": "object", "patternProperties": {"^x-": {"type": kind}}}

    old = document({"get": {"result": result("string")}})
    new = document({"get": {"result": result("integer"), "stream": True, "deprecated": True}})
    return old, new


@pair("BREAKING get: result changed from Elsewhere to Other (output widened)")
def unresolvable_refs() -> tuple[Document, Document]:
    old = document({"get": {"result": {"$ref": "other.json#/Elsewhere"}}})
    new = document({"get": {"result": {"$ref": "other.json#/Other"}}})
    return old, new


@pair("BREAKING walk: result.next changed from integer | Json | object to string | Json | object (output widened)")
def cycle_through_a_union() -> tuple[Document, Document]:
    def json_type(scalar: str) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": scalar},
                {"$ref": "#/$defs/Json"},
                {"type": "object", "properties": {"next": {"$ref": "#/$defs/Json"}}},
            ]
        }

    def doc(scalar: str) -> Document:
        defs = {"Json": {"type": "object", "properties": {"next": json_type(scalar)}}}
        return document({"walk": {"result": {"$ref": "#/$defs/Json"}}}, defs)

    return doc("integer"), doc("string")


@pair("BREAKING p: parameter 'x' changed from A | null | string to A | null | integer (input narrowed)")
def refs_to_themselves() -> tuple[Document, Document]:
    """A union that holds itself, a model that is all of itself: both end."""

    def doc(scalar: str) -> Document:
        params = {"type": "object", "properties": {"x": {"$ref": "#/$defs/A"}}, "required": ["x"]}
        defs = {
            "A": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}, {"type": scalar}]},
            "B": {"allOf": [{"$ref": "#/$defs/B"}]},
        }
        return document({"p": {"params": params, "result": {"$ref": "#/$defs/B"}}}, defs)

    return doc("string"), doc("integer")


@pair(
    "BREAKING get: result changed from string to any (output widened)",
    "safe get: parameter 'id' changed from integer to any (input widened)",
)
def any_value() -> tuple[Document, Document]:
    def doc(id_schema: dict[str, Any], result: dict[str, Any]) -> Document:
        params = {"type": "object", "properties": {"id": id_schema}, "required": ["id"]}
        return document({"get": {"params": params, "result": result}})

    return doc({"type": "integer"}, {"type": "string"}), doc({}, {})


# -- the corpus, run -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus(name: str) -> None:
    build, expected = CORPUS[name]
    old, new = build()
    assert lines(compare(old, new)) == expected


@pytest.mark.parametrize("name", list(CORPUS))
def test_a_document_against_itself_has_no_changes(name: str) -> None:
    old, new = CORPUS[name][0]()
    assert compare(old, copy.deepcopy(old)) == []
    assert compare(new, copy.deepcopy(new)) == []


def test_every_rule_has_a_pair() -> None:
    kinds = {change.kind for build, _ in CORPUS.values() for change in compare(*build())}
    assert kinds >= {
        "procedure-removed",
        "procedure-added",
        "param-added",
        "param-removed",
        "params-reordered",
        "param-required",
        "param-optional",
        "default-changed",
        "type-changed",
        "type-narrowed",
        "type-widened",
        "null-removed",
        "null-added",
        "enum-member-removed",
        "enum-member-added",
        "enum-member-renamed",
        "constraint-changed",
        "field-added",
        "field-removed",
        "field-required",
        "field-optional",
        "extra-fields",
        "type-renamed",
        "error-added",
        "error-removed",
        "idempotent-removed",
        "idempotent-added",
        "keyword-changed",
        "procedure-changed",
    }


def test_a_model_that_gets_two_shapes_renames_its_input() -> None:
    """``User`` (one shape) in the saved schema, ``UserInput`` and ``User`` now: the wire is the
    same, but TypeScript code that names the parameter's type needs the new name."""

    def before() -> Document:
        class User(BaseModel):
            id: int

        def save(user: User) -> User: ...

        return api(save=save)

    def after() -> Document:
        class User(BaseModel):
            id: int
            tags: list[str] = []

        def save(user: User) -> User: ...

        return api(save=save)

    old, new = before(), after()
    assert set(new["$defs"]) == {"User", "UserInput"}
    assert lines(compare(old, new)) == [
        "safe save: parameter 'user': type 'User' renamed to 'UserInput' "
        "(the same on the wire; code that names it needs the new name)",
        "safe save: parameter 'user.tags' added as an optional field (input widened)",
        "safe save: result.tags added",
    ]


def test_a_snapshot_from_before_stable_names_keeps_its_names() -> None:
    """A snapshot of pydantic's naming (``User-Input``, ``User-Output``) against today's
    ``UserInput`` and ``User``: the emitters exported those keys under today's names, so nothing changed."""

    class User(BaseModel):
        id: int
        tags: list[str] = []

    def save(user: User) -> User: ...

    new = api(save=save)
    old_names = {"UserInput": "User-Input", "User": "User-Output"}
    text = json.dumps(new)
    for name, old_name in old_names.items():
        text = text.replace(f'"#/$defs/{name}"', f'"#/$defs/{old_name}"')
    old = json.loads(text)
    old["$defs"] = {old_names[name]: schema for name, schema in old["$defs"].items()}
    assert lines(compare(old, new)) == []


def test_order_is_by_procedure_breaking_first() -> None:
    old, new = CORPUS["integer_to_number"][0]()
    old_extra, new_extra = CORPUS["procedure_removed"][0]()
    merged_old = {**old, "procedures": {**old_extra["procedures"], **old["procedures"]}}
    merged_new = {**new, "procedures": {**new_extra["procedures"], **new["procedures"]}}
    assert [(change.procedure, change.breaking) for change in compare(merged_old, merged_new)] == [
        ("ping", True),
        ("scale", True),
        ("scale", False),
    ]


def test_reports() -> None:
    old, new = CORPUS["constraints_tightened"][0]()
    changes = compare(old, new)
    assert summary(changes) == "4 breaking changes, 1 safe"
    assert summary(changes[:1]) == "1 breaking change, 0 safe"
    assert summary([]) == "0 breaking changes, 0 safe"
    assert format_change(changes[0]) == "BREAKING rename: parameter 'name': minLength 1 added (input narrowed)"
    assert format_change(changes[-1]).startswith("safe     rename: ")
    document = to_document(changes)
    assert json.loads(json.dumps(document)) == document
    assert [len(document["breaking"]), len(document["safe"])] == [4, 1]
    assert document["breaking"][0] == {
        "procedure": "rename",
        "kind": "constraint-changed",
        "path": "params.name",
        "message": "parameter 'name': minLength 1 added (input narrowed)",
    }


def test_paths() -> None:
    paths = {
        change.path
        for name in ("change_deep_in_a_referenced_model", "declared_errors", "tuples_and_dicts", "procedure_removed")
        for change in compare(*CORPUS[name][0]())
    }
    assert paths == {
        "params.order.items[].price",
        "result.items[].price",
        "errors.4009",
        "errors.4004.data.detail",
        "errors.4001",
        "result",
        "params.counts{}",
        "",
    }


def test_broken_documents_do_not_crash_it() -> None:
    broken: Document = {
        "version": 1,
        "procedures": {"a": [], "b": {"params": "x", "result": 3, "errors": "no"}, "c": {"result": {"$ref": 1}}},
        "$defs": [],
    }
    compare(broken, broken)
    compare(broken, document({"a": {}, "b": {}, "c": {}}))
    compare({"version": 1, "procedures": {}}, broken)


_ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2.5,
    "",
    "#/$defs/Nope",
    [],
    {},
    [1, "a"],
    {"not": {}},
    {"anyOf": []},
    {"enum": []},
    {"type": ["string", "null"]},
    {"$ref": "#/$defs/User"},
    {"$ref": "#/$defs/A"},
]
_ODD_KEYS = ["anyOf", "oneOf", "allOf", "enum", "const", "$ref", "additionalProperties", "prefixItems", "items"]
_ODD_KEYS += ["required", "properties", "minimum", "maxLength", "errors", "idempotent"]


def _mutated(document: Document, rng: random.Random) -> Document:
    """``document`` with a few values replaced, removed or added anywhere."""
    document = copy.deepcopy(document)
    for _ in range(rng.randint(1, 4)):
        places: list[tuple[Any, Any]] = []
        stack: list[Any] = [document]
        while stack:
            node = stack.pop()
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
            for key, value in items:
                places.append((node, key))
                stack.append(value)
        parent, key = rng.choice(places)
        roll = rng.random()
        if roll < 0.6:
            parent[key] = copy.deepcopy(rng.choice(_ODD_VALUES))
        elif isinstance(parent, dict) and roll < 0.8:
            del parent[key]
        elif isinstance(parent, dict):
            parent[rng.choice(_ODD_KEYS)] = copy.deepcopy(rng.choice(_ODD_VALUES))
    return document


def test_odd_documents_never_crash_it() -> None:
    """Hand-edited or damaged snapshots: every comparison ends, with changes or none, never an exception."""
    rng = random.Random(16)
    documents = [document for build, _ in CORPUS.values() for document in build()]
    for _ in range(1000):
        old = rng.choice(documents)
        new = _mutated(rng.choice([old, rng.choice(documents)]), rng)
        compare(old, new)
        compare(new, old)


# -- the saved schema ------------------------------------------------------------------------


def test_load_saved_reads_a_snapshot(tmp_path: Path) -> None:
    old, _ = CORPUS["procedure_removed"][0]()
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(old, indent=2))
    assert load_saved(path) == old
    assert load_saved(str(path)) == old


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no saved schema at {path}: make one with 'pyrpc dev' (workspace mode writes it), 'npx pyrpc sync'"),
        ('{"version": 1', "{path}: line 1, column 14: not valid JSON: Expecting ',' delimiter; make it again with"),
        ('{"status": "ok"}', '{path}: not a pyRPC schema (no "version" and "procedures"); make it again with'),
        ('{"version": 2, "procedures": {}}', "{path}: schema version 2, and this pyrpc reads version 1"),
    ],
)
def test_load_saved_refuses_naming_the_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "schema.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CheckError) as caught:
        load_saved(path)
    assert str(caught.value).startswith(message.format(path=path))
    assert "pyrpc inspect --json > schema.json" in str(caught.value) or content is not None


def test_load_saved_from_an_unreachable_url() -> None:
    with pytest.raises(CheckError, match=r"cannot fetch the schema from http://127\.0\.0\.1:9/rpc"):
        load_saved("http://127.0.0.1:9")


def test_the_module_imports_nothing_heavy() -> None:
    code = "import sys, pyrpc_core.tooling.check; print('pydantic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
