"""pyrpc.json: loading, checking with file-and-field messages, saving atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyrpc_core.plugins import get_plugin_manager
from pyrpc_core.tooling.config import Config, ConfigError, find_module, guess_entrypoint, load_config, save_config

GOOD = {
    "version": 1,
    "framework": "asgi",
    "entrypoint": "main",
    "client_root": "../frontend",
    "distribution": "workspace",
}


def write(folder: Path, data: object) -> Path:
    path = folder / "pyrpc.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_load_resolves_paths_against_the_file_folder(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    config = load_config(write(tmp_path / "backend", GOOD))
    assert config.framework == "asgi"
    assert config.client_root == "../frontend"
    assert config.client_path == (tmp_path / "frontend").resolve()
    assert config.types_path == (tmp_path / "frontend" / "pyrpc" / "types").resolve()
    assert config.snapshot_path == (tmp_path / "frontend" / "pyrpc" / "schema.json").resolve()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"version": 2}, "version", "1"),
        ({"distribution": "cloud"}, "distribution", "'workspace' or 'server'"),
        ({"entrypoint": "not a module"}, "entrypoint", "pattern"),
        ({"client_root": 5}, "client_root", "string"),
        ({"framework": ""}, "framework", "at least 1"),
        ({"extra": True}, "extra", "not permitted"),
    ],
)
def test_invalid_values_name_the_file_and_the_field(
    tmp_path: Path, change: dict[str, object], field: str, says: str
) -> None:
    path = write(tmp_path, {**GOOD, **change})
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(str(path))
    assert f"field '{field}'" in message
    assert says in message


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    data = dict(GOOD)
    del data["entrypoint"]
    with pytest.raises(ConfigError, match=r"field 'entrypoint': Field required"):
        load_config(write(tmp_path, data))


def test_unknown_framework_lists_the_installed_adapters(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, {**GOOD, "framework": "nonesuch"}))
    installed = ", ".join(get_plugin_manager().adapters())
    assert "field 'framework'" in str(raised.value)
    assert f"(installed: {installed})" in str(raised.value)


def test_a_known_but_missing_framework_says_what_to_install(tmp_path: Path) -> None:
    from pyrpc_core.plugins import PluginManager

    with pytest.raises(ConfigError, match=r"pip install pyrpc-fastapi"):
        load_config(write(tmp_path, {**GOOD, "framework": "fastapi"}), plugins=PluginManager())


def test_bad_json_gives_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"pyrpc.json: line 2, column 1: not valid JSON"):
        load_config(write(tmp_path, '{"version": 1,\n}'))


def test_not_an_object_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must hold a JSON object, not list"):
        load_config(write(tmp_path, "[]"))
    with pytest.raises(ConfigError, match="not found; run 'pyrpc dev'"):
        load_config(tmp_path / "nowhere" / "pyrpc.json")


def test_save_round_trips_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    config = Config(
        path=tmp_path / "pyrpc.json",
        framework="asgi",
        entrypoint="app.main:api",
        client_root="web",
        distribution="server",
    )
    save_config(config)
    assert load_config(config.path) == config
    assert json.loads(config.path.read_text()) == {
        "version": 1,
        "framework": "asgi",
        "entrypoint": "app.main:api",
        "client_root": "web",
        "distribution": "server",
    }
    save_config(config.updated(distribution="workspace"))
    assert load_config(config.path).distribution == "workspace"
    assert [p.name for p in tmp_path.iterdir()] == ["pyrpc.json"]


def test_save_refuses_invalid_values_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    before = path.read_bytes()
    bad = load_config(path).updated(distribution="nowhere")
    with pytest.raises(ConfigError, match="distribution"):
        save_config(bad)
    assert path.read_bytes() == before


def test_find_module_takes_dotted_names_as_paths(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("")
    (tmp_path / "api" / "v1").mkdir(parents=True)
    (tmp_path / "api" / "__init__.py").write_text("")
    (tmp_path / "api" / "v1" / "__init__.py").write_text("")
    (tmp_path / "api" / "users.py").write_text("")
    assert find_module(tmp_path, "main") == tmp_path / "main.py"
    assert find_module(tmp_path, "main:app") == tmp_path / "main.py"
    assert find_module(tmp_path, "api") == tmp_path / "api" / "__init__.py"
    assert find_module(tmp_path, "api.users") == tmp_path / "api" / "users.py"
    assert find_module(tmp_path, "api.v1:registry") == tmp_path / "api" / "v1" / "__init__.py"
    for missing in ["nowhere", "api.nowhere", "main.sub", "not a module", "../main", ""]:
        assert find_module(tmp_path, missing) is None, missing


PROCEDURES = "from pyrpc_core import rpc\n\n@rpc\ndef add(a: int, b: int) -> int:\n    return a + b\n"


@pytest.mark.parametrize(
    ("files", "entrypoint", "framework"),
    [
        ({}, "main", None),
        ({"app.py": PROCEDURES}, "app", None),
        ({"helpers.py": "x = 1\n", "app.py": PROCEDURES}, "app", None),
        ({"server.py": "from fastapi import FastAPI\napp = FastAPI()\n", "api.py": PROCEDURES}, "api", "fastapi"),
        ({"server.py": "import flask\napp = flask.Flask(__name__)\n", "notes.py": "x = 1\n"}, "server", "flask"),
        ({"shop/__init__.py": "from pyrpc_core import Registry\napi = Registry()\n"}, "shop", None),
        (
            {"shop/__init__.py": "import pyrpc_core\n@pyrpc_core.rpc(name='x')\nasync def x() -> None: ...\n"},
            "shop",
            None,
        ),
        (
            {"a.py": "@registry.rpc\ndef f() -> None: ...\n", "b.py": PROCEDURES.replace("add", "add2") + PROCEDURES},
            "b",
            None,
        ),
        ({"broken.py": "def (:\n", "test_api.py": PROCEDURES, "conftest.py": PROCEDURES}, "main", None),
        ({"my-script.py": PROCEDURES}, "main", None),
    ],
)
def test_guess_entrypoint_reads_the_folder_without_importing(
    tmp_path: Path, files: dict[str, str], entrypoint: str, framework: str | None
) -> None:
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    (tmp_path / "tripwire.py").write_text("raise SystemExit('imported')\n")  # never imported
    guess = guess_entrypoint(tmp_path)
    assert (guess.entrypoint, guess.framework) == (entrypoint, framework)
