"""docs/quickstart.md, carried out by the letter from its own code blocks (see guide.py for the
markup, walk.py for how the steps run and the few substitutions).

In a temporary ``shop/``: a copy of this repository in ``pyrpc/`` where the guide's commands
build the wheels and ``npm pack`` the client; a fresh venv in ``backend/`` installed from those
wheels with no package index (the third-party wheels come from a wheelhouse filled once per
session); a fresh frontend that installs the tarball, compiles with ``tsc --strict`` and calls
the live ``pyrpc dev`` from Node; the Vite page built and shown in headless Chromium; server
mode with ``npx pyrpc sync`` and ``npx pyrpc generate`` with the server stopped; fresh clones
of both folders (by git, with the guide's .gitignore files); and the production install under
``pyrpc serve --workers 4``. Then bad input on the same path: each failure says what to do and
writes nothing. A finding on the product is marked ``xfail(strict=True)`` until it is fixed (the
check then passes, which fails the run until the marker goes).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO
from .guide import Command, ExpectFile, File, GuideError, Page, Run, Stop, illustrations, parse
from .walk import (
    Background,
    Walk,
    copy_repository,
    free_port,
    python_on_path,
    reader_environment,
)

# The first test to use `walk` carries it out (about 70 s here; more on a cold cache).
pytestmark = pytest.mark.timeout(420)

GUIDE = REPO / "docs" / "quickstart.md"
NPM = shutil.which("npm")


def guide_text() -> str:
    return GUIDE.read_text()


def commands_of(steps: list[object]) -> list[Command]:
    return [command for step in steps if isinstance(step, Run) for command in step.commands]


# -- the markup (fast) ---------------------------------------------------------------------------


def test_the_readme_links_the_quickstart_first() -> None:
    links = re.findall(r"\]\(([^)]+)\)", (REPO / "README.md").read_text())
    assert links, "README.md has no links"
    assert links[0] == "docs/quickstart.md", links[:3]


def test_every_code_block_of_the_guide_is_run_or_written() -> None:
    steps = parse(guide_text())  # raises GuideError for a code block that is neither
    others = illustrations(guide_text())
    assert {block.language for block in others} <= {"", "console"}, others
    assert not [block for block in others if any(line.startswith("$ ") for line in block.lines)]
    written = {step.path for step in steps if isinstance(step, File)}
    assert {
        "backend/main.py",
        "frontend/package.json",
        "frontend/tsconfig.json",
        "frontend/src/call.ts",
        "frontend/index.html",
        "frontend/src/main.ts",
        "frontend/vite.config.ts",
        "frontend/pyrpc.client.json",
        "frontend/.gitignore",
        "backend/.gitignore",
    } == written
    typed = [command.text for command in commands_of(list(steps))]
    for needed in (
        'pip install --find-links ../pyrpc/dist "pyrpc-core[dev]>=2" "pyrpc-fastapi>=2"',
        'pip install --find-links ../pyrpc/dist "pyrpc-core>=2" "pyrpc-fastapi>=2"',
        "pyrpc dev --framework fastapi --entrypoint main --client-root ../frontend --distribution workspace",
        "npx tsc",
        "node build/call.js",
        "npx pyrpc sync",
        "npx pyrpc generate",
        "npm ci",
        "pyrpc serve --workers 4",
    ):
        assert needed in typed, f"the guide no longer runs `{needed}`"
    # Ctrl-C before `npx pyrpc generate` of step 4: it is shown to need no server.
    stops = [index for index, step in enumerate(steps) if isinstance(step, Stop) and step.terminal == "backend"]
    generates = [
        index
        for index, step in enumerate(steps)
        if isinstance(step, Run) and any(c.text == "npx pyrpc generate" for c in step.commands)
    ]
    assert stops
    assert generates
    assert stops[-1] < generates[0]
    assert next(step for step in steps if isinstance(step, ExpectFile)).path == "backend/pyrpc.json"
    assert next(step for step in steps if isinstance(step, Page)).texts == ("1 + 2 = 3", "Dune (1965)")


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("<!-- run in: frontend -->\nsome text\n", "is not followed by its code block"),
        ("<!-- file: frontend/a.json -->\n", "is not followed by its code block"),
        ("<!-- run in: elsewhere -->\n```console\n$ ls\n```\n", "unknown folder 'elsewhere'"),
        ("<!-- run in: frontend -->\n```json\n{}\n```\n", "needs a ```console block"),
        ("<!-- run in: frontend -->\n```console\nout\n$ ls\n```\n", "output before the first command"),
        ("<!-- run in: frontend -->\n```console\n$ ls \\\n```\n", "goes on after the end of its block"),
        ("```python\nprint(1)\n```\n", "a python block that is not run"),
        ("```console\n$ ls\n```\n", "needs <!-- run in: FOLDER -->"),
        ("<!-- file: ../etc/passwd -->\n```json\n{}\n```\n", "is not a path inside one of the folders"),
        ("```python\n# backend/x.py\n", "never closed"),
        ("<!-- page in: frontend -->\n", "write <!-- page in: TERMINAL shows"),
    ],
)
def test_markup_mistakes_are_reported_with_their_line(markdown: str, message: str) -> None:
    with pytest.raises(GuideError, match=re.escape(message)):
        parse(markdown)


def test_the_markup_reads_commands_output_continuations_and_appends() -> None:
    markdown = (
        "```python\n# backend/main.py (continued)\nx = 1\n```\n"
        "<!-- run in: backend, a fresh clone -->\n"
        "```console\n$ echo a \\\n    b\na b\n$ true\n```\n"
        "<!-- stop: backend -->\n"
    )
    append, run, stop = parse(markdown)
    assert append == File("backend/main.py", "# backend/main.py (continued)\nx = 1\n", True, 1)
    assert isinstance(run, Run)
    assert run.folder == "backend"
    assert run.commands == (Command("echo a b", ("a b",), 7), Command("true", (), 10))
    assert stop == Stop("backend", 12)


# -- the guide, by the letter (slow) -------------------------------------------------------------


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Iterator[Walk]:
    """The whole guide carried out once in ``shop/``; the tests below read what happened."""
    if NPM is None or shutil.which("node") is None:
        pytest.fail("node and npm are needed (Node 20+): the quickstart is part of the test suite")
    base = tmp_path_factory.mktemp("quickstart")
    root = base / "shop"
    copy_repository(REPO, root / "pyrpc")
    walk = Walk(root, wheelhouse, reader_environment(python_on_path(base / "bin")))
    walk.run(parse(guide_text()))
    yield walk
    walk.close()


@pytest.mark.slow
def test_the_quickstart_runs_by_the_letter(walk: Walk) -> None:
    steps = parse(guide_text())
    assert [ran.command.split(" --no-index")[0] for ran in walk.ran] == [
        walk.command(command.text).split(" --no-index")[0] for command in commands_of(list(steps))
    ]
    # The servers stopped on Ctrl-C, quietly.
    assert len(walk.stopped) == 4, [command for command, _, _ in walk.stopped]
    for command, code, output in walk.stopped:
        assert "Traceback" not in output, f"`{command}` on Ctrl-C:\n{output}"
        assert code in (0, 130, -2), f"`{command}` exited {code} on Ctrl-C:\n{output}"
    # The wheels were this repository's, installed with no index: 2.0.0 in both venvs.
    for folder in ("backend", "backend-clone"):
        shown = subprocess.run(
            [str(walk.root / folder / ".venv" / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        versions = {item["name"].lower(): item["version"] for item in json.loads(shown)}
        assert versions["pyrpc-core"] == versions["pyrpc-fastapi"] == "2.0.0", versions
        dev = {"watchdog", "pyrpc-ts", "jinja2"} & set(versions)
        assert dev == ({"watchdog", "pyrpc-ts", "jinja2"} if folder == "backend" else set()), (folder, versions)


@pytest.mark.slow
def test_the_frontend_got_the_layout_and_the_lock_file_records_the_types(walk: Walk) -> None:
    frontend = walk.root / "frontend"
    manifest = json.loads((frontend / "package.json").read_text())
    assert manifest["dependencies"] == {
        "@pyrpc/client": "file:../pyrpc/dist/pyrpc-client-2.0.0.tgz",
        "@pyrpc/types": "file:pyrpc/types",
    }
    lock = json.loads((frontend / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@pyrpc/types"] == {"resolved": "pyrpc/types", "link": True}
    link = frontend / "node_modules" / "@pyrpc" / "types"
    assert link.is_symlink()
    assert os.readlink(link) == "../../pyrpc/types"
    types = (frontend / "pyrpc" / "types" / "index.d.ts").read_text()
    assert "list(): Promise<Book[]>;" in types  # the procedure added in server mode, fetched by sync
    # The guide quotes the reload line `pyrpc dev` prints.
    assert walk.reload_lines
    for line in walk.reload_lines:
        assert f"`{line}`" in guide_text(), line


@pytest.mark.slow
def test_npx_pyrpc_generate_ran_with_no_server_running(walk: Walk) -> None:
    generates = [ran for ran in walk.ran if ran.command == "npx pyrpc generate"]
    assert len(generates) == 2
    for ran in generates:
        assert ran.servers_running == [], f"`npx pyrpc generate` in {ran.terminal} ran beside {ran.servers_running}"


@pytest.mark.slow
def test_the_vite_page_shows_the_results_in_a_browser(walk: Walk) -> None:
    (page,) = walk.pages
    if page.dom is None:
        pytest.skip(f"the Vite page was built and served, but not looked at: {page.reason}")
    for text in page.texts:
        assert f">{text}<" in page.dom, f"{page.url} does not show {text!r}:\n{page.dom}"


def npm(args: list[str], cwd: Path, walk: Walk) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NPM or "npm", *args], cwd=cwd, env=walk.base_env, capture_output=True, text=True, timeout=240, check=False
    )


def npx(args: list[str], cwd: Path, walk: Walk) -> subprocess.CompletedProcess[str]:
    return npm(["exec", "--", *args], cwd, walk)


@pytest.mark.slow
def test_the_types_survive_npm_install_and_npm_ci(walk: Walk) -> None:
    frontend = walk.root / "frontend"
    for args in (["install"], ["ci"]):
        installed = npm(args, frontend, walk)
        assert installed.returncode == 0, installed.stdout + installed.stderr
        assert os.readlink(frontend / "node_modules" / "@pyrpc" / "types") == "../../pyrpc/types"
        checked = npx(["tsc"], frontend, walk)
        assert checked.returncode == 0, f"tsc after npm {args[0]}:\n{checked.stdout}{checked.stderr}"


@pytest.mark.slow
def test_a_call_with_the_wrong_types_does_not_compile(walk: Walk) -> None:
    """The comment in src/call.ts: `client.add("1", 2) does not compile`."""
    assert '// client.add("1", 2) does not compile' in guide_text()
    frontend = walk.root / "frontend"
    wrong = frontend / "src" / "wrong.ts"
    wrong.write_text(
        'import { createClient } from "@pyrpc/client";\n'
        'import type { Types } from "@pyrpc/types";\n\n'
        'const client = createClient<Types>({ url: "http://127.0.0.1:8000/rpc" });\n'
        'await client.add("1", 2);\n'
    )
    try:
        checked = npx(["tsc", "--noEmit", "--pretty", "false"], frontend, walk)
    finally:
        wrong.unlink()
    assert checked.returncode != 0
    error = "src/wrong.ts(5,18): error TS2345: Argument of type 'string' is not assignable to parameter of type"
    assert error in checked.stdout, checked.stdout + checked.stderr


@pytest.mark.slow
def test_the_package_folder_installs_instead_of_the_tarball(walk: Walk) -> None:
    """The guide's alternative to the tarball: build the package in the copy, install its folder."""
    prose = " ".join(guide_text().split())
    build, install = "npm run build --workspace @pyrpc/client", "npm install ../pyrpc/pyrpc_ts/npm/client"
    assert f"`{build}`" in prose
    assert f"`{install}`" in prose
    built = npm(build.split()[1:], walk.root / "pyrpc", walk)
    assert built.returncode == 0, built.stdout + built.stderr
    project = walk.root / "frontend-folder"  # beside frontend/, so the guide's relative path holds
    project.mkdir()
    (project / "package.json").write_text('{"name": "folder-install", "private": true, "type": "module"}\n')
    installed = npm(install.split()[1:], project, walk)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert os.readlink(project / "node_modules" / "@pyrpc" / "client") == "../../../pyrpc/pyrpc_ts/npm/client"
    imported = subprocess.run(
        ["node", "-e", 'import("@pyrpc/client").then((m) => console.log(typeof m.createClient))'],
        cwd=project,
        env=walk.base_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert imported.stdout.strip() == "function", imported.stdout + imported.stderr


# -- bad input on the same path ------------------------------------------------------------------


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every file's bytes (a link's target) below ``folder``, but installed packages other than @pyrpc/types."""
    found: dict[str, bytes | str] = {}
    for directory, folders, files in os.walk(folder):
        here = Path(directory)
        relative = here.relative_to(folder).as_posix()
        if relative == "node_modules":
            folders[:] = [name for name in folders if name == "@pyrpc"]
        elif relative == "node_modules/@pyrpc":
            folders[:] = []
            files = [*files, *(name for name in ("types",) if (here / name).is_symlink())]
        elif relative == ".":
            folders[:] = [name for name in folders if name != ".git"]
        for name in files:
            path = here / name
            key = path.relative_to(folder).as_posix()
            found[key] = os.readlink(path) if path.is_symlink() else path.read_bytes()
    return found


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.slow
def test_sync_with_no_server_says_what_to_do_and_writes_nothing(walk: Walk) -> None:
    clone = walk.root / "frontend-clone"
    before = tree(clone)
    synced = npx(["pyrpc", "sync"], clone, walk)
    assert synced.returncode == 1
    message = one_line(synced.stderr)
    assert f"http://127.0.0.1:{walk.port}/rpc" in message
    assert tree(clone) == before
    # What to do: start the server, or point at the right one.
    assert "pyrpc dev" in message or "pyrpc serve" in message, message
    assert "--url" in message or "pyrpc.client.json" in message, message


@pytest.mark.slow
def test_generate_without_a_snapshot_says_how_to_get_one(walk: Walk) -> None:
    clone = walk.root / "frontend-clone"
    snapshot = clone / "pyrpc" / "schema.json"
    saved = snapshot.read_bytes()
    snapshot.unlink()
    try:
        before = tree(clone)
        generated = npx(["pyrpc", "generate"], clone, walk)
        assert generated.returncode == 1
        message = one_line(generated.stderr)
        assert f"no schema snapshot at {snapshot}" in message
        assert "'npx pyrpc sync'" in message
        assert "'pyrpc dev'" in message
        assert tree(clone) == before
    finally:
        snapshot.write_bytes(saved)


@pytest.mark.slow
def test_a_typo_in_pyrpc_client_json_is_pointed_at_and_nothing_is_written(walk: Walk) -> None:
    clone = walk.root / "frontend-clone"
    config = clone / "pyrpc.client.json"
    saved = config.read_bytes()
    config.write_text('{ "url": "http://127.0.0.1:8000/rpc", "distribution": "server", }\n')
    try:
        before = tree(clone)
        synced = npx(["pyrpc", "sync"], clone, walk)
        assert synced.returncode == 1
        message = one_line(synced.stderr)
        assert str(config) in message
        assert tree(clone) == before
        assert "line 1, column" in message, message  # as for package.json and the snapshot
    finally:
        config.write_bytes(saved)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("broken", "says"),
    [
        ("package.json", "is not valid JSON (expected a key at line 2, column 1); nothing was written"),
        ("pyrpc/schema.json", "is not valid JSON"),
    ],
)
def test_a_broken_file_is_named_and_nothing_is_written(walk: Walk, broken: str, says: str) -> None:
    clone = walk.root / "frontend-clone"
    path = clone / broken
    saved = path.read_bytes()
    path.write_text('{"name": "shop-frontend",\n')
    try:
        before = tree(clone)
        generated = npx(["pyrpc", "generate"], clone, walk)
        assert generated.returncode == 1
        message = one_line(generated.stderr)
        assert str(path) in message
        assert says in message
        assert tree(clone) == before
    finally:
        path.write_bytes(saved)


def pyrpc(venv_folder: Path, args: list[str], cwd: Path, walk: Walk) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv_folder / ".venv" / "bin" / "pyrpc"), *args],
        cwd=cwd,
        env=walk.base_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_pyrpc_dev_without_its_answers_names_the_flags_and_writes_nothing(walk: Walk, tmp_path: Path) -> None:
    backend = tmp_path / "backend"
    backend.mkdir()
    shutil.copy(walk.root / "backend" / "main.py", backend / "main.py")
    (tmp_path / "frontend").mkdir()
    asked = pyrpc(walk.root / "backend", ["dev"], backend, walk)
    assert asked.returncode == 2, asked.stdout + asked.stderr
    assert (
        "give them as flags: --framework, --entrypoint, --client-root, --distribution, e.g. pyrpc dev"
        " --framework fastapi --entrypoint main --client-root ../frontend --distribution workspace"
    ) in asked.stderr
    flags = ["--framework", "fastapi", "--client-root", "../frontend", "--distribution", "workspace"]
    wrong = pyrpc(walk.root / "backend", ["dev", "--entrypoint", "mian", *flags], backend, walk)
    assert wrong.returncode == 1
    message = one_line(wrong.stderr)
    assert "entrypoint module 'mian' not found" in message
    assert "(from --entrypoint)" in message
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["backend", "frontend", "main.py"]


@pytest.mark.slow
def test_pyrpc_dev_in_the_production_install_names_the_dev_extra(walk: Walk) -> None:
    backend = walk.root / "backend-clone"
    before = tree(walk.root / "frontend")
    dev = pyrpc(backend, ["dev", "--port", str(free_port())], backend, walk)
    assert dev.returncode == 1
    assert one_line(dev.stderr).endswith('install it with: pip install "pyrpc-core[dev]"'), dev.stderr
    assert tree(walk.root / "frontend") == before


def in_venv(walk: Walk, folder: Path) -> dict[str, str]:
    """The reader's environment with the virtual environment of ``folder`` active."""
    return {**walk.base_env, "PATH": f"{folder / '.venv' / 'bin'}{os.pathsep}{walk.base_env['PATH']}"}


@pytest.mark.slow
def test_uvicorn_serves_the_same_app_and_a_post_without_json_is_refused_saying_so(walk: Walk) -> None:
    """The guide's last paragraph: `uvicorn main:app --workers 4` serves the app, since main.py mounts pyRPC."""
    assert "`uvicorn main:app --workers 4` serves the same app" in " ".join(guide_text().split())
    backend = walk.root / "backend-clone"
    port = free_port()
    ready = re.compile(r"Uvicorn running on (?P<url>http://\S+)")
    server = Background(f"uvicorn main:app --workers 4 --port {port}", backend, in_venv(walk, backend), ready)
    try:
        # uvicorn's workers listen, not its parent: the first one up says so.
        server.wait_for(lambda line: "Application startup complete" in line, "saying a worker is up")
        url = f"{server.url}/rpc"
        body = b'{"jsonrpc": "2.0", "method": "add", "params": [1, 2], "id": 1}'
        call = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        deadline = time.monotonic() + 10
        while True:  # the supervisor's socket may not take connections the moment a worker says it is up
            try:
                with urllib.request.urlopen(call, timeout=30) as answer:
                    assert json.loads(answer.read()) == {"jsonrpc": "2.0", "result": 3, "id": 1}
                break
            except urllib.error.URLError as exc:
                if not isinstance(exc.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=30)
        assert refused.value.code == 415
        assert "needs Content-Type: application/json" in refused.value.read().decode()
    finally:
        server.interrupt()


@pytest.mark.slow
def test_the_typecheck_script_of_the_guide_generates_the_types_first(walk: Walk) -> None:
    found = re.search(r'`"scripts": (\{[^`]*\})`', guide_text())
    assert found, "the guide no longer shows the pretypecheck script"
    clone = walk.root / "frontend-clone"
    manifest_file = clone / "package.json"
    saved = manifest_file.read_bytes()
    manifest = json.loads(saved)
    manifest["scripts"] = json.loads(found[1])
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(clone / "pyrpc" / "types")
    try:
        checked = npm(["run", "typecheck"], clone, walk)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert (clone / "pyrpc" / "types" / "index.d.ts").exists()
    finally:
        manifest_file.write_bytes(saved)


@pytest.mark.slow
def test_the_install_line_stops_rather_than_take_another_projects_release(walk: Walk, tmp_path: Path) -> None:
    """Without the wheels, the guide's line fails: the index's pyrpc-core 0.14 is not taken (the index is asked)."""
    (line,) = [
        command.text
        for command in commands_of(list(parse(guide_text())))
        if command.text.startswith("pip install") and "[dev]" in command.text
    ]
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    args = shlex.split(line.replace("../pyrpc/dist", str(empty)))
    installed = subprocess.run(
        [str(walk.root / "backend" / ".venv" / "bin" / "python"), "-m", "pip", *args[1:], "--dry-run", "-I"],
        env=walk.base_env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert installed.returncode != 0, installed.stdout
    assert "No matching distribution found for pyrpc-core" in installed.stdout + installed.stderr, installed.stderr
