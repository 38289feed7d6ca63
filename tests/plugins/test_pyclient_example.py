"""The example Python client emitter (examples/plugins/pyrpc_pyclient) in the development venv.

The emitter harness runs on it with committed snapshots; the generated modules pass strict
mypy, import, call a live server, and mypy rejects a wrong call.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import pyrpc_asgi
from pyrpc_core import Emitter, Registry, RpcError
from pyrpc_core.testing import EmitterHarness, schema_corpus, serve_asgi
from pyrpc_pyclient import MODULE, generate

MYPY = str(Path(sys.executable).with_name("mypy"))


class TestPythonEmitter(EmitterHarness):
    snapshot_dir = Path(__file__).parent / "snapshots" / "python"

    @pytest.fixture(scope="class")
    @classmethod
    def emitter(cls) -> Emitter:
        return Emitter(name="python", language="python", generate=generate)


def import_generated(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def mypy(*paths: Path) -> subprocess.CompletedProcess[str]:
    """Strict mypy on ``paths`` alone (not the repository's settings), from their folder."""
    folder = paths[0].parent
    (folder / "mypy.ini").write_text("[mypy]\nstrict = True\nincremental = False\n")
    return subprocess.run(
        [MYPY, "--config-file", str(folder / "mypy.ini"), *(path.name for path in paths)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=120,
        check=False,
    )


def test_every_corpus_client_passes_strict_mypy_and_imports(tmp_path: Path) -> None:
    paths = []
    for name, document in schema_corpus().items():
        path = tmp_path / f"client_{name}.py"
        path.write_text(generate(document)[MODULE])
        paths.append(path)
        client_module = import_generated(path, f"generated_{name}")
        assert hasattr(client_module, "Client")
    result = mypy(*paths)
    assert result.returncode == 0, result.stdout + result.stderr


USER_CODE = """
from pyrpc_client import Client, User, UserInput

def use(api: Client) -> str:
    user: User = api.create_user({"id": 1, "name": "Ada", "email": None})
    return user["name"] + api.add(1, 2)
"""


def live_registry() -> Registry:
    from pydantic import BaseModel

    class User(BaseModel):
        id: int
        name: str
        email: str | None
        tags: list[str] = []

    registry = Registry()

    @registry.rpc
    def add(a: int, b: int) -> int:
        return a + b

    @registry.rpc
    def create_user(user: User) -> User:
        return user

    @registry.rpc(name="users.find")
    def find(name: str, limit: int = 10, *, exact: bool = False) -> list[str]:
        return [f"{name}:{limit}:{exact}"]

    @registry.rpc(name="class")
    def class_(default: int, self: str = "s", method: str = "m") -> str:
        return f"{default}/{self}/{method}"

    @registry.rpc
    def fail() -> None:
        raise RpcError(4004, "not found", {"id": 1})

    return registry


def test_the_generated_client_calls_a_live_server_and_is_type_checked(tmp_path: Path) -> None:
    from pyrpc_core import build_schema
    from pyrpc_core.plugins import PluginManager

    registry = live_registry()
    (tmp_path / MODULE).write_text(generate(build_schema(registry, PluginManager()))[MODULE])
    client_module = import_generated(tmp_path / MODULE, "generated_live")
    with serve_asgi(pyrpc_asgi.create_app(registry)) as base_url, client_module.Client(base_url) as api:
        assert api.add(2, 3) == 5
        assert api.create_user({"id": 1, "name": "Ada", "email": None}) == {
            "id": 1,
            "name": "Ada",
            "email": None,
            "tags": [],
        }
        assert api.users_find("x") == ["x:10:False"]  # left-out arguments take the server's defaults
        assert api.users_find("x", exact=True) == ["x:10:True"]
        assert api.class_(1) == "1/s/m"  # 'self' and 'method' are sent by position
        assert api.class_(1, method="M") == "1/s/M"
        with pytest.raises(RpcError) as caught:
            api.fail()
        assert (caught.value.code, caught.value.data) == (4004, {"id": 1})

    (tmp_path / "use.py").write_text(USER_CODE.replace("User, UserInput", "User"))
    bad = mypy(tmp_path / "use.py", tmp_path / MODULE)
    assert bad.returncode == 1  # str + int: the types reached mypy
    assert 'Unsupported operand types for + ("str" and "int")' in bad.stdout
    (tmp_path / "use.py").write_text(USER_CODE.replace("+ api.add(1, 2)", "+ str(api.add(1, 2))"))
    good = mypy(tmp_path / "use.py", tmp_path / MODULE)
    assert good.returncode == 0, good.stdout
