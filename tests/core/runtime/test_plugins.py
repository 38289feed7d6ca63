"""The plugin manager: hookspecs documented, entry points loaded, broken plugins isolated."""

from __future__ import annotations

import inspect
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import Adapter, Dispatcher, Emitter, Endpoint, PluginError, Registry, hookimpl
from pyrpc_core.plugins import PluginManager, PluginWarning, get_plugin_manager, iter_hookspecs


def test_every_hook_is_documented() -> None:
    hooks = dict(iter_hookspecs())
    assert set(hooks) == {
        "pyrpc_register_procedures",
        "pyrpc_amend_schema",
        "pyrpc_adapters",
        "pyrpc_emitters",
        "pyrpc_cli_commands",
        "pyrpc_call",
    }
    for name, function in hooks.items():
        doc = inspect.getdoc(function) or ""
        assert "Called" in doc, f"{name} does not say when it is called"
        assert "Return" in doc, f"{name} does not say what it returns"


def test_installed_asgi_adapter_comes_through_the_entry_point() -> None:
    adapter = get_plugin_manager().get_adapter("asgi")
    assert adapter.interface == "asgi"
    app = adapter.create_app(Registry(), "/api")
    assert app.path == "/api"


def test_unknown_adapter_names_what_to_install() -> None:
    manager = PluginManager()
    with pytest.raises(PluginError, match=r"no framework adapter named 'flask' .*pip install pyrpc-flask"):
        manager.get_adapter("flask")
    with pytest.raises(PluginError, match=r"no emitter named 'cobol' is installed \(installed: none\)$"):
        manager.get_emitter("cobol")


def test_plugins_can_register_procedures_once_per_registry() -> None:
    class Health:
        @hookimpl
        def pyrpc_register_procedures(self, registry: Registry) -> None:
            registry.rpc(name="health.ping")(lambda: "pong")

    manager = PluginManager()
    manager.register(Health())
    registry = Registry()
    Dispatcher(registry)  # the dispatcher alone is pure JSON-RPC: the endpoint brings the plugins
    assert list(registry) == []
    Endpoint(registry, plugins=manager)
    Endpoint(registry, plugins=manager)  # a second app for the same registry adds nothing twice
    assert [p.name for p in registry] == ["health.ping"]
    endpoint = Endpoint(registry, plugins=manager)
    assert endpoint.dispatcher.dispatch_sync(b'{"jsonrpc":"2.0","method":"health.ping","id":1}') == (
        b'{"jsonrpc":"2.0","result":"pong","id":1}'
    )
    assert "health.ping" in endpoint.schema()["procedures"]


def test_clashing_names_are_reported_naming_both_plugins_and_neither_is_used() -> None:
    def make(language: str) -> object:
        class Plugin:
            @hookimpl
            def pyrpc_emitters(self) -> list[Emitter]:
                return [
                    Emitter(name="same", language=language, generate=lambda schema: {}),
                    Emitter(name=f"only-{language}", language=language, generate=lambda schema: {}),
                ]

        return Plugin()

    manager = PluginManager()
    manager.register(make("a"), name="plugin-a")
    manager.register(make("b"), name="plugin-b")
    with pytest.warns(PluginWarning, match="claimed by both plugin plugin-a and plugin plugin-b"):
        emitters = manager.emitters()
    assert sorted(emitters) == ["only-a", "only-b"]


def test_a_hook_with_a_wrong_signature_is_left_out_and_the_rest_works() -> None:
    class Wrong:
        @hookimpl
        def pyrpc_adapters(self, unexpected_argument: int) -> list[Adapter]:
            return []

    class Right:
        @hookimpl
        def pyrpc_adapters(self) -> list[Adapter]:
            return [Adapter(name="right", interface="asgi", create_app=lambda registry, path: None)]

    manager = PluginManager()
    with pytest.warns(PluginWarning, match="wrong"):
        assert not manager.register_checked(Wrong(), "wrong")
    assert manager.register_checked(Right(), "right")
    assert list(manager.adapters()) == ["right"]


def test_a_misspelled_hook_fails_loudly() -> None:
    class Typo:
        @hookimpl
        def pyrpc_adaptors(self) -> list[Adapter]:
            return []

    manager = PluginManager()
    with pytest.warns(PluginWarning, match="pyrpc_adaptors"):
        assert not manager.register_checked(Typo(), "typo")
    assert manager.problems
    assert "typo" in manager.problems[0]


def test_a_descriptor_of_the_wrong_type_is_reported() -> None:
    class Sloppy:
        @hookimpl
        def pyrpc_adapters(self) -> list[Any]:
            return [{"name": "dict-adapter"}]

    manager = PluginManager()
    manager.register(Sloppy(), name="sloppy")
    with pytest.warns(PluginWarning, match="not a pyrpc_core.Adapter"):
        assert manager.adapters() == {}


@pytest.fixture
def fake_distributions(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path where tests lay out installed distributions with entry points."""
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("fakeplugin_")]:
        del sys.modules[name]


def install(root: Path, name: str, module_source: str) -> None:
    (root / f"{name}.py").write_text(textwrap.dedent(module_source))
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[pyrpc]\n{name} = {name}\n")


def test_entry_points_load_and_a_broken_one_is_isolated(fake_distributions: Path) -> None:
    install(
        fake_distributions,
        "fakeplugin_good",
        """
        from pyrpc_core import Emitter, hookimpl

        @hookimpl
        def pyrpc_emitters():
            return [Emitter(name="upper", language="text", generate=lambda schema: {"out.txt": "X"})]
        """,
    )
    install(fake_distributions, "fakeplugin_broken", "raise ImportError('missing dependency: libfoo')\n")
    manager = PluginManager()
    with pytest.warns(PluginWarning, match="fakeplugin_broken.*failed to import.*libfoo"):
        manager.load_entrypoints()
    assert manager.get_emitter("upper").generate({}) == {"out.txt": "X"}
    assert any("fakeplugin_broken 1.0" in problem for problem in manager.problems)
    assert manager.has_plugin("asgi")  # the real ones still load
