"""The incremental reload of ``pyrpc dev``, in process: what is re-imported after a save, and what is kept.

Each test writes a small package ``api`` (the entrypoint) into a temporary folder, loads it
with ``Project``, edits files and reloads with the edited paths, as the watcher does.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import Registry, RPCClient
from pyrpc_core.plugins import PluginManager, get_plugin_manager, hookimpl
from pyrpc_core.registry import registry as default_registry
from pyrpc_core.tooling.config import Config
from pyrpc_core.tooling.imports import _statements, parse_imports, static_dependencies
from pyrpc_core.tooling.reload import Loaded, Project, ReloadError
from pyrpc_core.tooling.watch import Debouncer

MODELS = """
from pydantic import BaseModel


class User(BaseModel):
    name: str
"""

GROUP_A = """
from pyrpc_core import rpc

from .models import User


@rpc(name="a.get")
def get(name: str) -> User:
    \"\"\"Get a user.\"\"\"
    return User(name=name)
"""

GROUP_B = """
from pyrpc_core import rpc

from .models import User


@rpc(name="b.list")
def list_users() -> list[User]:
    return []
"""

GROUP_C = """
from pyrpc_core import rpc


@rpc(name="c.ping")
def ping() -> str:
    return "pong"
"""

INIT = """
from . import group_a, group_b, group_c
"""

IMPORT_HELPERS = "from pyrpc_core import rpc\n\nfrom .helpers import GREETING"


class Workspace:
    """A project folder with package ``api``, its ``Project``, and edits that are reloaded as saves are."""

    def __init__(self, root: Path, plugins: PluginManager | None = None) -> None:
        self.root = root
        self.plugins = plugins
        self.project: Project | None = None
        self.loaded: Loaded | None = None

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    def edit(self, name: str, old: str, new: str) -> Path:
        path = self.root / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1))
        return path

    def load(self, entrypoint: str = "api", framework: str = "asgi") -> Loaded:
        config = Config(
            path=self.root / "pyrpc.json",
            framework=framework,
            entrypoint=entrypoint,
            client_root="../frontend",
            distribution="server",
        )
        self.project = Project(config, self.plugins)
        self.loaded = self.project.load()
        return self.loaded

    def reload(self, *paths: Path) -> dict[str, Any]:
        """Reload after saves of ``paths``, as the watcher would; the new schema."""
        assert self.project is not None
        self.loaded = self.project.reload(paths)
        return self.loaded.schema

    @property
    def reloaded(self) -> set[str]:
        assert self.project is not None
        return set(self.project.last_reloaded)

    @property
    def schema(self) -> dict[str, Any]:
        assert self.loaded is not None
        return self.loaded.schema


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A fresh project; afterwards its modules, its sys.path entry and the default registry are put back."""
    root = (tmp_path / "backend").resolve()
    root.mkdir()
    procedures, guards, plugins_added = (
        list(default_registry),
        list(default_registry.guards),
        default_registry.plugins_added,
    )
    default_registry.clear()  # as in a fresh `pyrpc dev` process, whatever earlier tests registered
    modules = set(sys.modules)
    space = Workspace(root)
    space.write("api/models.py", MODELS)
    space.write("api/group_a.py", GROUP_A)
    space.write("api/group_b.py", GROUP_B)
    space.write("api/group_c.py", GROUP_C)
    space.write("api/__init__.py", INIT)
    yield space
    for name, module in list(sys.modules.items()):
        if name not in modules and str(getattr(module, "__file__", None)).startswith(str(root)):
            del sys.modules[name]
    while str(root) in sys.path:
        sys.path.remove(str(root))
    default_registry.clear()
    for procedure in procedures:
        default_registry.add(procedure)
    default_registry.guards.extend(guards)
    default_registry.plugins_added = plugins_added


def properties(schema: dict[str, Any], model: str = "User") -> list[str]:
    definition = schema["$defs"].get(model) or schema["$defs"][f"{model}-Output"]
    return list(definition["properties"])


def state() -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """sys.modules' api modules, the default registry's procedures and its guards, as objects."""
    modules = {name: module for name, module in sys.modules.items() if name == "api" or name.startswith("api.")}
    return modules, {procedure.name: procedure for procedure in default_registry}, list(default_registry.guards)


# -- what is re-imported ----------------------------------------------------------------------


def test_editing_a_leaf_module_reloads_only_it_and_the_entrypoint(workspace: Workspace) -> None:
    workspace.load()
    assert workspace.reloaded == {"api", "api.models", "api.group_a", "api.group_b", "api.group_c"}
    models, kept_b, kept_c = sys.modules["api.models"], default_registry["b.list"], default_registry["c.ping"]

    schema = workspace.reload(workspace.edit("api/group_a.py", "Get a user.", "Get one user."))

    assert workspace.reloaded == {"api.group_a", "api"}
    assert schema["procedures"]["a.get"]["doc"] == "Get one user."
    assert default_registry["b.list"] is kept_b  # the other procedures are the same objects
    assert default_registry["c.ping"] is kept_c
    assert sys.modules["api.models"] is models
    assert sys.modules["api"].group_a is sys.modules["api.group_a"]
    assert sorted(schema["procedures"]) == ["a.get", "b.list", "c.ping"]


def test_editing_the_models_module_reloads_its_importers(workspace: Workspace) -> None:
    workspace.load()
    kept_c = default_registry["c.ping"]
    assert properties(workspace.schema) == ["name"]

    schema = workspace.reload(workspace.edit("api/models.py", "name: str", "name: str\n    email: str = ''"))

    assert workspace.reloaded == {"api.models", "api.group_a", "api.group_b", "api"}
    assert properties(schema) == ["name", "email"]
    get = default_registry["a.get"]
    assert get.func("ann").email == ""  # the procedure builds the new model
    assert default_registry["c.ping"] is kept_c


@pytest.mark.parametrize(
    ("group_a", "importer_uses"),
    [
        ("from api import models\n", "models.User"),
        ("from . import models\n", "models.User"),
        ("from .models import *\n", "User"),
        ("import api.models as m\n", "m.User"),
        ("import api.models\n", "api.models.User"),
    ],
    ids=["from-pkg-import-sub", "from-dot-import-sub", "star", "import-as", "import-dotted"],
)
def test_every_way_of_importing_a_changed_module_reloads_the_importer(
    workspace: Workspace, group_a: str, importer_uses: str
) -> None:
    workspace.write(
        "api/group_a.py",
        f"""
        from pyrpc_core import rpc

        {group_a}

        @rpc(name="a.get")
        def get(name: str) -> {importer_uses}:
            return {importer_uses}(name=name)
        """,
    )
    workspace.load()

    schema = workspace.reload(workspace.edit("api/models.py", "name: str", "name: str\n    email: str = ''"))

    assert "api.group_a" in workspace.reloaded
    assert properties(schema) == ["name", "email"]
    assert default_registry["a.get"].func("ann").email == ""


def test_a_constant_imported_from_a_changed_module(workspace: Workspace) -> None:
    workspace.write("api/settings.py", "LIMIT = 10\n")
    workspace.write(
        "api/group_c.py",
        """
        from pyrpc_core import rpc

        from .settings import LIMIT


        @rpc(name="c.ping")
        def ping(limit: int = LIMIT) -> str:
            return "pong"
        """,
    )
    workspace.load()
    assert workspace.schema["procedures"]["c.ping"]["params"]["properties"]["limit"]["default"] == 10

    schema = workspace.reload(workspace.edit("api/settings.py", "10", "20"))

    assert workspace.reloaded == {"api.settings", "api.group_c", "api"}  # only the static view sees an int
    assert schema["procedures"]["c.ping"]["params"]["properties"]["limit"]["default"] == 20


def test_a_module_only_the_runtime_view_sees_imported(workspace: Workspace) -> None:
    workspace.write(
        "api/group_c.py",
        """
        import importlib

        from pyrpc_core import rpc

        models = importlib.import_module(".".join(["api", "models"]))


        @rpc(name="c.ping")
        def ping() -> models.User:
            return models.User(name="pong")
        """,
    )
    workspace.load()

    schema = workspace.reload(workspace.edit("api/models.py", "name: str", "name: str\n    email: str = ''"))

    assert "api.group_c" in workspace.reloaded
    assert default_registry["c.ping"].func().email == ""
    assert properties(schema) == ["name", "email"]


def test_the_entrypoint_is_reloaded_even_when_it_finds_the_modules_itself(workspace: Workspace) -> None:
    workspace.write("api/__init__.py", "")
    workspace.write(
        "main.py",
        """
        import importlib

        for group in "abc":
            importlib.import_module(f"api.group_{group}")
        """,
    )
    workspace.load("main")

    schema = workspace.reload(workspace.edit("api/group_a.py", "Get a user.", "Get one user."))

    assert workspace.reloaded == {"api.group_a", "main"}
    assert schema["procedures"]["a.get"]["doc"] == "Get one user."
    assert sorted(schema["procedures"]) == ["a.get", "b.list", "c.ping"]


def test_adding_renaming_and_deleting_a_procedure(workspace: Workspace) -> None:
    workspace.load()
    kept_b = default_registry["b.list"]
    added = '\n\n@rpc(name="a.count")\ndef count() -> int:\n    return 1\n'

    path = workspace.root / "api/group_a.py"
    path.write_text(path.read_text() + added)
    assert sorted(workspace.reload(path)["procedures"]) == ["a.count", "a.get", "b.list", "c.ping"]

    schema = workspace.reload(workspace.edit("api/group_a.py", '"a.count"', '"a.total"'))
    assert sorted(schema["procedures"]) == ["a.get", "a.total", "b.list", "c.ping"]

    path.write_text(path.read_text().replace(added.replace("a.count", "a.total"), ""))
    schema = workspace.reload(path)
    assert sorted(schema["procedures"]) == ["a.get", "b.list", "c.ping"]
    assert workspace.reloaded == {"api.group_a", "api"}
    assert default_registry["b.list"] is kept_b


GROUP_D = """
from typing import Annotated, Literal

from pydantic import Field
from pyrpc_core import rpc

from .models import User


@rpc(name="d.find")
def find(
    user: User, limit: Annotated[int, Field(ge=1, le=50)] = 10, order: Literal["asc", "desc"] = "asc"
) -> list[User]:
    \"\"\"Find users.\"\"\"
    return [user] * limit


@rpc(name="d.mark")
def mark(user: User, tags: list[str] = [], score: int | str = 0) -> User:  # noqa: B006
    return user
"""


def _params_of(schema: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = schema["procedures"][name]["params"]["properties"]
    return properties


# Each edit changes the params or the result of a procedure of GROUP_D, and what the document shows of it.
SIGNATURE_EDITS: list[tuple[str, str, str, Callable[[dict[str, Any]], object]]] = [
    ("le=50", "le=60", "d.find", lambda s: _params_of(s, "d.find")["limit"]["maximum"]),
    ("= 10,", "= 11,", "d.find", lambda s: _params_of(s, "d.find")["limit"]["default"]),
    ('"asc", "desc"', '"desc", "asc"', "d.find", lambda s: _params_of(s, "d.find")["order"]["enum"]),
    ("-> list[User]", "-> list[User] | None", "d.find", lambda s: s["procedures"]["d.find"]["result"]),
    ("int | str = 0", "str | int = 0", "d.mark", lambda s: _params_of(s, "d.mark")["score"]["anyOf"]),
    ("= 0)", "= 0.0)", "d.mark", lambda s: json.dumps(_params_of(s, "d.mark")["score"]["default"])),
]


def test_a_procedure_registered_again_with_the_same_signature_keeps_its_models(workspace: Workspace) -> None:
    workspace.write("api/group_d.py", GROUP_D)
    workspace.edit("api/__init__.py", "group_c", "group_c, group_d")
    workspace.load()
    names = ("d.find", "d.mark")
    built = {name: (default_registry[name].params_model, default_registry[name].result_adapter) for name in names}

    # A docstring and a body changed: the same signatures, so the same models, and the new doc.
    workspace.edit("api/group_d.py", "Find users.", "Find the users.")
    schema = workspace.reload(workspace.edit("api/group_d.py", "return user\n", "return user.model_copy()\n"))
    assert workspace.reloaded == {"api.group_d", "api"}
    for name in names:
        assert (default_registry[name].params_model, default_registry[name].result_adapter) == built[name], name
    assert schema["procedures"]["d.find"]["doc"] == "Find the users."
    assert default_registry["d.find"].validate_params({"user": {"name": "a"}, "limit": 2})[1]["limit"] == 2

    # A changed signature: its models are built again, and the document shows the change.
    for old, new, name, shown in SIGNATURE_EDITS:
        before = (default_registry[name].params_model, default_registry[name].result_adapter)
        was = shown(workspace.schema)
        schema = workspace.reload(workspace.edit("api/group_d.py", old, new))
        assert shown(schema) != was, (old, new)
        assert (default_registry[name].params_model, default_registry[name].result_adapter) != before, (old, new)

    # What the kept and the rebuilt models give is what reloading everything gives.
    assert workspace.project is not None
    incremental = json.dumps(workspace.schema)
    assert json.dumps(workspace.project.reload().schema) == incremental


def test_a_new_file_imported_by_an_edited_module(workspace: Workspace) -> None:
    workspace.load()
    helpers = workspace.write("api/helpers.py", "GREETING = 'hello'\n")
    edited = workspace.edit("api/group_c.py", "from pyrpc_core import rpc", IMPORT_HELPERS)
    edited = workspace.edit("api/group_c.py", 'return "pong"', "return GREETING")

    workspace.reload(helpers, edited)  # a new file: everything is re-imported

    assert "api.group_a" in workspace.reloaded
    assert default_registry["c.ping"].func() == "hello"

    # Now known: an edit of it re-imports it and its importers only.
    workspace.reload(workspace.edit("api/helpers.py", "hello", "howdy"))
    assert workspace.reloaded == {"api.helpers", "api.group_c", "api"}
    assert default_registry["c.ping"].func() == "howdy"


def test_a_file_created_earlier_and_imported_by_an_edit_is_imported(workspace: Workspace) -> None:
    workspace.load()
    workspace.reload(workspace.write("api/helpers.py", "GREETING = 'hello'\n"))  # imported by nothing yet

    workspace.edit(
        "api/group_c.py", "from pyrpc_core import rpc", "from pyrpc_core import rpc\n\nfrom .helpers import GREETING"
    )
    workspace.reload(workspace.edit("api/group_c.py", 'return "pong"', "return GREETING"))

    assert workspace.reloaded == {"api.helpers", "api.group_c", "api"}
    assert default_registry["c.ping"].func() == "hello"


def test_a_module_no_longer_imported_leaves_with_its_procedures(workspace: Workspace) -> None:
    workspace.load()

    schema = workspace.reload(workspace.edit("api/__init__.py", ", group_c", ""))

    assert "api.group_c" not in sys.modules
    assert sorted(schema["procedures"]) == ["a.get", "b.list"]


def test_a_deleted_module_is_a_full_reload_that_fails_while_it_is_imported(workspace: Workspace) -> None:
    workspace.load()
    before = state()
    path = workspace.root / "api/group_c.py"
    path.unlink()

    with pytest.raises(ReloadError, match=r"api/__init__\.py:1: ImportError: cannot import name 'group_c'"):
        workspace.reload(path)
    assert state() == before

    schema = workspace.reload(workspace.edit("api/__init__.py", ", group_c", ""))
    assert sorted(schema["procedures"]) == ["a.get", "b.list"]


def test_a_renamed_module(workspace: Workspace) -> None:
    workspace.load()
    old, new = workspace.root / "api/group_c.py", workspace.root / "api/group_d.py"
    old.rename(new)
    init = workspace.edit("api/__init__.py", "group_c", "group_d")

    schema = workspace.reload(old, new, init)

    assert "api.group_c" not in sys.modules
    assert sys.modules["api.group_d"].ping() == "pong"
    assert sorted(schema["procedures"]) == ["a.get", "b.list", "c.ping"]


# -- failures put everything back ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("def broken(:\n", r"^api/group_a\.py:\d+: SyntaxError"),
        ("import not_a_module_anywhere\n", r"^api/group_a\.py:\d+: ModuleNotFoundError"),
        ("raise RuntimeError('boom')\n", r"^api/group_a\.py:\d+: RuntimeError: boom$"),
        ("@rpc(name='a.get')\ndef again() -> None: ...\n", r"^api/group_a\.py:\d+: RegistrationError: duplicate"),
    ],
    ids=["syntax", "import", "exception", "duplicate-in-module"],
)
def test_a_broken_save_puts_everything_back_and_the_fix_reloads(
    workspace: Workspace, broken: str, message: str
) -> None:
    loaded = workspace.load()
    before = state()
    path = workspace.root / "api/group_a.py"
    good = path.read_text()

    path.write_text(good + "\n" + broken)
    with pytest.raises(ReloadError, match=message):
        workspace.reload(path)
    assert state() == before

    path.write_text(good.replace("Get a user.", "Get one user."))
    schema = workspace.reload(path)
    assert "api.group_c" in workspace.reloaded  # after a failure, the next reload takes no chances
    assert schema["procedures"]["a.get"]["doc"] == "Get one user."
    assert loaded.schema["procedures"]["a.get"]["doc"] == "Get a user."


def test_a_duplicate_name_across_modules_then_a_fix(workspace: Workspace) -> None:
    workspace.load()
    before = state()
    path = workspace.edit("api/group_c.py", '"c.ping"', '"b.list"')

    with pytest.raises(
        ReloadError, match=r"^api/group_\w\.py:\d+: RegistrationError: duplicate procedure name 'b\.list'"
    ):
        workspace.reload(path)
    assert state() == before

    schema = workspace.reload(workspace.edit("api/group_c.py", '"b.list"', '"c.pong"'))
    assert sorted(schema["procedures"]) == ["a.get", "b.list", "c.pong"]


def test_a_failure_after_a_kept_package_got_a_new_submodule_puts_its_attribute_back(workspace: Workspace) -> None:
    workspace.write("api/sub/__init__.py", "")
    workspace.write("api/sub/flags.py", "BROKEN = False\n")
    workspace.write(
        "api/__init__.py", INIT + "from .sub import flags\n\nif flags.BROKEN:\n    raise RuntimeError('no')\n"
    )
    workspace.load()
    package, flags = sys.modules["api.sub"], sys.modules["api.sub.flags"]

    with pytest.raises(ReloadError, match=r"^api/__init__\.py:\d+: RuntimeError: no"):
        workspace.reload(workspace.edit("api/sub/flags.py", "False", "True"))

    assert sys.modules["api.sub"] is package
    assert package.flags is flags  # the import of the new flags had set it on the kept package
    assert sys.modules["api.sub.flags"] is flags


def test_a_failure_puts_back_a_registry_of_the_project(workspace: Workspace) -> None:
    workspace.write("api/registry.py", "from pyrpc_core import Registry\n\nregistry = Registry()\n")
    for group in "abc":
        workspace.edit(f"api/group_{group}.py", "from pyrpc_core import rpc", "from .registry import registry")
        workspace.edit(f"api/group_{group}.py", "@rpc(", "@registry.rpc(")
    workspace.edit("api/__init__.py", "from . import", "from .registry import registry\nfrom . import")
    loaded = workspace.load()
    own = sys.modules["api.registry"].registry
    assert loaded.registry is own
    kept = own["b.list"]

    path = workspace.edit("api/group_a.py", "Get a user.", "Get one user.")
    schema = workspace.reload(path)
    assert workspace.reloaded == {"api.group_a", "api"}
    assert workspace.loaded is not None
    assert workspace.loaded.registry is own  # its module did not change
    assert schema["procedures"]["a.get"]["doc"] == "Get one user."
    assert own["b.list"] is kept
    procedures = {procedure.name: procedure for procedure in own}
    assert len(procedures) == 3

    path.write_text(path.read_text() + "\nraise RuntimeError('boom')\n")
    with pytest.raises(ReloadError):
        workspace.reload(path)
    assert {procedure.name: procedure for procedure in own} == procedures


def test_a_registry_of_a_kept_module_that_is_not_served_loses_the_old_procedures(workspace: Workspace) -> None:
    workspace.write("api/admin.py", "from pyrpc_core import Registry\n\nadmin = Registry()\n")
    workspace.edit("api/group_a.py", "from .models import User", "from .admin import admin\nfrom .models import User")
    path = workspace.root / "api/group_a.py"
    path.write_text(path.read_text() + '\n\n@admin.rpc(name="admin.reset")\ndef reset() -> int:\n    return 1\n')
    workspace.load()
    admin = sys.modules["api.admin"].admin

    workspace.reload(workspace.edit("api/group_a.py", "return 1", "return 2"))

    assert workspace.reloaded == {"api.group_a", "api"}
    assert sys.modules["api.admin"].admin is admin
    assert admin["admin.reset"].func() == 2


def test_a_procedure_whose_function_says_another_module_is_still_replaced(workspace: Workspace) -> None:
    workspace.write(
        "api/logged.py",
        """
        def logged(function):
            def wrapper(name: str) -> str:  # no functools.wraps: its __module__ is this module's
                return function(name)

            return wrapper
        """,
    )
    workspace.write(
        "api/group_c.py",
        """
        from pyrpc_core import rpc

        from .logged import logged


        @rpc(name="c.hello")
        @logged
        def hello(name: str) -> str:
            return f"hello {name}"
        """,
    )
    workspace.load()

    schema = workspace.reload(workspace.edit("api/group_c.py", "hello {name}", "howdy {name}"))

    assert default_registry["c.hello"].func("ann") == "howdy ann"
    assert sorted(schema["procedures"]) == ["a.get", "b.list", "c.hello"]


# -- guards, plugins, packages --------------------------------------------------------------------


def test_guards_of_a_reloaded_module_are_replaced_and_the_others_kept(workspace: Workspace) -> None:
    guard = """
    from pyrpc_core import registry


    @registry.guard
    def {name}(procedure, ctx):
        return None
    """
    workspace.write("api/guard_a.py", textwrap.dedent(guard).format(name="first"))
    workspace.write("api/guard_b.py", textwrap.dedent(guard).format(name="other"))
    workspace.edit("api/__init__.py", "group_c", "group_c, guard_a, guard_b")
    workspace.load()
    other = sys.modules["api.guard_b"].other
    assert [guard.__name__ for guard in default_registry.guards[-2:]] == ["first", "other"]

    workspace.reload(workspace.edit("api/guard_a.py", "def first", "def second"))

    ours = [guard for guard in default_registry.guards if guard.__module__.startswith("api")]
    assert sorted(guard.__name__ for guard in ours) == ["other", "second"]
    assert other in ours


def test_plugin_procedures_stay(workspace: Workspace) -> None:
    class Plugin:
        @hookimpl
        def pyrpc_register_procedures(self, registry: Registry) -> None:
            @registry.rpc(name="plugin.version")
            def version() -> str:
                return "1"

    manager = get_plugin_manager()  # the app's dispatcher asks the installed plugins
    plugin = Plugin()
    manager.register(plugin, name="test-reload-plugin")
    try:
        workspace.load()
        added = default_registry["plugin.version"]

        schema = workspace.reload(workspace.edit("api/group_a.py", "Get a user.", "Get one user."))

        assert default_registry["plugin.version"] is added
        assert "plugin.version" in schema["procedures"]
    finally:
        manager.unregister(plugin)


def test_a_reloaded_package_has_its_kept_submodules_while_its_code_runs(workspace: Workspace) -> None:
    workspace.write(
        "api/__init__.py",
        """
        import api.group_a
        import api.group_b
        import api.group_c

        NAMES = [api.group_a.__name__, api.group_b.__name__, api.group_c.__name__]
        """,
    )
    workspace.load()

    workspace.reload(workspace.edit("api/group_a.py", "Get a user.", "Get one user."))

    assert workspace.reloaded == {"api.group_a", "api"}
    assert sys.modules["api"].NAMES == ["api.group_a", "api.group_b", "api.group_c"]


def test_an_entrypoint_module_beside_the_package(workspace: Workspace) -> None:
    workspace.write("api/__init__.py", "")
    workspace.write("main.py", "from api import group_a, group_b\n")
    workspace.load("main")
    kept = default_registry["b.list"]

    workspace.reload(workspace.edit("api/group_a.py", "Get a user.", "Get one user."))

    assert workspace.reloaded == {"api.group_a", "main"}
    assert sys.modules["api"].group_a is sys.modules["api.group_a"]  # the kept package has the new one
    assert default_registry["b.list"] is kept
    assert default_registry["a.get"].doc == "Get one user."


def test_the_fastapi_app_of_the_entrypoint_is_built_afresh(
    workspace: Workspace, serve_asgi: Callable[[Any], str]
) -> None:
    workspace.write("api/__init__.py", "")
    workspace.write(
        "main.py",
        """
        from fastapi import FastAPI

        from api import group_a, group_b, group_c

        app = FastAPI()


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}
        """,
    )
    old = workspace.load("main", framework="fastapi").app.app

    workspace.reload(workspace.edit("api/group_a.py", "User(name=name)", "User(name=name.upper())"))

    assert workspace.loaded is not None
    app = workspace.loaded.app.app
    assert app is not old
    assert app is sys.modules["main"].app
    with RPCClient(serve_asgi(app) + "/rpc") as client:
        assert client.a.get("ann") == {"name": "ANN"}
        assert client.c.ping() == "pong"


def test_a_save_of_the_same_size_in_the_same_second_is_not_read_from_stale_bytecode(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    path = workspace.root / "api/group_c.py"
    workspace.load()
    assert Path(importlib.util.cache_from_source(str(path))).exists()
    stat = path.stat()

    path.write_text(path.read_text().replace('"pong"', '"PONG"'))  # the same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime
    workspace.reload(path)

    assert default_registry["c.ping"].func() == "PONG"


def test_an_editors_lock_file_is_no_new_module(workspace: Workspace) -> None:
    workspace.load()
    lock = workspace.write("api/.#group_a.py", "user@host.1234:1700000000")  # what Emacs keeps beside a buffer

    workspace.reload(lock, workspace.edit("api/group_a.py", "Get a user.", "Get one user."))
    assert workspace.reloaded == {"api.group_a", "api"}

    lock.unlink()
    workspace.reload(lock)  # nothing that is imported changed: the entrypoint alone
    assert workspace.reloaded == {"api"}


def test_without_paths_everything_is_reloaded(workspace: Workspace) -> None:
    workspace.load()
    assert workspace.project is not None
    workspace.project.reload()
    assert "api.group_c" in workspace.reloaded


# -- the static view --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "depends"),
    [
        ("from . import models", {"api.models"}),
        ("from api import models", {"api.models"}),
        ("from .models import User", {"api.models"}),
        ("from .models import *", {"api.models"}),
        ("from .. import x", set()),  # beyond the top package: the import itself fails
        ("import api.models as m", {"api.models"}),
        ("import api.models", {"api", "api.models"}),
        ("from . import LIMIT", {"api"}),  # a name of the package itself
        ("def later():\n    from .models import User", {"api.models"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .models import User", {"api.models", "typing"}),
        ("import importlib\nimportlib.import_module('api.models')", {"api.models", "importlib"}),
        ("class A:\n    helper = __import__('api.models')", {"api.models"}),  # a call in an expression
        ("try:\n    pass\nexcept ImportError:\n    from .models import User", {"api.models"}),
        ("try:\n    pass\nexcept* ValueError:\n    pass\nelse:\n    import api.models as m", {"api.models"}),
        ("try:\n    pass\nfinally:\n    from . import models", {"api.models"}),
        ("while False:\n    pass\nelse:\n    from .models import User", {"api.models"}),
        ("match 1:\n    case 1:\n        from .models import User", {"api.models"}),
        ("class A:\n    async def f(self):\n        async with x:\n            from . import models", {"api.models"}),
    ],
)
def test_static_imports(source: str, depends: set[str]) -> None:
    modules: dict[str, Any] = {"api": sys, "api.models": os}  # any module objects stand in
    entries = parse_imports(source.encode(), "api/group_a.py", "api")
    names = static_dependencies(entries, {**modules, "typing": sys, "importlib": sys})
    assert names == depends


def test_static_imports_of_every_file_of_the_repository_are_those_a_full_walk_finds() -> None:
    """Only statements are searched when a source calls no import function (``imports._statements``):
    they must hold the same import statements, in the same order, as walking the whole tree."""
    root = Path(__file__).resolve().parents[3]
    checked = 0
    for path in sorted(root.glob("**/*.py")):
        if "node_modules" in path.parts or ".venv" in path.parts:
            continue
        source = path.read_bytes()
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        every = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
        statements = [node for node in _statements(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
        assert statements == every, path
        checked += 1
    assert checked > 150


# -- the watcher's debounce ---------------------------------------------------------------------------


def test_the_debouncer_hands_over_every_path_of_a_burst_once() -> None:
    calls: list[frozenset[Path]] = []
    done = threading.Event()

    def callback(paths: frozenset[Path]) -> None:
        calls.append(paths)
        done.set()

    debouncer = Debouncer(callback, delay=0.05)
    debouncer.poke(Path("a.py"))
    debouncer.poke(Path("b.py"), Path("a.py"))
    assert done.wait(2)
    debouncer.poke(Path("c.py"))
    done.clear()
    assert done.wait(2)
    assert calls == [frozenset({Path("a.py"), Path("b.py")}), frozenset({Path("c.py")})]
