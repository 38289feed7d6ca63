"""pyrpc.json picks the adapter: ``framework`` names the plugin, ``entrypoint`` the module to serve."""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import fastapi
import flask
import pytest

import pyrpc_asgi
import pyrpc_asgi.plugin
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import Adapter, RPCClient, hookimpl, registry
from pyrpc_core.plugins import PluginManager
from pyrpc_core.tooling.config import ConfigError, load_config
from pyrpc_core.tooling.loading import LoadedApp, LoadError, load_app

from .servers import serve

Project = Callable[..., Path]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """Writes pyrpc.json and a module of a unique name; forgets the modules and procedures after."""
    modules: list[str] = []
    procedures_before = {procedure.name for procedure in registry}

    def make(framework: str, source: str, attr: str = "") -> Path:
        name = f"entry_{uuid.uuid4().hex[:12]}"
        modules.append(name)
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        config = {
            "version": 1,
            "framework": framework,
            "entrypoint": f"{name}:{attr}" if attr else name,
            "client_root": "../frontend",
            "distribution": "workspace",
        }
        (tmp_path / "pyrpc.json").write_text(json.dumps(config), encoding="utf-8")
        return tmp_path / "pyrpc.json"

    yield make
    for name in modules:
        sys.modules.pop(name, None)
    while str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))
    for procedure in list(registry):
        if procedure.name not in procedures_before:
            registry.remove(procedure.name)


def call(loaded: LoadedApp, method: str, *args: object) -> object:
    """Serve what ``load_app`` gave, the way its adapter says, and call ``method`` over HTTP."""
    with serve(loaded.adapter, loaded.app) as base_url, RPCClient(base_url) as client:
        return client.call(method, *args)


def test_fastapi_users_app_with_pyrpc_mounted_is_served_as_it_is(project: Project) -> None:
    path = project(
        "fastapi",
        """
        from fastapi import FastAPI
        from pyrpc_core import Registry
        from pyrpc_fastapi import mount

        api = Registry()

        @api.rpc
        def double(x: int) -> int:
            return 2 * x

        app = FastAPI()

        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        mount(app, api)
        """,
    )
    loaded = load_app(load_config(path))
    module = sys.modules[json.loads(path.read_text())["entrypoint"]]
    assert loaded.adapter.name == "fastapi"
    assert loaded.adapter.interface == "asgi"
    assert loaded.app is module.app
    assert call(loaded, "double", 21) == 42


def test_flask_users_app_with_pyrpc_mounted_is_served_as_it_is(project: Project) -> None:
    path = project(
        "flask",
        """
        from flask import Flask
        from pyrpc_core import Registry
        from pyrpc_flask import mount

        api = Registry()

        @api.rpc
        async def double(x: int) -> int:
            return 2 * x

        server = Flask(__name__)
        mount(server, api)
        """,
    )
    loaded = load_app(load_config(path))
    assert loaded.adapter.name == "flask"
    assert loaded.adapter.interface == "wsgi"
    assert loaded.app is sys.modules[loaded.app.import_name].server
    assert call(loaded, "double", 4) == 8


@pytest.mark.parametrize(
    ("framework", "app_type"),
    [("asgi", pyrpc_asgi.RpcApp), ("fastapi", fastapi.FastAPI), ("flask", flask.Flask)],
)
def test_module_without_an_app_gets_one_built_for_its_procedures(
    project: Project, framework: str, app_type: type
) -> None:
    unique = f"triple_{uuid.uuid4().hex[:8]}"
    path = project(
        framework,
        f"""
        from pyrpc_core import rpc

        @rpc(name="{unique}")
        def triple(x: int) -> int:
            return 3 * x
        """,
    )
    loaded = load_app(load_config(path))
    assert loaded.adapter.name == framework
    assert isinstance(loaded.app, app_type)
    assert call(loaded, unique, 5) == 15


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_users_only_app_without_pyrpc_gets_the_modules_registry_mounted(project: Project, framework: str) -> None:
    make_app = "FastAPI()" if framework == "fastapi" else "Flask(__name__)"
    path = project(
        framework,
        f"""
        from fastapi import FastAPI
        from flask import Flask
        from pyrpc_core import Registry

        api = Registry()

        @api.rpc
        def ping() -> str:
            return "pong"

        app = {make_app}
        """,
    )
    loaded = load_app(load_config(path))
    assert loaded.app is sys.modules[json.loads(path.read_text())["entrypoint"]].app
    mounted = pyrpc_fastapi.is_mounted if framework == "fastapi" else pyrpc_flask.is_mounted
    assert mounted(loaded.app)
    assert call(loaded, "ping") == "pong"


def test_entrypoint_attr_names_the_app_or_the_registry(project: Project) -> None:
    source = """
        from pyrpc_asgi import create_app
        from pyrpc_core import Registry

        first, second = Registry(), Registry()

        @first.rpc
        def which() -> str:
            return "first"

        @second.rpc(name="which")
        def which_second() -> str:
            return "second"

        first_app = create_app(first)
        """
    named_app = load_app(load_config(project("asgi", source, attr="first_app")))
    named_registry = load_app(load_config(project("asgi", source, attr="second")))
    assert call(named_app, "which") == "first"
    assert call(named_registry, "which") == "second"


def test_several_mounted_apps_ask_for_module_attr(project: Project) -> None:
    path = project(
        "fastapi",
        """
        from fastapi import FastAPI
        from pyrpc_fastapi import mount

        public, admin = FastAPI(), FastAPI()
        mount(public)
        mount(admin)
        """,
    )
    with pytest.raises(LoadError, match=r"2 FastAPI apps with pyRPC mounted.*entry_\w+:<attribute>"):
        load_app(load_config(path))


def test_missing_entrypoint_module_is_one_clear_line(project: Project) -> None:
    path = project("asgi", "x = 1\n")
    config = load_config(path).updated(entrypoint="no_such_module_here")
    with pytest.raises(LoadError) as caught:
        load_app(config)
    assert "entrypoint module 'no_such_module_here' not found" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_attr_is_a_load_error(project: Project) -> None:
    path = project("asgi", "x = 1\n", attr="nothing")
    with pytest.raises(LoadError, match="has no 'nothing'"):
        load_app(load_config(path))


def test_import_errors_inside_the_users_module_are_not_hidden(project: Project) -> None:
    path = project("asgi", "import a_dependency_the_user_forgot\n")
    with pytest.raises(ModuleNotFoundError, match="a_dependency_the_user_forgot"):
        load_app(load_config(path))


def only_asgi_installed() -> PluginManager:
    manager = PluginManager()
    manager.register_checked(pyrpc_asgi.plugin, "asgi")
    return manager


@pytest.mark.parametrize(("framework", "distribution"), [("flask", "pyrpc-flask"), ("fastapi", "pyrpc-fastapi")])
def test_framework_not_installed_names_the_distribution_to_install(
    project: Project, framework: str, distribution: str
) -> None:
    path = project(framework, "x = 1\n")
    with pytest.raises(ConfigError) as from_config:
        load_config(path, plugins=only_asgi_installed())
    config = load_config(path)  # with every adapter installed, then loaded without them
    with pytest.raises(LoadError) as from_loading:
        load_app(config, plugins=only_asgi_installed())
    for error in (from_config.value, from_loading.value):
        message = str(error)
        assert "\n" not in message
        assert f"no framework adapter named {framework!r} is installed" in message
        assert message.endswith(f"install it with: pip install {distribution}")


def test_unknown_framework_lists_the_installed_ones(project: Project) -> None:
    path = project("tornado", "x = 1\n")
    with pytest.raises(ConfigError, match=r"'tornado' is installed \(installed: asgi, (django, )?fastapi, flask"):
        load_config(path)


def test_the_adapters_are_plugins_of_the_entry_point_group() -> None:
    from pyrpc_core import get_plugin_manager

    adapters = get_plugin_manager().adapters()
    assert {name: adapters[name].interface for name in ("asgi", "fastapi", "flask")} == {
        "asgi": "asgi",
        "fastapi": "asgi",
        "flask": "wsgi",
    }
    assert all(adapters[name].find_app is not None for name in ("asgi", "fastapi", "flask"))


# -- the endpoint the tooling serves and writes the types of ------------------------------------

TWO_REGISTRIES = {
    "asgi": """
        from pyrpc_asgi import create_app
        from pyrpc_core import Registry

        api, other = Registry(), Registry()

        @api.rpc
        def served() -> str:
            return "api"

        @other.rpc
        def elsewhere() -> str:
            return "other"

        app = create_app(api)
        """,
    "fastapi": """
        from fastapi import FastAPI
        from pyrpc_core import Registry
        from pyrpc_fastapi import mount

        api, other = Registry(), Registry()

        @api.rpc
        def served() -> str:
            return "api"

        @other.rpc
        def elsewhere() -> str:
            return "other"

        app = FastAPI()
        mount(app, api)
        """,
    "flask": """
        from flask import Flask
        from pyrpc_core import Registry
        from pyrpc_flask import mount

        api, other = Registry(), Registry()

        @api.rpc
        def served() -> str:
            return "api"

        @other.rpc
        def elsewhere() -> str:
            return "other"

        app = Flask(__name__)
        mount(app, api)
        """,
}


@pytest.mark.parametrize("attr", ["app", ""])
@pytest.mark.parametrize("framework", ["asgi", "fastapi", "flask"])
def test_the_endpoint_is_the_apps_with_another_registry_in_the_module(
    project: Project, framework: str, attr: str
) -> None:
    """``entrypoint: "main:app"`` (or ``"main"``) with a second Registry in the module: the types are the app's."""
    path = project(framework, TWO_REGISTRIES[framework], attr=attr)
    loaded = load_app(load_config(path))
    module = sys.modules[json.loads(path.read_text())["entrypoint"].partition(":")[0]]
    assert loaded.app is module.app
    assert [procedure.name for procedure in loaded.endpoint.registry] == ["served"]
    assert list(loaded.endpoint.schema()["procedures"]) == ["served"]
    assert loaded.endpoint.path == "/rpc"
    assert call(loaded, "served") == "api"


@pytest.mark.parametrize("framework", ["asgi", "fastapi", "flask"])
def test_the_endpoint_of_an_app_built_for_a_named_registry(project: Project, framework: str) -> None:
    loaded = load_app(load_config(project(framework, TWO_REGISTRIES[framework], attr="other")))
    assert [procedure.name for procedure in loaded.endpoint.registry] == ["elsewhere"]
    assert call(loaded, "elsewhere") == "other"


@pytest.mark.parametrize("framework", ["asgi", "fastapi", "flask"])
def test_the_endpoint_of_an_app_built_for_the_module(project: Project, framework: str) -> None:
    path = project(
        framework,
        """
        from pyrpc_core import Registry

        api = Registry()

        @api.rpc
        def only() -> int:
            return 1
        """,
    )
    loaded = load_app(load_config(path))
    assert [procedure.name for procedure in loaded.endpoint.registry] == ["only"]
    assert loaded.adapter.endpoints is not None
    assert list(loaded.adapter.endpoints(loaded.app)) == [loaded.endpoint]


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_of_several_endpoints_the_one_at_rpc_is_served(project: Project, framework: str) -> None:
    make_app = "FastAPI()" if framework == "fastapi" else "Flask(__name__)"
    source = f"""
        from fastapi import FastAPI
        from flask import Flask
        from pyrpc_core import Registry
        from pyrpc_{framework} import mount

        v1, v2 = Registry(), Registry()
        v1.rpc(name="one")(lambda: 1)
        v2.rpc(name="two")(lambda: 2)
        app = {make_app}
        mount(app, v2, "/v2/rpc")
        mount(app, v1, "{{path}}")
        """
    loaded = load_app(load_config(project(framework, source.replace("{path}", "/rpc"), attr="app")))
    assert (loaded.endpoint.path, [p.name for p in loaded.endpoint.registry]) == ("/rpc", ["one"])
    with pytest.raises(LoadError, match=r"serves pyRPC at /v1/rpc, /v2/rpc; set pyrpc.json's endpoint.path"):
        load_app(load_config(project(framework, source.replace("{path}", "/v1/rpc"), attr="app")))


def test_an_app_without_an_endpoint_is_a_load_error(project: Project) -> None:
    path = project("fastapi", "from fastapi import FastAPI\n\nbare = FastAPI()\n", attr="bare")
    with pytest.raises(LoadError, match="the fastapi app serves no pyRPC endpoint"):
        load_app(load_config(path))


def without_endpoints() -> PluginManager:
    """A plugin manager whose only adapter ("plain") does not report its endpoints."""

    class Plain:
        @hookimpl
        def pyrpc_adapters(self) -> list[Adapter]:
            return [Adapter(name="plain", interface="asgi", create_app=pyrpc_asgi.create_app)]

    manager = PluginManager()
    manager.register(Plain(), name="plain")
    return manager


def test_an_adapter_without_endpoints_gets_the_modules_registry(project: Project) -> None:
    path = project("asgi", "from pyrpc_core import Registry\n\napi = Registry()\napi.rpc(name='mine')(lambda: 1)\n")
    loaded = load_app(load_config(path).updated(framework="plain"), plugins=without_endpoints())
    assert [procedure.name for procedure in loaded.endpoint.registry] == ["mine"]


def test_an_adapter_without_endpoints_gets_the_registry_the_entrypoint_names(project: Project) -> None:
    """Bug: ``served_endpoint`` falls back to ``module_registry(module)``, not the registry of ``module:attr``.

    With two registries in the module that is the default registry: the app serves ``other``
    while the types would be made of another registry (the bug the endpoint fixes for the
    adapters that report their endpoints).
    """
    path = project("asgi", TWO_REGISTRIES["asgi"], attr="other")
    loaded = load_app(load_config(path).updated(framework="plain"), plugins=without_endpoints())
    assert [procedure.name for procedure in loaded.endpoint.registry] == ["elsewhere"]
