"""The first run of pyrpc dev in real subprocesses: the defaults it offers, the answers it checks,
what it says without a terminal, and what it says when the dev extra or the procedures are missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import RPCClient

from .conftest import run
from .messages import own_lines

PROCEDURES = """from pyrpc_core import rpc


@rpc
def add(a: int, b: int) -> int:
    return a + b
"""

ALL_FLAGS = ["--framework", "asgi", "--entrypoint", "main", "--client-root", "../frontend", "--distribution"]


@pytest.fixture
def backend(tmp_path: Path) -> Path:
    root = tmp_path / "backend"
    root.mkdir()
    (tmp_path / "frontend").mkdir()
    (tmp_path / "frontend" / "package.json").write_text('{"name": "frontend", "private": true}\n')
    return root


def test_the_default_entrypoint_is_the_module_that_defines_procedures(backend: Path, start: Any) -> None:
    (backend / "app.py").write_text(PROCEDURES)
    dev = start(["dev", "--port", "0"], backend, stdin="asgi\n\n\n\n")  # the defaults, but the framework
    url = dev.wait_for(r"serving 1 procedure at (http://\S+)").group(1)
    assert any("Python module with your procedures [app]: " in line for line in dev.lines)
    assert json.loads((backend / "pyrpc.json").read_text())["entrypoint"] == "app"
    with RPCClient(url) as client:
        assert client.add(2, 2) == 4


def test_the_framework_offered_is_the_one_the_app_is_made_with(backend: Path, start: Any) -> None:
    (backend / "server.py").write_text("from flask import Flask\n\nweb = Flask(__name__)\n")
    (backend / "api.py").write_text(PROCEDURES)
    (backend / "helpers.py").write_text("def helper() -> int:\n    return 1\n")
    dev = start(["dev", "--port", "0", "--distribution", "server"], backend, stdin="\n\n\n")
    dev.wait_for(r"serving 1 procedure at")
    config = json.loads((backend / "pyrpc.json").read_text())
    assert (config["framework"], config["entrypoint"]) == ("flask", "api")


def test_a_wrong_answer_is_asked_again(backend: Path, start: Any) -> None:
    (backend / "main.py").write_text(PROCEDURES)
    answers = "asgi\nnowhere\napi.v1\nnot a module\nmain\n../frontend\nworkspace\n"
    dev = start(["dev", "--port", "0"], backend, stdin=answers)
    dev.wait_for(r"serving 1 procedure at")
    output = "\n".join(dev.lines)
    folder = backend.resolve()
    assert f"Error: entrypoint module 'nowhere' not found: no nowhere.py or nowhere/__init__.py in {folder}" in output
    assert f"no api/v1.py or api/v1/__init__.py in {folder}; give the module that holds your procedures" in output
    assert "Error: entrypoint 'not a module' is not a module name as Python imports it" in output
    assert output.count("Python module with your procedures [main]: ") == 4
    assert json.loads((backend / "pyrpc.json").read_text())["entrypoint"] == "main"


def test_each_mode_is_explained_when_asked_and_the_start_says_where_the_types_go(backend: Path, start: Any) -> None:
    (backend / "main.py").write_text(PROCEDURES)
    dev = start(["dev", "--port", "0"], backend, stdin="asgi\nmain\n../frontend\n\n")
    url = dev.wait_for(r"serving 1 procedure at (http://\S+)").group(1)
    assert (
        "  workspace  pyrpc dev writes the types into the frontend folder (backend and frontend on one machine)"
        in dev.lines
    )
    assert "  server     the frontend runs `npx pyrpc sync` against this server (separate repositories)" in dev.lines
    types = (backend.parent / "frontend" / "pyrpc" / "types").resolve()
    assert f"pyrpc dev: types in {types}" in dev.lines
    assert (types / "index.d.ts").is_file()
    assert url.startswith("http://127.0.0.1:")
    assert not any("warning" in line for line in dev.lines)  # the client folder is a frontend project
    dev.stop()

    server = start(["dev", "--port", "0", "--distribution", "server"], backend)
    url = server.wait_for(r"serving 1 procedure at (http://\S+)").group(1)
    assert f"pyrpc dev: the frontend gets the types with 'npx pyrpc sync' from {url}" in server.lines
    assert not any("workspace  " in line for line in server.lines)  # not asked: not explained


def test_without_a_terminal_the_questions_name_the_flags_that_avoid_them(backend: Path) -> None:
    (backend / "main.py").write_text(PROCEDURES)
    result = run(["dev", "--port", "0"], backend, stdin="")
    assert result.returncode == 2
    assert own_lines(result.stderr) == [
        "pyrpc dev: error: pyrpc.json needs answers and there is no terminal to ask them (end of input); "
        "give them as flags: --framework, --entrypoint, --client-root, --distribution, e.g. "
        "pyrpc dev --framework fastapi --entrypoint main --client-root ../frontend --distribution workspace"
    ]
    assert not (backend / "pyrpc.json").exists()

    # Answers given as flags, or piped, make their way into the example; a piped answer counts.
    result = run(["dev", "--port", "0", "--client-root", "../web app"], backend, stdin="asgi\n")
    assert result.returncode == 2
    assert own_lines(result.stderr)[0].endswith(
        "e.g. pyrpc dev --framework asgi --entrypoint main --client-root '../web app' --distribution workspace"
    )
    assert not (backend / "pyrpc.json").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--entrypoint", "nowhere"],
            "pyrpc dev: error: entrypoint module 'nowhere' not found: no nowhere.py or nowhere/__init__.py in {root} "
            "(from --entrypoint); give the module that holds your procedures",
        ),
        (
            ["--entrypoint", "main.py"],
            "pyrpc dev: error: entrypoint module 'main.py' not found: no main/py.py or main/py/__init__.py in {root} "
            "(from --entrypoint); give the module that holds your procedures",
        ),
        (
            ["--framework", "nonesuch"],
            "pyrpc dev: error: no framework adapter named 'nonesuch' is installed (installed: {adapters}) "
            "(from --framework)",
        ),
    ],
)
def test_a_bad_flag_is_refused_naming_it_before_anything_is_written(
    backend: Path, flags: list[str], message: str
) -> None:
    from pyrpc_core.plugins import get_plugin_manager

    (backend / "main.py").write_text(PROCEDURES)
    result = run(["dev", "--port", "0", *ALL_FLAGS, "server", *flags], backend)
    assert result.returncode == 1
    adapters = ", ".join(get_plugin_manager().adapters())
    assert own_lines(result.stderr) == [message.format(root=backend.resolve(), adapters=adapters)]
    assert not (backend / "pyrpc.json").exists()


def test_a_client_folder_that_is_no_frontend_project_is_warned_about(backend: Path, start: Any) -> None:
    (backend / "main.py").write_text(PROCEDURES)
    flags = ["dev", "--port", "0", "--framework", "asgi", "--entrypoint", "main", "--distribution", "workspace"]
    dev = start([*flags, "--client-root", "../web"], backend)
    dev.wait_for(r"serving 1 procedure at")
    web = (backend.parent / "web").resolve()
    assert (
        f"pyrpc dev: warning: the client folder ../web ({web}) does not exist; "
        f"the types will be written to {web / 'pyrpc' / 'types'} anyway"
    ) in dev.lines
    assert (web / "pyrpc" / "types" / "index.d.ts").is_file()
    dev.stop()

    dev = start([*flags, "--client-root", "../web"], backend)  # the folder exists now, without package.json
    dev.wait_for(r"serving 1 procedure at")
    assert any("the client folder ../web" in line and "has no package.json;" in line for line in dev.lines)


@pytest.mark.parametrize("command", ["dev", "serve"])
def test_an_entrypoint_without_procedures_is_warned_about(backend: Path, start: Any, command: str) -> None:
    (backend / "main.py").write_text("def helper() -> int:\n    return 1\n")
    config = {"version": 1, "framework": "asgi", "entrypoint": "main", "client_root": "../frontend"}
    (backend / "pyrpc.json").write_text(json.dumps({**config, "distribution": "server"}))
    process = start([command, "--port", "0"], backend)
    process.wait_for(
        rf"pyrpc {command}: warning: entrypoint 'main' has no procedures; "
        r"decorate functions with @rpc \(in the module or in modules it imports\)"
    )
    if command == "dev":
        process.wait_for(r"serving 0 procedures at")


def test_errors_of_the_tooling_are_plain_and_errors_of_the_code_say_where(backend: Path) -> None:
    (backend / "main.py").write_text(PROCEDURES)
    config = {"version": 1, "framework": "asgi", "client_root": "../frontend", "distribution": "server"}
    (backend / "pyrpc.json").write_text(json.dumps({**config, "entrypoint": "main:nothing"}))
    result = run(["dev", "--port", "0"], backend)
    assert result.returncode == 1
    assert own_lines(result.stderr) == [
        """pyrpc dev: error: entrypoint main:nothing: module 'main' has no 'nothing' (from pyrpc.json's "entrypoint")"""
    ]

    (backend / "main.py").write_text(PROCEDURES + "\n1 / 0\n")
    (backend / "pyrpc.json").write_text(json.dumps({**config, "entrypoint": "main"}))
    result = run(["dev", "--port", "0"], backend)
    assert result.returncode == 1
    assert own_lines(result.stderr) == ["pyrpc dev: error: main.py:8: ZeroDivisionError: division by zero"]


def _pyrpc_without(module: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The pyrpc command in a process where ``module`` cannot be imported (as if not installed)."""
    code = f"import sys; sys.modules[{module!r}] = None; from pyrpc_core.tooling.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_dev_without_the_dev_extra_says_what_to_install_before_anything_else(backend: Path) -> None:
    (backend / "main.py").write_text(PROCEDURES)
    result = _pyrpc_without("watchdog", ["dev", "--port", "0"], backend)
    assert result.returncode == 1
    assert own_lines(result.stderr) == [
        "pyrpc dev: error: pyrpc dev needs the file watcher of the dev extra; "
        'install it with: pip install "pyrpc-core[dev]"'
    ]
    assert result.stdout == ""  # nothing asked
    assert not (backend / "pyrpc.json").exists()


def test_workspace_mode_without_the_typescript_emitter_names_the_install_line(backend: Path) -> None:
    (backend / "main.py").write_text(PROCEDURES)
    result = _pyrpc_without("pyrpc_ts", ["dev", "--port", "0", *ALL_FLAGS, "workspace"], backend)
    assert result.returncode == 1
    [line] = own_lines(result.stderr)
    assert line.startswith("pyrpc dev: error: workspace mode writes TypeScript types, and no emitter named ")
    assert line.endswith('with: pip install "pyrpc-core[dev]" (or serve in server mode: --distribution server)')
    assert not (backend.parent / "frontend" / "pyrpc").exists()


VERSION_PROBE = """
import json, sys
from pyrpc_core.plugins import get_plugin_manager
from pyrpc_core.tooling.cli import main
try:
    main(["--version"])
except SystemExit:
    pass
heavy = ["uvicorn", "watchdog", "fastapi", "flask", "starlette", "django", "jinja2", "pyrpc_ts", "pydantic",
         "pyrpc_core.tooling.reload", "pyrpc_core.tooling.dev", "pyrpc_core.tooling.serve",
         "pyrpc_core.tooling.watch", "pyrpc_core.tooling.imports"]
print(json.dumps({"imported": [name for name in heavy if name in sys.modules],
                  "plugins_loaded": get_plugin_manager.cache_info().currsize}))
"""


def test_version_imports_no_server_watcher_reloader_or_plugin(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", VERSION_PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True
    )
    version, probe = result.stdout.splitlines()
    assert version == "pyrpc, version 2.0.0"
    assert json.loads(probe) == {"imported": [], "plugins_loaded": 0}
