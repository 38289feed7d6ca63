"""No faithful TypeScript form: the closest safe type and a comment, and never a failure.

The hand-written document in ``fragments.py`` is also compiled by tsc (``test_tsc.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyrpc_ts

from .conftest import interface
from .fragments import ODD_SCHEMA


@pytest.fixture(scope="module")
def odd() -> str:
    return pyrpc_ts.generate(ODD_SCHEMA)["index.d.ts"]


@pytest.mark.parametrize(
    "expected",
    [
        "negated: unknown /* 'not' has no TypeScript form */",
        "dangling: unknown /* unresolved $ref #/$defs/Missing */",
        "external: unknown /* unresolved $ref https://example.com/schema.json */",
        "number_schema: unknown /* not a schema: 42 */",
        'made_up: unknown /* unknown JSON type "frobnicate" */',
        "object_enum: unknown /* enum of values without literal types */",
        "object_const: { [key: string]: unknown } /* constant value */",
        "bad_enum: unknown /* malformed enum */",
        "bad_union: unknown /* malformed union */",
        "empty_all_of: unknown /* malformed allOf */",
        "any_of_with_any: unknown",
    ],
)
def test_unmappable_fields_become_unknown_with_a_comment(odd: str, expected: str) -> None:
    assert expected in odd


def test_params_that_are_not_an_object(odd: str) -> None:
    comment = "/* params are not an object schema; arguments are not checked */"
    assert f"no_params(...args: unknown[] {comment}): Promise<A & B>;" in odd
    assert f"broken(...args: unknown[] {comment}): Promise<unknown>;" in odd


def test_optional_parameter_before_a_required_one_is_required(odd: str) -> None:
    assert "gap(a: number /* has a default, but later parameters are required */, b: string)" in odd
    assert "Promise<[string, ...number[]]>" in odd  # prefixItems with variadic rest


def test_maps_that_typescript_cannot_say_exactly(odd: str) -> None:
    assert "typed_extra: { a?: string; [key: string]: unknown /* extra properties are number */ }" in odd
    assert "pattern_keys: { [key: string]: string }" in odd
    assert 'enum_keys_and_props: { a?: string; [key: string]: unknown /* keys "a" | "b" */ }' in odd
    assert "open: { [key: string]: unknown }" in odd
    assert "Promise<never>" in odd  # the result schema ``false``


def test_a_procedure_that_is_also_a_namespace_is_callable_with_members(odd: str) -> None:
    assert "  users: {\n    (id: number): Promise<Json>;\n    get(id: number): Promise<Types_>;\n  };\n" in odd


def test_names_that_need_care(odd: str) -> None:
    assert "export interface Types_ {}" in odd  # a model may not take the name ``Types``
    assert "export type string_ = string;" in odd
    assert "export type Weird_Name = string;" in odd
    assert "names(_: string, _1st: number, a_b: boolean): Promise<Weird_Name>;" in odd
    assert 'params: { "": string; "1st": number; "a b": boolean };' in odd
    # ``Dup-Input`` would be ``DupInput``, which a real model already is.
    assert "  y: string;\n" in interface(odd, "DupInput")
    assert "  x?: number;\n" in interface(odd, "DupInput2")
    assert "  x: number;\n" in interface(odd, "Dup")


def test_recursive_type_alias(odd: str) -> None:
    assert "export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };" in odd


def test_enum_consts_only_where_they_are_faithful() -> None:
    files = pyrpc_ts.generate(ODD_SCHEMA)
    assert 'export type Mixed = "a" | 1;' in files["index.d.ts"]
    assert "const Mixed" not in files["index.d.ts"] + files["index.js"]  # mixed types: no object
    assert 'export const Named = Object.freeze({\n  EX: "x",\n  WHY: "y",\n});' in files["index.js"]
    # A member called __proto__ must not set the prototype of the object.
    assert '  ["__proto__"]: "__proto__",' in files["index.js"]


def test_a_document_with_nothing_in_it() -> None:
    for document in ({}, {"procedures": None, "$defs": []}, {"version": "x", "procedures": {}, "$defs": {}}):
        files = pyrpc_ts.generate(document)
        assert "export interface Types {\n}" in files["index.d.ts"]
        assert "export const procedures = Object.freeze([]);" in files["index.js"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
_keyword = st.sampled_from(
    [
        "type",
        "properties",
        "required",
        "items",
        "prefixItems",
        "anyOf",
        "oneOf",
        "allOf",
        "enum",
        "const",
        "$ref",
        "additionalProperties",
        "propertyNames",
        "not",
        "description",
        "default",
        "title",
        "format",
        "minimum",
        "discriminator",
    ]
)
_schema = st.recursive(
    _json,
    lambda inner: st.dictionaries(_keyword, inner | _json | st.sampled_from(["object", "array", "string"]), max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    params=_schema,
    result=_schema,
    definition=_schema,
    name=st.text(min_size=1, max_size=8),
)
def test_any_document_generates_without_raising(params: Any, result: Any, definition: Any, name: str) -> None:
    document = {
        "version": 1,
        "procedures": {name: {"name": name, "doc": None, "params": params, "result": result}},
        "$defs": {name: definition, "M": definition},
    }
    files = pyrpc_ts.generate(document)
    assert sorted(files) == ["index.d.ts", "index.js", "package.json"]
    assert files == pyrpc_ts.generate(document)
