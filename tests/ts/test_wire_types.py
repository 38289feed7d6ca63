"""The wire agrees with the schema and the generated types, for every procedure of the schema corpus.

Each registry of ``pyrpc_core.testing.corpus`` is served by uvicorn; its types are generated
from the document it serves (``GET /rpc``). Every params object of ``EXAMPLE_PARAMS`` is sent
by name and, when it gives the leading params, by position too. Then:

- the server accepts it (a result, never -32602), and it is valid for the ``params`` schema;
- each result is valid for the procedure's ``result`` JSON Schema (with the document's ``$defs``);
- each params object, positional list and result, written as a TypeScript literal of its
  ``Procedures[name]`` type, compiles under ``--strict --exactOptionalPropertyTypes
  --noUncheckedIndexedAccess`` (one tsc run for all of them).

So a name the wire uses and the types do not (a field serialized by name while the schema
says its alias, say) fails here, whichever side is wrong. And an unknown key, put into each
object of each params object in turn, is refused exactly where the schema says the object is
closed (``additionalProperties: false``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import pyrpc_ts
from pyrpc_asgi import create_app
from pyrpc_core.testing import http_request, post, serve_asgi
from pyrpc_core.testing.corpus import corpus_registries
from pyrpc_core.testing.corpus_params import EXAMPLE_PARAMS

from .tsc_project import run_tsc, write_project

STRICTEST = {"exactOptionalPropertyTypes": True, "noUncheckedIndexedAccess": True}


@dataclass(frozen=True)
class WireValue:
    """A JSON value the wire carried, and the ``Procedures`` entry's member that must type it."""

    document: str
    procedure: str
    member: str  # "params", "args" or "result"
    value: Any

    def describe(self) -> str:
        return f"{self.document}: {self.procedure} {self.member} {json.dumps(self.value, ensure_ascii=False)}"


@dataclass
class Served:
    """What the corpus's servers answered: their documents, the literals to compile, and any disagreement."""

    documents: dict[str, dict[str, Any]]
    literals: list[WireValue]
    problems: list[str]
    unknown_keys: list[tuple[str, bool, int | None]]
    """Each params object sent with an unknown key at one place: where, whether the schema closes
    the object there, and the answer's error code (None for a result)."""


def _positional(params: dict[str, Any], schema: dict[str, Any]) -> list[Any] | None:
    """``params`` as a by-position list, when they are the leading params in the schema's order."""
    names = list(schema.get("properties", {}))
    return [params[name] for name in names[: len(params)]] if list(params) == names[: len(params)] else None


def _validator(schema: dict[str, Any], document: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(
        {**schema, "$defs": document["$defs"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _call(url: str, name: str, params: Any, literal: WireValue, served: Served, result_schema: Any) -> None:
    """Send one call; keep its result as a literal, or note what went wrong."""
    answer = post(url, {"jsonrpc": "2.0", "method": name, "params": params, "id": 1}).json()
    if "result" not in answer:
        served.problems.append(f"{literal.describe()}: refused: {answer.get('error')}")
        return
    served.literals.append(literal)
    result = WireValue(literal.document, name, "result", answer["result"])
    served.literals.append(result)
    for error in result_schema.iter_errors(answer["result"]):
        served.problems.append(f"{result.describe()}: not valid for the result schema: {error.message}")


@pytest.fixture(scope="module")
def served() -> Served:
    served = Served({}, [], [], [])
    for document_name, registry in corpus_registries().items():
        with serve_asgi(create_app(registry)) as base_url:
            url = base_url + "/rpc"
            document = http_request(url, "GET").json()
            served.documents[document_name] = document
            examples = EXAMPLE_PARAMS.get(document_name, {})
            missing = sorted(set(document["procedures"]) - {name for name, given in examples.items() if given})
            unknown = sorted(set(examples) - set(document["procedures"]))
            if missing or unknown:
                served.problems.append(f"{document_name}: EXAMPLE_PARAMS lack {missing}, name unknown {unknown}")
            for name, procedure in document["procedures"].items():
                params_schema = _validator(procedure["params"], document)
                result_schema = _validator(procedure["result"], document)
                for params in examples.get(name, []):
                    by_name = WireValue(document_name, name, "params", params)
                    for error in params_schema.iter_errors(params):
                        served.problems.append(
                            f"{by_name.describe()}: not valid for the params schema: {error.message}"
                        )
                    _call(url, name, params, by_name, served, result_schema)
                    for path, closed in _objects(params, procedure["params"], document):
                        sent = _with_unknown_key(params, path)
                        answer = post(url, {"jsonrpc": "2.0", "method": name, "params": sent, "id": 1}).json()
                        code = answer.get("error", {}).get("code")
                        served.unknown_keys.append((f"{document_name}: {name} {path}", closed, code))
                    args = _positional(params, procedure["params"])
                    if args is not None:
                        _call(url, name, args, WireValue(document_name, name, "args", args), served, result_schema)
    return served


def test_every_call_is_accepted_and_every_result_fits_its_schema(served: Served) -> None:
    assert served.problems == []
    assert {literal.member for literal in served.literals} == {"params", "args", "result"}


def test_results_carry_the_aliases(served: Served) -> None:
    def results(procedure: str) -> list[Any]:
        """The procedure's distinct results, in order (calls by name and by position answer alike)."""
        found = [x.value for x in served.literals if (x.procedure, x.member) == (procedure, "result")]
        return [value for index, value in enumerate(found) if value not in found[:index]]

    assert results("transfer") == [{"amount": 150, "note": ""}, {"amount": 150, "note": "rent"}]
    assert results("accounts.rename") == [{"userId": 1, "displayName": "Ann"}]
    assert results("profiles.save")[0] == {
        "firstName": "Ann",
        "lastSeen": None,
        "home": None,
        "accounts": [],
        "initial": "A",
    }
    assert results("pack")[1] == [{"itemCount": 2, "boxLabel": "fragile"}, {"maxSize": 10, "softLimit": 8}]
    assert results("keywords")[0] == {"class": 1, "from": "", "default": False, "kebab-name": "", "with space": 0}


def test_what_the_wire_carried_compiles_as_the_generated_types(served: Served, tsc: Path, tmp_path: Path) -> None:
    sources: dict[str, str] = {}
    lines: dict[tuple[str, int], WireValue] = {}
    for document_name, document in served.documents.items():
        if not document["procedures"]:
            continue
        for path, text in pyrpc_ts.generate(document).items():
            target = tmp_path / "types" / document_name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        file = f"wire_{document_name}.ts"
        body = [f'import type {{ Procedures }} from "./types/{document_name}/index.js";', ""]
        for number, literal in enumerate(x for x in served.literals if x.document == document_name):
            member = f"Procedures[{json.dumps(literal.procedure)}][{json.dumps(literal.member)}]"
            body.append(f"export const {literal.member}{number}: {member} = {json.dumps(literal.value)};")
            lines[(file, len(body))] = literal
        sources[file] = "\n".join(body) + "\n"
    write_project(tmp_path, sources, STRICTEST)
    diagnostics = run_tsc(tsc, tmp_path)
    problems = [
        f"{lines[(d.file, d.line)].describe()}\n    {d.code}: {d.message}"
        if (d.file, d.line) in lines
        else f"{d.file}:{d.line}: {d.code}: {d.message}"
        for d in diagnostics
    ]
    assert problems == [], "\n".join(problems)


# -- unknown keys: refused exactly where the schema closes the object ---------------------------

UNKNOWN_KEY = "pyrpcNoSuchField"


def _resolve(schema: Any, document: dict[str, Any]) -> Any:
    while isinstance(schema, dict) and "$ref" in schema and schema["$ref"].startswith("#/$defs/"):
        schema = document["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    return schema


def _objects(
    value: Any, schema: Any, document: dict[str, Any], path: tuple[Any, ...] = ()
) -> list[tuple[tuple[Any, ...], bool]]:
    """The JSON objects in ``value`` whose schema says what an unknown key gets: (path, closed).

    Followed: ``$ref``, ``properties``, ``items`` and a union with one object branch. An object
    is closed when its schema says ``additionalProperties: false``, open when it says ``true`` or
    nothing; one whose extra keys must match a schema or a pattern is not asked about.
    """
    schema = _resolve(schema, document)
    if not isinstance(schema, dict):
        return []
    if "anyOf" in schema or "oneOf" in schema:
        branches = [_resolve(b, document) for b in schema.get("anyOf", schema.get("oneOf", []))]
        objects = [b for b in branches if isinstance(b, dict) and b.get("type") == "object"]
        return _objects(value, objects[0], document, path) if isinstance(value, dict) and len(objects) == 1 else []
    found: list[tuple[tuple[Any, ...], bool]] = []
    if isinstance(value, dict) and schema.get("type") == "object":
        extra = schema.get("additionalProperties", True)
        if extra in (True, False) and "patternProperties" not in schema:
            found.append((path, extra is False))
        for name, field in schema.get("properties", {}).items():
            if name in value:
                found += _objects(value[name], field, document, (*path, name))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += _objects(item, schema["items"], document, (*path, index))
    return found


def _with_unknown_key(value: Any, path: tuple[Any, ...]) -> Any:
    copied = json.loads(json.dumps(value))
    target = copied
    for step in path:
        target = target[step]
    target[UNKNOWN_KEY] = 1
    return copied


def test_an_unknown_key_is_refused_exactly_where_the_schema_closes_the_object(served: Served) -> None:
    """``additionalProperties: false`` must be what the server does: a closed object refuses an unknown
    key with -32602, an open one takes it. pydantic 2.13 wrote a stdlib dataclass inside the params
    (which forbid unknown keys, and so does the dataclass then) as open: the types said a key was
    allowed that the server refused."""
    problems = [
        f"{where}: {'closed' if closed else 'open'}, yet {UNKNOWN_KEY} got {code}"
        for where, closed, code in served.unknown_keys
        if code != (-32602 if closed else None)  # closed: refused as invalid params; open: answered
    ]
    assert problems == [], "\n".join(problems)
    # Both kinds were asked about.
    assert sum(closed for _, closed, _ in served.unknown_keys) > 20, served.unknown_keys
    assert sum(not closed for _, closed, _ in served.unknown_keys) > 5, served.unknown_keys
