"""The memo of ``generate`` (pyrpc_ts/memo.py): reused text must never show in the output.

``generate`` keeps the text of each ``$defs`` and ``procedures`` entry between calls, keyed on
the entry object, its own name and the names of the models it refers to. Every test here
generates a document after others that share some of its objects, and compares the bytes
with a cold call (``clear_cache()`` first, on a deep copy) or with a fresh process.
"""

from __future__ import annotations

import copy
import gc
import json
import subprocess
import sys
import threading
import weakref
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pyrpc_ts.emit import cache_size, clear_cache, generate

from .zoo import zoo_schema

Document = dict[str, Any]


def _cold(schema: Document) -> dict[str, str]:
    """The files as a first call in a new process would give them."""
    clear_cache()
    files = generate(copy.deepcopy(schema))
    clear_cache()
    return files


def _in_fresh_process(schemas: list[Document]) -> list[dict[str, str]]:
    code = "import json, sys, pyrpc_ts; print(json.dumps([pyrpc_ts.generate(s) for s in json.load(sys.stdin)]))"
    done = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(schemas), capture_output=True, text=True, check=True
    )
    result: list[dict[str, str]] = json.loads(done.stdout)
    return result


def _ref(key: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{key}"}


def _model(*refs: str, title: str | None = None, doc: str | None = None) -> Document:
    properties: Document = {f"f{i}": _ref(key) for i, key in enumerate(refs)}
    properties["n"] = {"type": "integer", "minimum": 0, "description": "A count."}
    model: Document = {"type": "object", "properties": properties, "required": ["n"]}
    if title is not None:
        model["title"] = title
    if doc is not None:
        model["description"] = doc
    return model


def _procedure(*param_refs: str, result: Any = True, doc: str | None = "Does a thing.") -> Document:
    params = {"type": "object", "properties": {f"p{i}": _ref(key) for i, key in enumerate(param_refs)}}
    return {"doc": doc, "params": params, "result": result}


def _document(defs: Document, procedures: Document) -> Document:
    return {"version": 1, "$defs": defs, "procedures": procedures}


def _with(mapping: Document, **changes: Any) -> Document:
    """A new dict: ``mapping``'s entries (the same objects) with ``changes``."""
    return {**mapping, **changes}


def _base() -> Document:
    defs = {
        "User": _model("Address", title="User", doc="A user."),
        "Address": _model(title="Address"),
        "Page": _model("User", "Address"),
        "Color": {"enum": ["red", "green"], "title": "Color"},
    }
    procedures = {
        "users.get": _procedure("Address", result=_ref("User")),
        "users": _procedure(result={"type": "array", "items": _ref("Page")}),
        "colors.pick": _procedure("Color", result=_ref("Color")),
        "ping": True,
    }
    return _document(defs, procedures)


def _generate_in_turn(schemas: list[Document]) -> list[dict[str, str]]:
    clear_cache()
    return [generate(schema) for schema in schemas]


def _check_in_turn(schemas: list[Document]) -> None:
    expected = [_cold(schema) for schema in schemas]
    assert _generate_in_turn(schemas) == expected


def test_the_same_document_twice_gives_the_same_files() -> None:
    schema = _base()
    files = _generate_in_turn([schema, schema, schema])
    assert cache_size() == len(schema["$defs"]) + len(schema["procedures"])
    assert files == [_cold(schema)] * 3


def test_a_changed_field_shows() -> None:
    a = _base()
    changed = _model("Address", title="User", doc="A user.")
    changed["properties"]["email"] = {"type": "string", "format": "email"}
    b = _with(a, **{"$defs": _with(a["$defs"], User=changed)})
    _check_in_turn([a, b, a, b])


def test_a_changed_doc_shows() -> None:
    a = _base()
    b = _with(a, procedures=_with(a["procedures"], **{"users.get": _procedure("Address", doc="Changed.")}))
    _check_in_turn([a, b, a])


def test_a_renamed_model_renames_every_use_of_it() -> None:
    # A key that is not an identifier (a document from elsewhere) is named by its title. Only
    # that entry changes (its title); Holder and the procedure are the same objects, and their
    # text must say the new name.
    defs = {"Item-Output": _model(title="Item"), "Holder": _model("Item-Output")}
    procedures = {"get": _procedure(result=_ref("Item-Output"))}
    a = _document(defs, procedures)
    b = _document(_with(defs, **{"Item-Output": _model(title="Person")}), procedures)
    files = _generate_in_turn([a, b])
    assert "Person" not in files[0]["index.d.ts"]
    assert "f0?: Person;" in files[1]["index.d.ts"]
    assert files == [_cold(a), _cold(b)]


def test_a_removed_model_leaves_its_uses_unresolved() -> None:
    a = _base()
    defs = dict(a["$defs"])
    del defs["Address"]
    b = _with(a, **{"$defs": defs})
    files = _generate_in_turn([a, b, a])
    assert "unresolved $ref #/$defs/Address" in files[1]["index.d.ts"]
    assert files == [_cold(a), _cold(b), _cold(a)]


def test_a_name_pushed_to_a_suffix_changes_its_uses() -> None:
    # X-Input / X-Output are named XInput / X; a plain X arriving pushes X-Output to X2, and
    # everything that refers to X-Output (the same objects) must follow.
    defs = {"X-Input": _model(), "X-Output": _model(title="X"), "Holder": _model("X-Output", "X-Input")}
    procedures = {"make": _procedure("X-Input", result=_ref("X-Output"))}
    a = _document(defs, procedures)
    b = _document(_with(defs, X=_model(title="X")), procedures)
    files = _generate_in_turn([a, b, a])
    assert "Promise<X2>" in files[1]["index.d.ts"]
    assert files == [_cold(a), _cold(b), _cold(a)]


def test_one_entry_under_other_names_and_depths() -> None:
    shared = _procedure("User", result=_ref("Page"), doc="Line one.\n\nLine two.")
    a = _with(_base(), procedures={"a": shared})
    b = _with(a, procedures={"a": shared, "x.y.z": shared, "x": shared})
    c = _with(a, procedures={"q.r": shared})
    shared_model = _model("Address", doc="Shared.")
    d = _with(a, **{"$defs": _with(a["$defs"], One=shared_model, Two=shared_model)})
    _check_in_turn([a, b, c, b, d, a])


def test_the_zoo_in_steps_matches_a_fresh_process() -> None:
    zoo = zoo_schema()
    procedures = zoo["procedures"]
    first = dict(list(procedures.items())[: len(procedures) // 2])
    steps = [_with(zoo, procedures=first), zoo, _with(zoo, **{"$defs": {}}), zoo]
    assert _generate_in_turn(steps) == _in_fresh_process(steps)


def test_fresh_objects_at_reused_addresses_are_not_mistaken() -> None:
    # Each document is freed right after its call, and json.loads of the next one, shaped
    # alike, lands at many of the same addresses: a memo keyed on id() without holding the
    # object would hand back the previous document's text.
    texts = [
        json.dumps(
            _document(
                {"M": _model(title=f"M{index % 2}")},
                {f"p{j}": _procedure("M", doc=f"Version {index}.{j}") for j in range(20)},
            )
        )
        for index in range(30)
    ]
    expected = [_cold(json.loads(text)) for text in texts]
    clear_cache()
    for text, files in zip(texts, expected, strict=True):
        assert generate(json.loads(text)) == files


def test_concurrent_calls_each_get_their_own_files() -> None:
    a = _base()
    b = _with(a, **{"$defs": _with(a["$defs"], User=_model("Address", title="Person"))})
    expected = {id(a): _cold(a), id(b): _cold(b)}
    failures: list[str] = []

    def run(first: Document, second: Document) -> None:
        for _ in range(100):
            for schema in (first, second):
                if generate(schema) != expected[id(schema)]:
                    failures.append("wrong files")

    threads = [threading.Thread(target=run, args=pair) for pair in ((a, b), (b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


class _Entry(dict[str, Any]):
    """A dict that can be weakly referenced, to see when the memo lets go of it."""


def _numbered(index: int) -> Document:
    defs = {f"M{i}": _Entry(_model(f"M{(i + 1) % 5}", doc=f"Model {index}.{i}")) for i in range(5)}
    procedures = {f"g{i}.p{i}": _Entry(_procedure(f"M{i}", doc=f"Call {index}.{i}")) for i in range(5)}
    return _document(defs, procedures)


def test_the_memo_keeps_at_most_two_calls() -> None:
    clear_cache()
    first = _numbered(0)
    watched = [weakref.ref(entry) for section in ("$defs", "procedures") for entry in first[section].values()]
    generate(first)
    del first
    sizes = []
    for index in range(1, 200):
        generate(_numbered(index))
        sizes.append(cache_size())
    gc.collect()
    assert max(sizes) <= 2 * 10
    assert all(ref() is None for ref in watched)
    clear_cache()
    assert cache_size() == 0


_DEF_KEYS = ("A", "B", "C", "A-Input", "A-Output", "AInput", "Types", "Page_A_")
_DEF_POOL: tuple[Any, ...] = (
    _model(),
    _model("B", title="A"),
    _model("A-Input", "A-Output", title="Types"),
    _model("C", "Missing", title="A", doc="Two\nlines."),
    _model("Page_A_"),
    {"enum": ["x", "y"], "title": "Letters"},
    {"enum": [1, 2]},
    {"type": "string", "description": "A string."},
    {"anyOf": [_ref("A"), _ref("B"), {"type": "null"}]},
    True,
)
_WIRE_NAMES = ("a", "a.b", "a.b.c", "b", "Types", "x-y")
_PROCEDURE_POOL: tuple[Any, ...] = (
    _procedure("A", result=_ref("B")),
    _procedure("A-Input", "C", result={"type": "array", "items": _ref("A-Output")}),
    _procedure(result=_ref("Types"), doc=None),
    _procedure("Page_A_", "AInput", result=_ref("Missing")),
    True,
    {"params": True, "result": _ref("C")},
)


@st.composite
def _documents(draw: st.DrawFn) -> Document:
    defs_at = draw(st.dictionaries(st.sampled_from(_DEF_KEYS), st.integers(0, len(_DEF_POOL) - 1)))
    procedures_at = draw(st.dictionaries(st.sampled_from(_WIRE_NAMES), st.integers(0, len(_PROCEDURE_POOL) - 1)))
    return _document(
        {key: _DEF_POOL[index] for key, index in defs_at.items()},
        {name: _PROCEDURE_POOL[index] for name, index in procedures_at.items()},
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(_documents(), min_size=2, max_size=6))
def test_any_sequence_of_documents_sharing_entries(schemas: list[Document]) -> None:
    _check_in_turn(schemas)
