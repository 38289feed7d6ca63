"""Declared errors on the wire (issue #16): what uvicorn sends agrees with the schema and the types.

A registry whose procedures declare errors (data: an aliased model, a TypedDict, a dataclass,
nullable, none) is served by uvicorn; each call raises one of them. Then:

- the error's ``data`` is valid for the ``data`` JSON Schema its procedure's entry declares;
- each error object, written as a TypeScript literal of ``Procedures[name]["errors"]``, compiles
  under ``--strict --exactOptionalPropertyTypes --noUncheckedIndexedAccess``, and so does a real
  -32602 ``data`` as ``@pyrpc/client``'s ``ValidationErrorData``;
- changing a declared error between two documents is what ``pyrpc check`` reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict

import pyrpc_ts
from pyrpc_asgi import create_app
from pyrpc_core import Registry, RPCClient, RpcError, build_schema
from pyrpc_core.testing import http_request, post, serve_asgi
from pyrpc_core.tooling.check import compare, format_change

from .tsc_project import run_tsc, write_project

STRICTEST = {"exactOptionalPropertyTypes": True, "noUncheckedIndexedAccess": True}
CLIENT_TYPES = Path(__file__).resolve().parents[2] / "pyrpc_ts/npm/client/dist/esm/errors.js"


class NotFoundData(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    user_id: int
    hint: str = "check the id"
    tried: list[int] = []


class NotFound(RpcError):
    code = 4004
    message = "not found"
    data: NotFoundData


class Limit(TypedDict):
    limit: int
    retry_after: float | None


class TooMany(RpcError):
    code = 4029
    message = "too many"
    data: Limit | None


@dataclass
class Reason:
    why: str
    field: str | None = None


class Refused(RpcError):
    code = -1
    data: Reason


class Conflict(RpcError):
    code = 4009


def _registry() -> Registry:
    registry = Registry()

    @registry.rpc(name="users.get", errors=[NotFound, Conflict], idempotent=True)
    def get(id: int, which: str = "model") -> str:
        if which == "model":
            raise NotFound(data=NotFoundData(user_id=id, tried=[1, 2]))
        if which == "dict":
            raise NotFound(data={"userId": id}, message=f"no user {id}")
        raise Conflict(data={"anything": [1, None]})

    @registry.rpc(name="users.rename", errors=[TooMany, Refused])
    async def rename(id: int, name: str) -> None:
        if name == "many":
            raise TooMany(data={"limit": 3, "retry_after": None})
        if name == "none":
            raise TooMany()
        raise Refused(data=Reason(why="taken", field="name"))

    return registry


CALLS = [
    ("users.get", [7]),
    ("users.get", {"id": 8, "which": "dict"}),
    ("users.get", [9, "conflict"]),
    ("users.rename", [1, "many"]),
    ("users.rename", [1, "none"]),
    ("users.rename", [1, "taken"]),
]


@pytest.fixture(scope="module")
def served() -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], Any]:
    with serve_asgi(create_app(_registry())) as base_url:
        url = base_url + "/rpc"
        document = http_request(url, "GET").json()
        errors = [
            (name, post(url, {"jsonrpc": "2.0", "method": name, "params": params, "id": 1}).json()["error"])
            for name, params in CALLS
        ]
        invalid = post(url, {"jsonrpc": "2.0", "method": "users.get", "params": {"id": "x", "extra": 1}, "id": 2})
    return document, errors, invalid.json()["error"]


def test_declared_errors_arrive_as_declared(
    served: tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], Any],
) -> None:
    document, errors, _ = served
    assert [error for _, error in errors] == [
        {"code": 4004, "message": "not found", "data": {"userId": 7, "hint": "check the id", "tried": [1, 2]}},
        {"code": 4004, "message": "no user 8", "data": {"userId": 8, "hint": "check the id", "tried": []}},
        {"code": 4009, "message": "Conflict", "data": {"anything": [1, None]}},
        {"code": 4029, "message": "too many", "data": {"limit": 3, "retry_after": None}},
        {"code": 4029, "message": "too many", "data": None},
        {"code": -1, "message": "Refused", "data": {"why": "taken", "field": "name"}},
    ]
    problems = []
    for name, error in errors:
        declared = {entry["code"]: entry for entry in document["procedures"][name]["errors"]}
        entry = declared[error["code"]]
        if "data" not in entry:
            continue
        validator = Draft202012Validator({**entry["data"], "$defs": document["$defs"]})
        problems += [f"{name} {error['code']}: {problem.message}" for problem in validator.iter_errors(error["data"])]
    assert problems == []


def test_the_wire_compiles_as_the_generated_types(
    served: tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], Any], tsc: Path, tmp_path: Path
) -> None:
    document, errors, invalid = served
    assert invalid["code"] == -32602
    for path, text in pyrpc_ts.generate(document).items():
        (tmp_path / "types" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "types" / path).write_text(text, encoding="utf-8")
    body = [
        'import type { Procedures } from "./types/index.js";',
        f'import type {{ ValidationErrorData }} from "{CLIENT_TYPES.as_posix()}";',
        "",
        f"export const invalid: ValidationErrorData = {json.dumps(invalid['data'])};",
    ]
    body += [
        f'export const error{number}: Procedures[{json.dumps(name)}]["errors"] = {json.dumps(error)};'
        for number, (name, error) in enumerate(errors)
    ]
    # And what must not compile: a declared code with another code's data, an undeclared code.
    body += [
        "// @ts-expect-error: 4004's data is a NotFoundData",
        'export const wrong0: Procedures["users.get"]["errors"] = { code: 4004, message: "x", data: { why: "x" } };',
        "// @ts-expect-error: 4005 is not declared",
        'export const wrong1: Procedures["users.get"]["errors"] = { code: 4005, message: "x" };',
    ]
    write_project(tmp_path, {"errors.ts": "\n".join(body) + "\n"}, STRICTEST)
    diagnostics = run_tsc(tsc, tmp_path)
    assert [f"{d.file}:{d.line}: {d.code}: {d.message}" for d in diagnostics] == []


class NotFoundWider(RpcError):
    code = 4004
    data: NotFoundData | None


def test_pyrpc_check_reports_declared_errors_added_removed_and_widened() -> None:
    before, after = Registry(), Registry()

    @before.rpc(name="find", errors=[NotFound, TooMany])
    def find_before(id: int) -> int:
        return id

    @after.rpc(name="find", errors=[NotFoundWider, Conflict])
    def find_after(id: int) -> int:
        return id

    changes = compare(build_schema(before), build_schema(after))
    assert [format_change(change) for change in changes] == [
        "BREAKING find: declared error 4009 added (clients that handle every declared error miss it)",
        "BREAKING find: error 4004 data may now be null (output widened)",
        "safe     find: declared error 4029 removed",
    ]


class Mismatch(RpcError):
    code = 4004
    data: Reason


def test_the_python_client_raises_the_declared_class() -> None:
    with serve_asgi(create_app(_registry())) as base_url, RPCClient(base_url, errors=[NotFound, TooMany]) as client:
        with pytest.raises(NotFound) as found:
            client.users.get(7)
        assert found.value.data == NotFoundData(user_id=7, tried=[1, 2])
        assert (found.value.code, found.value.message) == (4004, "not found")
        with pytest.raises(TooMany) as many:
            client.call("users.rename", 1, "none")
        assert many.value.data is None
        with pytest.raises(RpcError) as other:  # not given to the client: RpcError as sent
            client.users.rename(1, "taken")
        assert type(other.value) is RpcError
        assert other.value.data == {"why": "taken", "field": "name"}
        with client.batch() as batch:
            pending = batch.users.get(8, "dict")
        with pytest.raises(NotFound, match="no user 8"):
            pending.result()
        with RPCClient(base_url, errors=[Mismatch]) as mismatched, pytest.raises(RpcError) as sent:
            mismatched.users.get(7)
        assert type(sent.value) is RpcError  # the data does not fit Mismatch's: as sent
        assert sent.value.data == {"userId": 7, "hint": "check the id", "tried": [1, 2]}
    with pytest.raises(ValueError, match="fixed code"):
        RPCClient("http://127.0.0.1:1", errors=[RpcError])
