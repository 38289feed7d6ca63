"""examples/fullstack end to end: generated types, a strict type check that fails on a wrong
call, a Vite build, the page driven in headless Chromium against the Python backend, a Python
save that reloads the page, and a signature change while ``pyrpc dev`` runs (after an ``npm
install``) that breaks the frontend's type check where it must."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import RPCClient, RpcError

from .conftest import (
    CHROMIUM,
    ENV,
    NODE,
    NPM,
    PYRPC,
    TYPES,
    Process,
    Stack,
    assert_types_linked,
    copy_example,
    line_of,
    require_npm_workspace,
    tsc,
)

HERE = Path(__file__).resolve().parent

WRONG_CALLS = """\
import { createClient } from "@pyrpc/client";
import type { Types } from "@pyrpc/types";

const client = createClient<Types>({ url: "/rpc" });
export const numberForTitle = client.todos.create(42);
export const notAPriority = client.todos.create("Buy milk", "urgent");
export const noSuchProcedure = client.todos.remove(1);
export const patchMissing = client.todos.update(1);
"""


def test_types_are_generated_and_the_frontend_type_checks_and_builds(stack: Stack) -> None:
    declarations = (stack.frontend / TYPES).read_text()
    assert "create(title: string, priority?: Priority, due?: string | null): Promise<Todo>;" in declarations
    assert 'export type Priority = "low" | "normal" | "high";' in declarations

    status, errors, output = tsc(stack.frontend)
    assert (status, errors) == (0, []), output

    assert NPM is not None
    build = subprocess.run(
        [NPM, "run", "build"], cwd=stack.frontend, capture_output=True, text=True, timeout=180, env=ENV, check=False
    )
    assert build.returncode == 0, build.stdout + build.stderr
    bundles = list((stack.frontend / "dist" / "assets").glob("*.js"))
    assert len(bundles) == 1, bundles
    bundle = bundles[0].read_text()
    assert re.search(r"[`\"']/rpc[`\"']", bundle)  # createClient's url
    assert re.search(r"NORMAL:[`\"']normal[`\"']", bundle)  # the Priority object, from pyrpc/types/index.js
    assert bundles[0].name in (stack.frontend / "dist" / "index.html").read_text()


def test_a_wrong_call_fails_the_strict_type_check(stack: Stack) -> None:
    wrong = stack.frontend / "src" / "wrong-calls.ts"
    wrong.write_text(WRONG_CALLS)
    try:
        status, errors, output = tsc(stack.frontend)
    finally:
        wrong.unlink()
    assert status != 0
    found = {(error.file, error.line, error.code) for error in errors}
    assert found == {
        ("src/wrong-calls.ts", 5, "TS2345"),  # a number where the title (a string) goes
        ("src/wrong-calls.ts", 6, "TS2345"),  # "urgent" is not a Priority
        ("src/wrong-calls.ts", 7, "TS2339"),  # no procedure todos.remove
        ("src/wrong-calls.ts", 8, "TS2554"),  # todos.update needs its patch
    }, output
    messages = {error.line: error.message for error in errors}
    assert "'number' is not assignable to parameter of type 'string'" in messages[5]
    assert "'\"urgent\"' is not assignable to parameter of type 'Priority" in messages[6]
    assert "Property 'remove' does not exist" in messages[7]


def require_chromium() -> str:
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium is not installed ({CHROMIUM} is missing): .ci/run installs Debian's chromium with apt-get "
            "where it can; `apt-get install chromium` here runs this test"
        )
    return str(CHROMIUM)


def drive(mode: str, stack: Stack, shots: Path) -> dict[str, Any]:
    """Runs ``drive.mjs <mode>`` against the stack's page: its report (the steps, the page's errors, the calls)."""
    chromium = require_chromium()
    assert NODE is not None
    completed = subprocess.run(
        [NODE, str(HERE / "drive.mjs"), mode, stack.page, chromium, str(shots)],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
    )
    assert completed.returncode == 0, f"{completed.stdout}\n{completed.stderr}\n--- dev.py:\n{stack.runner.output()}"
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def test_the_page_in_headless_chromium(stack: Stack, tmp_path: Path) -> None:
    report = drive("flow", stack, tmp_path)
    steps = {step.pop("name"): step for step in report["steps"]}
    in_a_week = (dt.date.today() + dt.timedelta(days=7)).isoformat()

    # What the page showed, step by step.
    assert steps["loaded"]["titles"] == ["Read the pyRPC docs", "Ship the release"]
    assert steps["loaded"]["summary"] == "1 of 2 done"
    assert dt.datetime.fromisoformat(steps["loaded"]["created"]).tzinfo is not None  # the server's datetime
    assert steps["created"] == {
        "id": "3",
        "priority": "high",
        "due": f"due {in_a_week}",
        "created": steps["created"]["created"],
        "formCleared": True,
    }
    assert steps["ticked"] == {"rowClass": "done"}
    assert steps["empty title"] == {
        "error": "Please check the form:\ntitle: String should have at least 1 character",
        "titleInvalid": 1,
    }
    assert steps["too long"] == {
        "error": "Please check the form:\ntitle: String should have at most 60 characters",
        "stillEditing": True,
    }
    assert steps["edited"] == {"errorHidden": True, "button": "Add"}
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    assert steps["past due"] == {
        "error": f"the due date is in the past (error 4022)\ndue: {yesterday}\ntoday: {dt.date.today().isoformat()}",
        "dueInvalid": 1,
    }
    assert report["pageErrors"] == []
    assert {"todos.list", "todos.summary", "todos.create", "todos.update"} <= set(report["rpc"])

    # What the Python side holds now: the browser's calls really reached it.
    with RPCClient(stack.backend) as client:
        todos = {todo["title"]: todo for todo in client.todos.list()}
    assert set(todos) == {"Read the pyRPC docs", "Ship the release notes", "Buy oat milk"}
    assert todos["Buy oat milk"] | {"created": None} == {
        "id": 3,
        "title": "Buy oat milk",
        "priority": "high",
        "due": in_a_week,
        "done": True,
        "created": None,
    }
    assert todos["Buy oat milk"]["created"] == steps["created"]["created"]
    for name in ("validation-error.png", "page.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_live_view_streams_an_import_and_cancels_it(stack: Stack, tmp_path: Path) -> None:
    """todos.import (an async generator) read with `for await` in the page: the progress grows as
    the items arrive, Cancel aborts the request and the server's `finally` runs within a second,
    a second import runs to its end, and TanStack Query's invalidation brings the list up to date."""
    report = drive("live", stack, tmp_path)
    steps = {step.pop("name"): step for step in report["steps"]}

    # The progress bar grew, item by item, and so did the list (each to-do put into the query's cache).
    progress = steps["progress"]
    assert progress["button"] == "Import 40 to-dos"
    values = progress["values"]
    assert values == sorted(set(values)), values  # each value seen once, growing
    assert values[-1] >= 3
    now = progress["now"]  # a moment later, the bar, its text and the new rows seen at once
    assert now["value"] >= values[-1]
    assert now["text"].startswith(f"importing {now['value']} of 40: Imported {now['value']} of 40 (import ")
    assert 3 <= now["rows"] <= now["value"]  # a row shows up a tick after its step
    assert progress["startDisabled"] is True

    # Cancel: the page says so, and the backend's `finally` ran within a second of the click.
    cancelled = steps["cancelled"]
    status = cancelled["status"]
    run = status["run"]
    assert status == {"run": run, "state": "stopped", "done": status["done"], "of": 40}
    assert 3 <= status["done"] < 40
    assert cancelled["stoppedAfterMs"] < 1000, cancelled
    assert cancelled["statusLater"] == status  # stopped for good: no to-do made after the cancel
    match = re.fullmatch(r"cancelled after (\d+) of 40", cancelled["text"])
    assert match, cancelled["text"]
    shown = int(match[1])
    assert values[-1] <= shown <= status["done"]  # the server may have made one the page never got
    assert cancelled | {"text": None, "stoppedAfterMs": None, "status": None, "statusLater": None} == {
        "text": None,
        "state": "cancelled",
        "stoppedAfterMs": None,
        "status": None,
        "statusLater": None,
        "cancelHidden": True,
        "startEnabled": True,
    }

    # The next import runs to its end: `finally` says finished.
    assert steps["finished"] == {
        "button": "Import 5 to-dos",
        "text": "finished: 5 of 5 imported",
        "state": "finished",
        "progress": [5, 5],
        "status": {"run": run + 1, "state": "finished", "done": 5, "of": 5},
    }

    # The list after the invalidation: every to-do the two imports made, in order, once each.
    made = [f"Imported {n} of 40 (import {run})" for n in range(1, status["done"] + 1)]
    made += [f"Imported {n} of 5 (import {run + 1})" for n in range(1, 6)]
    listed = steps["listed"]
    assert listed["imported"] == made
    assert listed["rows"] == len(made)
    assert report["pageErrors"] == []
    assert {"todos.import", "todos.list", "todos.summary"} <= set(report["rpc"])
    with RPCClient(stack.backend) as client:
        todos = client.call("todos.list")
        assert client.call("todos.import_status") == steps["finished"]["status"]
    assert [todo["title"] for todo in todos if todo["title"].startswith("Imported ")] == made
    assert listed["summary"] == f"{sum(todo['done'] for todo in todos)} of {len(todos)} done"
    assert (tmp_path / "live.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_import_resumes_after_the_last_event_id(stack: Stack) -> None:
    """A dropped connection, then the same call with Last-Event-ID: the same import goes on after
    the last item received (ids "<run>:<done>", read as ``ctx.last_event_id``), as the TypeScript
    client does by itself."""
    with RPCClient(stack.backend) as client:
        with client.stream_call("todos.import", 4) as steps:
            first = [next(steps), next(steps)]
            dropped = steps.last_event_id
        run = first[0]["run"]
        assert dropped == f"{run}:2"
        wait_until(lambda: client.call("todos.import_status")["state"] != "running")
        assert client.call("todos.import_status") == {"run": run, "state": "stopped", "done": 2, "of": 4}

        with client.stream_call("todos.import", 4, last_event_id=dropped) as steps:
            rest = list(steps)
        assert [(step["run"], step["done"], step["of"]) for step in first + rest] == [(run, n, 4) for n in range(1, 5)]
        assert client.call("todos.import_status") == {"run": run, "state": "finished", "done": 4, "of": 4}
        titles = [todo["title"] for todo in client.call("todos.list") if todo["title"].endswith(f"(import {run})")]
        assert titles == [f"Imported {n} of 4 (import {run})" for n in range(1, 5)]

        with pytest.raises(RpcError) as refused, client.stream_call("todos.import", 4, last_event_id="x") as steps:
            list(steps)
        assert (refused.value.code, refused.value.data) == (4000, {"id": "x"})


def test_a_python_change_reloads_the_page_with_the_new_values(stack: Stack) -> None:
    """pyrpc dev rewrites pyrpc/types; Vite, which serves and watches it as the project's own source
    (node_modules/@pyrpc/types links there), reloads the page with it: no plugin needed."""
    chromium = require_chromium()
    main_py = stack.root / "backend" / "main.py"
    original = main_py.read_text()
    assert original.count(ENUM_MEMBER) == 1, "the example's Priority changed: update this test"
    assert NODE is not None
    browser = subprocess.Popen(
        [NODE, str(HERE / "drive.mjs"), "reload", stack.page, chromium],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert browser.stdout is not None
        assert browser.stdout.readline().strip() == "ready", browser.communicate(timeout=60)
        main_py.write_text(original.replace(ENUM_MEMBER, ENUM_MEMBER + '    URGENT = "urgent"\n'))
        out, err = browser.communicate(timeout=60)
    finally:
        if browser.poll() is None:
            browser.kill()
            browser.wait()
        main_py.write_text(original)
    assert browser.returncode == 0, f"{out}\n{err}\n--- dev.py:\n{stack.runner.output()}"
    report = json.loads(out.strip().splitlines()[-1])
    assert report["steps"] == [
        {
            "name": "reloaded",
            "before": ["low", "normal", "high"],
            "after": ["low", "normal", "high", "urgent"],
            "loads": 2,
        }
    ]
    assert report["pageErrors"] == []
    stack.runner.wait_for(r"^frontend +\| .*page reload pyrpc/types/index\.js$")


ENUM_MEMBER = '    HIGH = "high"\n'
OLD_SIGNATURE = (
    "def create_todo(title: Title, priority: Priority = Priority.NORMAL, due: dt.date | None = None) -> Todo:\n"
)
NEW_SIGNATURE = (
    "def create_todo(title: Title, priority: Priority = Priority.NORMAL, due_in_days: int | None = None) -> Todo:\n"
    "    due = None if due_in_days is None else dt.date.today() + dt.timedelta(days=due_in_days)\n"
)


def test_changing_a_signature_while_pyrpc_dev_runs_breaks_the_old_call(
    tmp_path: Path, processes: Callable[[list[str], Path], Process]
) -> None:
    require_npm_workspace()
    root = copy_example(tmp_path)
    main_py = root / "backend" / "main.py"
    original = main_py.read_text()
    assert original.count(OLD_SIGNATURE) == 1, "the example's todos.create changed: update this test"
    types = root / "frontend" / TYPES
    main_ts = root / "frontend" / "src" / "main.ts"
    call = line_of(main_ts, "client.todos.create(title, priority, due)")

    dev = processes([PYRPC, "dev", "--port", "0"], root / "backend")  # pyrpc.json as committed: no questions
    dev.wait_for(r"serving 6 procedures at http://")
    assert_types_linked(root / "frontend")
    assert tsc(root / "frontend")[:2] == (0, [])

    # An install with the copy's own package.json, as after a pull: npm prunes what the project
    # does not declare, and @pyrpc/types is declared ("file:pyrpc/types"), so the link stays. No
    # install scripts: the layout does not rely on them.
    assert NPM is not None
    install = subprocess.run(
        [NPM, "install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=root / "frontend",
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert not (root / "frontend" / "node_modules" / "playwright-core").exists(), "npm install pruned nothing"
    lock = json.loads((root / "frontend" / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@pyrpc/types"] == {"resolved": "pyrpc/types", "link": True}
    for package in ("client", "tanstack-query"):  # the repository's packages, declared by file: path
        assert lock["packages"][f"node_modules/@pyrpc/{package}"] == {
            "resolved": f"../../../pyrpc_ts/npm/{package}",
            "link": True,
        }
    assert lock["packages"]["node_modules/@tanstack/query-core"]["version"] == "5.108.4"
    assert_types_linked(root / "frontend")
    assert tsc(root / "frontend")[:2] == (0, [])

    before = types.read_text()
    main_py.write_text(original.replace(OLD_SIGNATURE, NEW_SIGNATURE))
    dev.wait_for(r"reloaded: ~ todos\.create")
    wait_until(lambda: types.read_text() != before)
    assert "create(title: string, priority?: Priority, due_in_days?: number | null): Promise<Todo>;" in (
        types.read_text()
    )
    status, errors, output = tsc(root / "frontend")
    assert status != 0
    assert [(error.file, error.line, error.code) for error in errors] == [("src/main.ts", call, "TS2345")], output
    assert errors[0].message == (
        "Argument of type 'string | null' is not assignable to parameter of type 'number | null | undefined'."
    )
    quoted = f"src/main.ts({call},49): error TS2345: {errors[0].message}"
    assert quoted in (root / "README.md").read_text(), f"examples/fullstack/README.md should quote {quoted!r}"

    # Back to the old signature: the old call fits again.
    main_py.write_text(original)
    dev.wait_for(r"reloaded: ~ todos\.create")
    wait_until(lambda: types.read_text() == before)
    assert tsc(root / "frontend")[:2] == (0, [])
    dev.stop()


def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.02)
