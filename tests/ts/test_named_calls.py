"""The emitter option ``calls``: pyrpc.json's ``emitter_options`` to the package, and its types under the real tsc.

With ``{"calls": "named"}`` every procedure takes one object of params: a named call compiles,
a positional one does not, whatever the models (the zoo's document, all of its procedures).
By position, a call may leave a gap among optional parameters and the meta names them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pyrpc_ts
from pyrpc_core.tooling.cli import main

from .tsc_project import Diagnostic, run_tsc, write_project

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

HEADER = """\
import type { Types, UserInput } from "@pyrpc/types";
import { meta } from "@pyrpc/types";

declare const client: Types;
declare const input: UserInput;
"""

NAMED_GOOD = (
    HEADER
    + """
export async function named(): Promise<void> {
  const sum: number = await client.add({ a: 1, b: 2 });
  const scaled: number = await client.scale({ x: 1.5 });
  await client.scale({ factor: 3, x: 1 });
  await client.ping();
  await client.find({ query: null });
  await client.users.list();
  await client.users.list({ page: 2 });
  await client.users.create({ user: input });
  await client.admin.users.purge({ before: "2024-01-01" });
  await client.keywords({ function: 1, new: true });
  for await (const step of client.progress({ job: "j" })) void step;
  const calls: "named" = meta.calls;
  const marker: "named" | undefined = client.$calls;
  void [sum, scaled, calls, marker];
}
"""
)

# Each must fail on its line with this error.
NAMED_BAD: dict[str, tuple[str, str]] = {
    "positional": ("await client.add(1, 2);", "TS2554"),
    "one_positional": ("await client.scale(1.5);", "TS2345"),
    "missing": ("await client.add({ a: 1 });", "TS2741"),
    "unknown_key": ("await client.add({ a: 1, b: 2, c: 3 });", "TS2353"),
    "wrong_type": ('await client.add({ a: 1, b: "2" });', "TS2322"),
    "required_object": ("await client.users.get();", "TS2554"),
}

POSITIONAL_GOOD = (
    HEADER
    + """
export async function gaps(): Promise<void> {
  // Two optional trailing parameters: a call may give the second alone; the meta names them.
  await client.keywords(1, undefined, true);
  await client.scale(1.5, undefined);
  const names: readonly string[] | undefined = meta.params["keywords"];
  const calls: "positional" = meta.calls;
  void [names, calls];
}
"""
)

POSITIONAL_BAD: dict[str, tuple[str, str]] = {
    "required_gap": ("await client.add(undefined, 2);", "TS2345"),
    "named": ("await client.add({ a: 1, b: 2 });", "TS2554"),
}


def _bad(statement: str) -> tuple[str, int]:
    text = HEADER + f"\nexport async function wrong(): Promise<void> {{\n  {statement}\n}}\n"
    return text, text.splitlines().index(f"  {statement}") + 1


def _compile(
    folder: Path, tsc: Path, calls: str, good: str, bad: dict[str, tuple[str, str]]
) -> dict[str, list[Diagnostic]]:
    schema: dict[str, Any] = json.loads((CORPUS / "zoo" / "schema.json").read_bytes())
    (folder / "package.json").write_text('{"name": "calls-client", "private": true}\n')
    pyrpc_ts.save_typescript_client(schema, folder, calls=calls)  # type: ignore[arg-type]
    sources = {"good.ts": good, **{f"bad_{case}.ts": _bad(statement)[0] for case, (statement, _) in bad.items()}}
    write_project(folder, sources)
    found: dict[str, list[Diagnostic]] = {}
    for diagnostic in run_tsc(tsc, folder):
        found.setdefault(Path(diagnostic.file).name, []).append(diagnostic)
    return found


@pytest.mark.parametrize(
    ("calls", "good", "bad"), [("named", NAMED_GOOD, NAMED_BAD), ("positional", POSITIONAL_GOOD, POSITIONAL_BAD)]
)
def test_what_compiles_under_each_option(
    tmp_path: Path, tsc: Path, calls: str, good: str, bad: dict[str, tuple[str, str]]
) -> None:
    found = _compile(tmp_path, tsc, calls, good, bad)
    assert found.pop("good.ts", []) == []
    assert found.pop("index.d.ts", []) == []  # the package itself compiles, no skipLibCheck
    for case, (statement, code) in bad.items():
        errors = found.pop(f"bad_{case}.ts", [])
        assert errors, f"{statement!r} compiled, but it is wrong with calls {calls}"
        assert {(d.line, d.code) for d in errors} == {(_bad(statement)[1], code)}, errors
    assert found == {}


MAIN = """
from pyrpc_core import Registry

api = Registry()


@api.rpc
def opt_middle(a: int = 1, b: str = "x") -> str:
    return f"{a}{b}"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "callsmain.py").write_text(MAIN)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text('{"name": "web", "private": true}\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _configure(folder: Path, options: dict[str, Any]) -> None:
    config = {
        "version": 1,
        "framework": "asgi",
        "entrypoint": "callsmain:api",
        "client_root": "web",
        "distribution": "workspace",
        "emitter_options": options,
    }
    (folder / "pyrpc.json").write_text(json.dumps(config))


def test_pyrpc_json_emitter_options_reach_the_package(project: Path) -> None:
    _configure(project, {"calls": "named"})
    with pytest.raises(SystemExit) as exited:
        main(["codegen"], standalone_mode=True)
    assert exited.value.code == 0
    types = project / "web" / "pyrpc" / "types"
    assert 'readonly $calls?: "named";' in (types / "index.d.ts").read_text()
    assert "opt_middle(params?: {" in (types / "index.d.ts").read_text()
    assert '  calls: "named",\n  params: Object.freeze({}),\n' in (types / "index.js").read_text()

    _configure(project, {"calls": "positional"})
    with pytest.raises(SystemExit):
        main(["codegen"], standalone_mode=True)
    assert "opt_middle(a?: number, b?: string)" in (types / "index.d.ts").read_text()
    assert '"opt_middle": Object.freeze(["a", "b"]),' in (types / "index.js").read_text()


def test_a_wrong_calls_value_is_refused_naming_the_field(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _configure(project, {"calls": "keyword"})
    with pytest.raises(SystemExit) as exited:
        main(["codegen"], standalone_mode=True)
    assert exited.value.code == 1
    assert "field 'emitter_options.calls': Input should be 'positional' or 'named'" in capsys.readouterr().err
    assert not (project / "web" / "pyrpc").exists()


def test_generate_refuses_an_unknown_calls_value() -> None:
    with pytest.raises(ValueError, match='calls must be "positional" or "named"'):
        pyrpc_ts.generate({"version": 1, "procedures": {}}, calls="keyword")  # type: ignore[arg-type]
