"""Plugins cost nothing until used, and what a plugin gets wrong is reported.

- Descriptor functions given as ``Lazy("module:attr")`` are imported on first call, so
  listing the adapters and emitters imports no framework and no template engine; the
  packages import their runtime on first use (PEP 562), and ``import pyrpc_core`` no pydantic.
  These run in a fresh interpreter of the development venv: this process has imported
  everything long ago.
- The descriptor hooks are called once, their results kept until a plugin is added or removed.
- An unmarked ``pyrpc_*`` function, a misspelled hook and two distributions using one
  entry-point name are reported, with what was probably meant.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from collections.abc import Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
from plugins.fakes import install_fake

import pyrpc_asgi
import pyrpc_core
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import Adapter, Emitter, Lazy, Registry, hookimpl
from pyrpc_core.plugins import PluginManager, PluginWarning, get_plugin_manager


def fresh_python(code: str) -> Any:
    """Run ``code`` in a new interpreter of this venv; it prints one JSON document, returned parsed."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def top_level(modules: list[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


# -- nothing imported before it is used ---------------------------------------------------------

NOT_FOR_AN_ASGI_APP = {"fastapi", "flask", "jinja2", "werkzeug", "starlette"}


def test_an_asgi_app_started_through_the_plugin_manager_imports_no_other_framework() -> None:
    found = fresh_python(
        """
        import asyncio, json, sys
        from pyrpc_core import Registry, get_plugin_manager

        manager = get_plugin_manager()
        adapters, emitters = sorted(manager.adapters()), sorted(manager.emitters())
        manager.plugin_infos()

        registry = Registry()

        @registry.rpc
        def add(a: int, b: int) -> int:
            return a + b

        app = manager.get_adapter("asgi").create_app(registry, "/rpc")
        sent = []
        messages = [{"type": "http.request", "body": b'{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}'}]

        async def receive():
            return messages.pop(0)

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/rpc", "headers": [(b"content-type", b"application/json")]}
        asyncio.run(app(scope, receive, send))
        print(json.dumps({
            "adapters": adapters,
            "emitters": emitters,
            "answer": sent[-1]["body"].decode(),
            "modules": sorted(sys.modules),
        }))
        """
    )
    assert {"asgi", "fastapi", "flask"} <= set(found["adapters"])
    assert "typescript" in found["emitters"]
    assert found["answer"] == '{"jsonrpc":"2.0","result":3,"id":1}'
    assert not top_level(found["modules"]) & NOT_FOR_AN_ASGI_APP, sorted(
        top_level(found["modules"]) & NOT_FOR_AN_ASGI_APP
    )


def test_import_pyrpc_core_imports_no_pydantic() -> None:
    found = fresh_python(
        """
        import json, sys
        import pyrpc_core
        from pyrpc_core import rpc, Registry, registry, Context, Headers, RpcError, RegistrationError

        registry_ = Registry()
        error = RpcError(4000, "x")
        print(json.dumps(sorted(sys.modules)))
        """
    )
    assert "pydantic" not in top_level(found)
    assert "pydantic_core" not in top_level(found)
    assert "pyrpc_core.procedure" not in found
    assert "pyrpc_core.endpoint" not in found


def test_the_adapter_packages_import_their_framework_on_first_use() -> None:
    found = fresh_python(
        """
        import json, sys
        import pyrpc_asgi, pyrpc_fastapi, pyrpc_flask
        import pyrpc_asgi.plugin, pyrpc_fastapi.plugin, pyrpc_flask.plugin
        before = sorted(sys.modules)
        pyrpc_fastapi.mount
        print(json.dumps({"before": before, "after": sorted(sys.modules)}))
        """
    )
    assert not top_level(found["before"]) & {"fastapi", "flask", "starlette", "werkzeug", "pydantic"}
    assert "pyrpc_asgi.app" not in found["before"]
    assert "fastapi" in top_level(found["after"])
    assert "flask" not in top_level(found["after"])


@pytest.mark.parametrize(
    ("package", "module"),
    [(pyrpc_asgi, "pyrpc_asgi.app"), (pyrpc_fastapi, "pyrpc_fastapi.route"), (pyrpc_flask, "pyrpc_flask.view")],
)
def test_each_public_name_of_an_adapter_package_is_its_modules(package: ModuleType, module: str) -> None:
    implementation = importlib.import_module(module)
    for name in package.__all__:
        assert getattr(package, name) is getattr(implementation, name), name
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        package.nothing_here  # noqa: B018


def test_each_public_name_of_pyrpc_core_resolves() -> None:
    for name in pyrpc_core.__all__:
        assert getattr(pyrpc_core, name) is not None, name
    assert pyrpc_core.Endpoint is importlib.import_module("pyrpc_core.endpoint").Endpoint
    assert pyrpc_core.CORS is importlib.import_module("pyrpc_core.endpoint").CORS
    assert pyrpc_core.Lazy is Lazy
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        pyrpc_core.nothing_here  # noqa: B018


# -- Lazy ---------------------------------------------------------------------------------------


@pytest.fixture
def module_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path for modules made by the test; forgotten afterwards."""
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith(("lazytarget_", "fakeplugin_"))]:
        del sys.modules[name]


def test_a_lazy_function_is_imported_when_first_called(module_folder: Path) -> None:
    (module_folder / "lazytarget_one.py").write_text(
        textwrap.dedent(
            """
            def create(registry, path):
                return ("app", path)

            class Holder:
                @staticmethod
                def make(value):
                    return value * 2
            """
        )
    )
    lazy = Lazy("lazytarget_one:create")
    nested = Lazy("lazytarget_one:Holder.make")
    assert repr(lazy) == "Lazy('lazytarget_one:create')"
    assert lazy.ref == "lazytarget_one:create"
    assert "lazytarget_one" not in sys.modules
    assert lazy(Registry(), "/rpc") == ("app", "/rpc")
    assert "lazytarget_one" in sys.modules
    assert lazy.target is sys.modules["lazytarget_one"].create
    assert nested(21) == 42


@pytest.mark.parametrize("ref", ["lazytarget_one", "lazytarget_one:", ":create", ""])
def test_a_lazy_reference_names_a_module_and_an_attribute(ref: str) -> None:
    with pytest.raises(ValueError, match="module:attribute"):
        Lazy(ref)


def test_a_lazy_descriptor_is_listed_without_importing_anything(module_folder: Path) -> None:
    (module_folder / "lazytarget_adapter.py").write_text(
        "def create_app(registry, path, **options):\n    return ('built', path)\n"
    )

    class Plugin:
        @hookimpl
        def pyrpc_adapters(self) -> list[Adapter]:
            return [
                Adapter(name="lazy", interface="asgi", create_app=Lazy("lazytarget_adapter:create_app")),
                Adapter(name="missing", interface="asgi", create_app=Lazy("lazytarget_missing:create_app")),
            ]

    manager = PluginManager()
    manager.register(Plugin())
    assert sorted(manager.adapters()) == ["lazy", "missing"]
    assert [info.adapters for info in manager.plugin_infos()] == [("lazy", "missing")]
    assert "lazytarget_adapter" not in sys.modules
    assert manager.get_adapter("lazy").create_app(Registry(), "/x") == ("built", "/x")
    with pytest.raises(ModuleNotFoundError):  # a wrong reference shows when it is used
        manager.get_adapter("missing").create_app(Registry(), "/x")


def test_the_built_in_descriptors_are_lazy() -> None:
    manager = get_plugin_manager()
    for name in ("asgi", "fastapi", "flask"):
        adapter = manager.get_adapter(name)
        for function in (adapter.create_app, adapter.find_app, adapter.endpoints):
            assert isinstance(function, Lazy), (name, function)
    typescript = manager.get_emitter("typescript")
    assert isinstance(typescript.generate, Lazy)
    assert isinstance(typescript.link, Lazy)


# -- the descriptor hooks are called once -------------------------------------------------------


class Counting:
    """An adapter and an emitter plugin that counts how often its hooks are called."""

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix
        self.adapter_calls = 0
        self.emitter_calls = 0

    @hookimpl
    def pyrpc_adapters(self) -> list[Adapter]:
        self.adapter_calls += 1
        return [Adapter(name=f"counted{self.suffix}", interface="asgi", create_app=Lazy("lazytarget_none:create"))]

    @hookimpl
    def pyrpc_emitters(self) -> list[Emitter]:
        self.emitter_calls += 1
        return [Emitter(name=f"counted{self.suffix}", language="text", generate=Lazy("lazytarget_none:generate"))]


def test_the_descriptor_hooks_are_called_once_until_the_plugins_change() -> None:
    counting = Counting()
    manager = PluginManager()
    manager.register(counting, name="counting")
    manager.adapters()
    manager.adapters()
    manager.get_adapter("counted")
    manager.plugin_infos()
    assert counting.adapter_calls == 1
    assert counting.emitter_calls == 1  # plugin_infos lists the emitters too
    manager.emitters()
    manager.get_emitter("counted")
    assert counting.emitter_calls == 1

    other = Counting("-2")
    manager.register(other, name="other")
    assert sorted(manager.adapters()) == ["counted", "counted-2"]
    assert (counting.adapter_calls, other.adapter_calls) == (2, 1)
    manager.adapters()
    assert counting.adapter_calls == 2

    manager.unregister(other)
    assert sorted(manager.adapters()) == ["counted"]
    assert counting.adapter_calls == 3
    assert sorted(manager.emitters()) == ["counted"]
    assert counting.emitter_calls == 2  # the emitters were not asked for while "other" was there


def test_the_cached_results_are_copies() -> None:
    manager = PluginManager()
    manager.register(Counting(), name="counting")
    manager.adapters().clear()
    assert list(manager.adapters()) == ["counted"]


def test_each_plugin_is_called_alone_through_pluggy() -> None:
    """One plugin raising leaves the others' descriptors; a wrapper around the hook sees each call."""
    seen: list[str] = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def pyrpc_adapters(self) -> Generator[None, Any, Any]:
            result = yield
            seen.extend(adapter.name for adapters in result for adapter in adapters)
            return result

    class Broken:
        @hookimpl
        def pyrpc_adapters(self) -> list[Adapter]:
            raise RuntimeError("cannot list")

    manager = PluginManager()
    manager.register(Counting(), name="counting")
    manager.register(Broken(), name="broken")
    manager.register(Counting("-2"), name="other")
    manager.register(Wrapper(), name="wrapper")
    with pytest.warns(PluginWarning, match="plugin broken failed in pyrpc_adapters: RuntimeError: cannot list"):
        assert sorted(manager.adapters()) == ["counted", "counted-2"]
    assert sorted(seen) == ["counted", "counted-2"]  # the wrapper ran around each plugin's call


def test_cli_commands_come_from_each_plugin_and_a_wrong_one_is_reported() -> None:
    @click.command(name="hello")
    def hello() -> None:
        """Say hello."""

    class Commands:
        @hookimpl
        def pyrpc_cli_commands(self) -> list[Any]:
            return [hello, "not a command"]

    manager = PluginManager()
    manager.register(Commands(), name="commands")
    with pytest.warns(PluginWarning, match="plugin commands returned 'not a command' from pyrpc_cli_commands"):
        assert manager.cli_commands() == [hello]


# -- what plugins get wrong ---------------------------------------------------------------------


def test_an_unmarked_hook_function_is_reported_with_what_was_meant() -> None:
    class Unmarked:
        def pyrpc_adapters(self) -> list[Adapter]:  # forgot @hookimpl
            return [Adapter(name="never", interface="asgi", create_app=Lazy("lazytarget_none:create"))]

        def pyrpc_emiters(self) -> list[Emitter]:  # forgot @hookimpl, and misspelled
            return []

        @hookimpl
        def pyrpc_cli_commands(self) -> list[Any]:
            return []

    manager = PluginManager()
    with pytest.warns(PluginWarning) as warned:
        assert manager.register_checked(Unmarked(), "unmarked")  # the marked hook still counts
    messages = [str(warning.message) for warning in warned]
    assert "plugin unmarked: pyrpc_adapters is not marked with @pyrpc_core.hookimpl, so it is ignored" in messages
    assert (
        "plugin unmarked: pyrpc_emiters is not marked with @pyrpc_core.hookimpl, so it is ignored "
        "(did you mean pyrpc_emitters?)"
    ) in messages
    assert manager.problems == messages
    assert manager.adapters() == {}
    assert manager.has_plugin("unmarked")


def test_a_module_plugin_is_not_blamed_for_functions_it_imports(module_folder: Path) -> None:
    (module_folder / "lazytarget_helpers.py").write_text("def pyrpc_helper():\n    return 1\n")
    (module_folder / "lazytarget_plugin.py").write_text(
        textwrap.dedent(
            """
            from lazytarget_helpers import pyrpc_helper
            from pyrpc_core import hookimpl

            @hookimpl
            def pyrpc_cli_commands():
                return []

            def pyrpc_register_procedure(registry):
                pass
            """
        )
    )
    plugin = importlib.import_module("lazytarget_plugin")
    manager = PluginManager()
    with pytest.warns(PluginWarning) as warned:
        assert manager.register_checked(plugin, "modular")
    assert [str(warning.message) for warning in warned] == [
        "plugin modular: pyrpc_register_procedure is not marked with @pyrpc_core.hookimpl, so it is ignored "
        "(did you mean pyrpc_register_procedures?)"
    ]


def test_a_misspelled_hook_is_left_out_with_what_was_meant() -> None:
    class Typo:
        @hookimpl
        def pyrpc_adaptor(self) -> list[Adapter]:
            return []

    manager = PluginManager()
    with pytest.warns(
        PluginWarning, match=r"plugin typo was left out: .*pyrpc_adaptor.*\(did you mean pyrpc_adapters\?\)"
    ):
        assert not manager.register_checked(Typo(), "typo")
    assert not manager.has_plugin("typo")
    assert len(manager.problems) == 1
    # The manager goes on working, and a later plugin is checked on its own.
    assert manager.register_checked(Counting(), "counting")
    assert list(manager.adapters()) == ["counted"]


def test_a_hook_name_far_from_any_gets_no_guess() -> None:
    class Unknown:
        @hookimpl
        def pyrpc_zzzzzz(self) -> None:
            pass

    manager = PluginManager()
    with pytest.warns(PluginWarning, match="pyrpc_zzzzzz") as warned:
        assert not manager.register_checked(Unknown(), "unknown")
    assert "did you mean" not in str(warned[0].message)


@pytest.fixture
def site(module_folder: Path) -> Path:
    """Where fake installed distributions go (``tests/plugins/fakes.py``)."""
    return module_folder


def emitter_plugin(name: str) -> str:
    return f"""
        from pyrpc_core import Emitter, hookimpl

        @hookimpl
        def pyrpc_emitters():
            return [Emitter(name="{name}", language="text", generate=lambda schema: {{"out.txt": "{name}"}})]
        """


def test_two_distributions_with_one_entry_point_name_both_load_and_are_reported(site: Path) -> None:
    install_fake(site, "fakeplugin_clash_a", emitter_plugin("from-a"), dist="fakeplugin-a", entry_name="clash")
    install_fake(site, "fakeplugin_clash_b", emitter_plugin("from-b"), dist="fakeplugin-b", entry_name="clash")
    importlib.invalidate_caches()
    manager = PluginManager()
    with pytest.warns(PluginWarning, match="plugin name 'clash' is used by both"):
        manager.load_entrypoints()
    [problem] = [problem for problem in manager.problems if "'clash'" in problem]
    assert "fakeplugin_clash_a from fakeplugin-a 1.0" in problem
    assert "fakeplugin_clash_b from fakeplugin-b 1.0" in problem
    assert "the second as 'clash@fakeplugin-b'" in problem
    assert manager.has_plugin("clash")
    assert manager.has_plugin("clash@fakeplugin-b")
    assert manager.get_emitter("from-a").generate({}) == {"out.txt": "from-a"}
    assert manager.get_emitter("from-b").generate({}) == {"out.txt": "from-b"}
    infos = {info.name: info for info in manager.plugin_infos()}
    assert (infos["clash"].distribution, infos["clash"].emitters) == ("fakeplugin-a", ("from-a",))
    assert (infos["clash@fakeplugin-b"].distribution, infos["clash@fakeplugin-b"].emitters) == (
        "fakeplugin-b",
        ("from-b",),
    )
    assert manager.has_plugin("asgi")  # the real ones load as before


def test_one_distribution_seen_twice_on_sys_path_loads_once_and_is_not_reported(site: Path, tmp_path: Path) -> None:
    install_fake(site, "fakeplugin_twice", emitter_plugin("twice"), dist="fakeplugin-twice")
    second = tmp_path / "second"
    second.mkdir()
    install_fake(second, "fakeplugin_twice", emitter_plugin("twice"), dist="fakeplugin-twice")
    sys.path.insert(1, str(second))
    try:
        importlib.invalidate_caches()
        manager = PluginManager()
        manager.load_entrypoints()
    finally:
        sys.path.remove(str(second))
    assert not [problem for problem in manager.problems if "fakeplugin" in problem]
    assert [info.name for info in manager.plugin_infos() if "twice" in info.name] == ["fakeplugin_twice"]
    assert manager.get_emitter("twice").generate({}) == {"out.txt": "twice"}
