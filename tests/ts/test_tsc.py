"""The generated package, compiled by the real TypeScript compiler in strict mode.

One tsc run checks everything of the zoo at once: the declarations themselves (no
``skipLibCheck``), a file of correct calls that must compile cleanly, one file per wrong call
that must fail on exactly its line with the expected error, and the package generated from
the hand-written odd schema. A second run checks the correct calls under ``nodenext``
resolution, and node imports the runtime ``index.js``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import pyrpc_ts

from .fragments import ODD_SCHEMA
from .tsc_project import Diagnostic, run_tsc, write_project

HEADER = """\
import type { Employee, Page_User, Pet, Procedures, Stamps, TreeNode, Types, User, UserInput } from "@pyrpc/types";
import type { Step } from "@pyrpc/types";
import { Color, Priority, meta, procedures } from "@pyrpc/types";

declare const client: Types;
declare const input: UserInput;
declare const user: User;
declare const pet: Pet;
declare const page: Page_User;
"""

GOOD = (
    HEADER
    + """
export async function scalars(): Promise<void> {
  const sum: number = await client.add(1, 2);
  const scaled: number = await client.scale(1.5);
  const twice: number = await client.scale(1.5, 2);
  const hello: string = await client.greet("a");
  const loud: string = await client.greet("a", true);
  const nothing: null = await client.ping();
  void [sum, scaled, twice, hello, loud, nothing];
}

export async function optionalAndNullable(): Promise<void> {
  const none: number[] | null = await client.find(null);
  await client.find("q", null);
  await client.find("q", 3);
  // On input, defaults may be left out; nullable fields must be given (null is fine).
  const minimal: UserInput = { id: 1, name: "Ann", email: "a@b.c", bio: null };
  const created: User = await client.users.create(minimal);
  await client.users.create({ ...minimal, nickname: null, age: 3, userId: "u", class: "c", "first-name": "A" });
  // On output every field is there; nullable ones may be null.
  const age: number = created.age;
  const nickname: string | null = created.nickname;
  const alias: string = created.userId + created.class + created["first-name"];
  const maybeAge: number | undefined = input.age;
  void [none, age, nickname, alias, maybeAge];
}

export async function collections(): Promise<void> {
  const pair: [number, string] = await client.collections([1], ["a"], [2], [1, "a"], [1.5, 2.5], []);
  const [first, second] = pair;
  const n: number = first;
  const s: string = second;
  void [n, s];
}

export async function mappings(): Promise<void> {
  const byColor = { red: 1.5, "dark-blue": 2 };
  const result: { [key: string]: number[] } = await client.mappings({ a: 1 }, { a: 1 }, byColor, { "1": "x" });
  await client.mappings({}, {}, {}, {});
  void result;
}

export async function literalsAndEnums(): Promise<void> {
  const outcome: "ok" | "fail" = await client.literals("yes", 2, true, null, "only");
  await client.literals("no", 3, true, "a", "only");
  await client.literals("no", 1, true, false, "only");
  const color: Color = await client.enums(Color.RED, Priority.HIGH);
  await client.enums("green");
  await client.enums(Color.DARK_BLUE, 1);
  const values: readonly string[] = Object.values(Color);
  void [outcome, color, values];
}

export async function unions(): Promise<void> {
  const result: Pet = await client.unions(1, { kind: "cat", lives: 9 });
  await client.unions("one", { kind: "dog", good: true });
  if (pet.pet.kind === "cat") {
    const lives: number = pet.pet.lives;
    void lives;
  } else {
    const good: boolean = pet.pet.good;
    void good;
  }
  void result;
}

export async function recursion(): Promise<void> {
  const tree: TreeNode = await client.tree({ value: 1, children: [{ value: 2 }, { value: 3, children: [] }] });
  const depth: number = tree.children[0].children.length;
  const employee: Employee = await client.org({ name: "R&D", staff: [{ name: "Eve", department: null }] });
  const department: string | undefined = employee.department?.staff[0].department?.name;
  void [depth, department];
}

export async function generics(): Promise<void> {
  const users: Page_User = await client.users.list();
  const next: string | null = users.next;
  const firstName: string = users.items[0].name;
  const points = await client.points({ items: [{ x: 1, y: 2 }], total: 1 });
  const x: number = points.items[0].x;
  const pointsNext: string | null = points.next;
  void [next, firstName, x, pointsNext, page.total];
}

export async function dataclassesAndTypedDicts(): Promise<void> {
  const size = await client.shapes({ width: 1, height: 2 }, { title: "Up" }, {});
  const unit: string = size.unit;
  const tags: string[] = size.tags;
  const full = { width: 1, height: 2, unit: "em", tags: ["a"] };
  await client.shapes(full, { title: "Up", year: 2009 }, { verbose: true, level: 2 });
  void [unit, tags];
}

export async function scalarsAsJson(): Promise<void> {
  const stamps: Stamps = await client.stamps({
    at: "2024-01-02T03:04:05Z",
    day: "2024-01-02",
    clock: "03:04:05",
    span: "PT1H",
    ident: "9b2e0c9e-7f0a-4f0e-9d7e-2f3b1a4c5d6e",
    price: 1.5,
    blob: "bytes",
    where: "/tmp/x",
    mail: "a@b.c",
  });
  await client.stamps({ ...stamps, price: "1.50" });
  const price: string = stamps.price;
  const when: Date = new Date(stamps.at);
  const purged: number = await client.admin.users.purge("2024-01-01", false);
  void [price, when, purged];
}

export async function anyIsUnknown(): Promise<void> {
  const value: unknown = await client.anything({ deep: [1, "a"] }, { k: null });
  if (typeof value === "number") {
    const n: number = value;
    void n;
  }
}

export async function oddNames(): Promise<void> {
  const kept: number = await client.keywords(1, "d", true);
  const point = await client["get-thing"](1);
  const y: number = point.y;
  const check: string = await client.described(3, "XYZ");
  void [kept, y, check];
}

export function byName(): void {
  const params: Procedures["users.get"]["params"] = { id: 1 };
  const result: Procedures["users.get"]["result"] = user;
  const names: readonly string[] = procedures;
  const first: "add" = procedures[0];
  const kw: Procedures["keywords"]["params"] = { function: 1, delete: "x" };
  // By position: a labelled tuple of the signature's parameters, optional tail included.
  const args: Procedures["users.get"]["args"] = [1];
  const purge: Procedures["admin.users.purge"]["args"][] = [["2024-01-01"], ["2024-01-01", false]];
  const maxBatch: number | null = meta.maxBatch;
  const idempotent: readonly string[] = meta.idempotent;
  void [params, result, names, first, kw, args, purge, maxBatch, idempotent];
}

export async function streams(): Promise<void> {
  // A generator in Python: an AsyncIterable of its items, ended early with break.
  for await (const step of client.progress("job")) {
    const done: number = step.done;
    const note: string | null = step.note;
    if (done === step.of) break;
    void note;
  }
  await client.progress("job", 0.1);
  const iterator = client.users.watch(null)[Symbol.asyncIterator]();
  const next = await iterator.next();
  if (!next.done) {
    const watched: User = next.value;
    void watched;
  }
  await iterator.return?.();
  const item: Procedures["progress"]["result"] = { done: 1, of: 2, note: null };
  const step: Step = item;
  const flag: true = true satisfies Procedures["users.watch"]["stream"];
  const args: Procedures["progress"]["args"] = ["job"];
  const streams: readonly string[] = meta.streams;
  void [step, flag, args, streams];
}
"""
)

# Wrong calls: (the statement, the error tsc must report on exactly that line).
BAD: dict[str, tuple[str, str]] = {
    "wrong_argument_type": ('await client.add(1, "2");', "TS2345"),
    "missing_argument": ("await client.add(1);", "TS2554"),
    "extra_argument": ("await client.ping(1);", "TS2554"),
    "missing_field": ('await client.users.create({ id: 1, name: "a", email: "e" });', "TS2741"),
    "wrong_field_type": ('await client.users.create({ ...input, age: "3" });', "TS2322"),
    "wrong_result_use": ("const s: string = await client.add(1, 2);", "TS2322"),
    "output_nullable_unchecked": ("const n: string = user.nickname;", "TS2322"),
    "input_optional_unchecked": ("const a: number = input.age;", "TS2322"),
    "nullable_result_unchecked": ("(await client.find(null)).length;", "TS2531"),
    "python_name_not_on_wire": ("user.user_id;", "TS2551"),
    "union_not_narrowed": ("pet.pet.lives;", "TS2339"),
    "wrong_variant_field": ('await client.unions(1, { kind: "cat", good: true });', "TS2353"),
    "wrong_literal": ('await client.literals("maybe", 1, true, null, "only");', "TS2345"),
    "wrong_enum_value": ('await client.enums("purple");', "TS2345"),
    "enum_const_readonly": ("Color.RED = Color.RED;", "TS2540"),
    "any_is_not_any": ("const n: number = await client.anything(1, {});", "TS2322"),
    "unknown_procedure": ("await client.users.remove(1);", "TS2339"),
    "tuple_too_long": ('await client.collections([], [], [], [1, "a", 3], [], []);', "TS2345"),
    "literal_key_unknown": ("await client.mappings({}, { c: 1 }, {}, {});", "TS2353"),
    "date_object_for_date": ("await client.admin.users.purge(new Date());", "TS2345"),
    "recursive_child_wrong": ('await client.tree({ value: 1, children: [{ value: "x" }] });', "TS2322"),
    "generic_item_wrong": ("const n: number = page.items[0].name;", "TS2322"),
    "typeddict_required_missing": ("await client.shapes({ width: 1, height: 2 }, {}, {});", "TS2741"),
    "by_name_params_incomplete": ('const p: Procedures["add"]["params"] = { a: 1 };', "TS2741"),
    "by_position_args_short": ('const p: Procedures["add"]["args"] = [1];', "TS2322"),
    "meta_is_readonly": ("meta.idempotent.push('x');", "TS2339"),
    "output_is_not_input": ("await client.tree({ children: [] });", "TS2741"),
    "stream_item_wrong_type": ('for await (const s of client.progress("j")) { const n: string = s.done; }', "TS2322"),
    "stream_is_not_a_promise": ('(await client.progress("j")).done;', "TS2339"),
    "stream_wrong_argument": ("client.progress(1);", "TS2345"),
    "call_is_not_iterable": ("for await (const n of client.add(1, 2)) void n;", "TS2504"),
    "plain_call_has_no_stream_flag": ('const f: Procedures["add"]["stream"] = true;', "TS2339"),
}

ODD_USE = """\
import type { Json, Named as NamedType, Types } from "@pyrpc/odd";
import { Named, Proto } from "@pyrpc/odd";

declare const odd: Types;

export async function use(): Promise<void> {
  const json: Json = await odd.users(1);
  const typesModel = await odd.users.get(2);
  const tail: [string, ...number[]] = await odd.gap(1, "b");
  const anything: Promise<unknown> = odd.broken(1, "x", {});
  const named: NamedType = Named.EX;
  const proto: "x" = Proto.x;
  void [json, typesModel, tail, anything, named, proto];
}
"""


def _bad_source(statement: str) -> tuple[str, int]:
    text = HEADER + f"\nexport async function wrong(): Promise<void> {{\n  {statement}\n}}\n"
    line = text.splitlines().index(f"  {statement}") + 1
    return text, line


def _relative(diagnostic: Diagnostic, folder: Path) -> str:
    path = Path(diagnostic.file)
    return path.relative_to(folder).as_posix() if path.is_absolute() else path.as_posix()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, schema: dict[str, Any]) -> Path:
    """A folder with the zoo's package installed the way the workspace mode installs it."""
    folder = tmp_path_factory.mktemp("tsc")
    (folder / "package.json").write_text('{"name": "zoo-client", "private": true}\n')  # the client project
    pyrpc_ts.save_typescript_client(schema, folder)
    odd = folder / "node_modules" / "@pyrpc" / "odd"
    odd.mkdir(parents=True)
    for name, text in pyrpc_ts.generate(ODD_SCHEMA).items():
        # tsc treats two packages with the same name and version as one: rename this one.
        (odd / name).write_text(text.replace('"@pyrpc/types"', '"@pyrpc/odd"') if name == "package.json" else text)
    return folder


@pytest.fixture(scope="module")
def diagnostics(project: Path, tsc: Path) -> dict[str, list[Diagnostic]]:
    """Every error of the one strict tsc run, by file (relative to the project)."""
    sources = {"good.ts": GOOD, "odd.ts": ODD_USE}
    for case, (statement, _) in BAD.items():
        sources[f"bad_{case}.ts"] = _bad_source(statement)[0]
    write_project(project, sources)
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in run_tsc(tsc, project):
        by_file.setdefault(_relative(diagnostic, project), []).append(diagnostic)
    return by_file


def test_generated_declarations_compile(diagnostics: dict[str, list[Diagnostic]]) -> None:
    in_packages = {file: found for file, found in diagnostics.items() if file.startswith("node_modules/")}
    assert in_packages == {}


def test_correct_calls_compile(diagnostics: dict[str, list[Diagnostic]]) -> None:
    assert diagnostics.get("good.ts", []) == []


def test_odd_schema_package_compiles_and_is_usable(diagnostics: dict[str, list[Diagnostic]]) -> None:
    assert diagnostics.get("odd.ts", []) == []


@pytest.mark.parametrize("case", sorted(BAD))
def test_wrong_calls_fail(diagnostics: dict[str, list[Diagnostic]], case: str) -> None:
    statement, code = BAD[case]
    line = _bad_source(statement)[1]
    found = diagnostics.get(f"bad_{case}.ts", [])
    assert found, f"{statement!r} compiled, but it is wrong"
    assert {(d.line, d.code) for d in found} == {(line, code)}, found


def test_correct_calls_compile_with_nodenext(tmp_path: Path, schema: dict[str, Any], tsc: Path) -> None:
    (tmp_path / "package.json").write_text('{"type": "module"}')
    pyrpc_ts.save_typescript_client(schema, tmp_path)
    write_project(tmp_path, {"good.ts": GOOD}, {"module": "nodenext", "moduleResolution": "nodenext"})
    assert run_tsc(tsc, tmp_path) == []


def test_runtime_module_loads_in_node(project: Path) -> None:
    script = (
        'import * as m from "@pyrpc/types";'
        "console.log(JSON.stringify({color: m.Color, priority: m.Priority, procedures: m.procedures,"
        " meta: m.meta, frozen: Object.isFrozen(m.Color) && Object.isFrozen(m.procedures)"
        " && Object.isFrozen(m.meta) && Object.isFrozen(m.meta.idempotent) && Object.isFrozen(m.meta.streams)}));"
    )
    completed = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = json.loads(completed.stdout)
    assert loaded["color"] == {"RED": "red", "GREEN": "green", "DARK_BLUE": "dark-blue"}
    assert loaded["priority"] == {"LOW": 1, "HIGH": 2}
    assert loaded["procedures"][:3] == ["add", "admin.users.purge", "anything"]
    assert "users.get" in loaded["procedures"]
    # The zoo's document comes from the registry, without an endpoint's limits.
    assert loaded["meta"] == {
        "maxBatch": None,
        "maxBodyBytes": None,
        "idempotent": ["users.get"],
        "streams": ["progress", "users.watch"],
        "calls": "positional",
        # keywords(function, delete=..., new=...): a call may leave delete out and give new.
        "params": {"keywords": ["function", "delete", "new"]},
    }
    assert loaded["frozen"] is True
