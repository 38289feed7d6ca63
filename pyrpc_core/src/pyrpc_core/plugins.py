"""The plugin manager, and the descriptors plugins return from ``pyrpc_adapters``/``pyrpc_emitters``.

Plugins come from the entry-point group ``pyrpc``. One broken plugin never takes the others
down: a plugin that fails to import, implements a hook wrongly, or claims a name another
plugin claims is left out and reported (``PluginManager.problems`` and a warning).
"""

from __future__ import annotations

import importlib.metadata
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pluggy

from . import hookspecs

if TYPE_CHECKING:
    from .registry import Registry

ENTRY_POINT_GROUP = "pyrpc"

hookimpl = pluggy.HookimplMarker("pyrpc")
"""Marks a plugin's hook implementations: ``@hookimpl def pyrpc_adapters(): ...``."""

# Where to get the adapters this project ships, for the "not installed" message.
KNOWN_DISTRIBUTIONS = {
    "asgi": "pyrpc-asgi",
    "fastapi": "pyrpc-fastapi",
    "flask": "pyrpc-flask",
    "typescript": "pyrpc-ts",
}


@dataclass(frozen=True)
class Adapter:
    """A framework adapter, as a plugin declares it.

    ``name`` is what pyrpc.json's ``framework`` says. ``interface`` tells the CLI which server
    runs the app (uvicorn for "asgi", a threaded WSGI server for "wsgi"). ``create_app``
    builds an app serving ``registry`` at ``path``. ``find_app``, when given, looks in the
    module pyrpc.json's ``entrypoint`` names for the user's own app (with pyRPC mounted) and
    returns it, or None to have ``create_app`` build one (see ``pyrpc_core.tooling.loading``).
    """

    name: str
    interface: Literal["asgi", "wsgi"]
    create_app: Callable[[Registry, str], Any]
    find_app: Callable[[ModuleType], Any | None] | None = None


@dataclass(frozen=True)
class Emitter:
    """A client emitter, as a plugin declares it.

    ``name`` is what ``--emitter`` says; ``language`` is informative. ``generate`` is a pure
    function from the introspection document to the files of the client, as
    ``{relative path: text}`` with plain ``/``-separated paths; the caller writes them
    (atomically, below the output folder). It must not raise on any valid document and must
    give the same text for the same document (``pyrpc_core.testing.EmitterHarness`` checks).
    """

    name: str
    language: str
    generate: Callable[[dict[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin, as ``pyrpc plugins`` lists it.

    ``name`` is the entry-point name (the plugin's name in the manager); ``distribution`` and
    ``version`` are those of the distribution that declared the entry point (None for a
    plugin registered by code); ``hooks`` are the hooks it implements; ``adapters`` and
    ``emitters`` the names it claims through ``pyrpc_adapters``/``pyrpc_emitters``.
    """

    name: str
    module: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    adapters: tuple[str, ...]
    emitters: tuple[str, ...]


class PluginWarning(UserWarning):
    """A plugin was left out; the message says which and why."""


class PluginError(LookupError):
    """An adapter or emitter was asked for by a name no working plugin provides."""


class PluginManager(pluggy.PluginManager):
    """pluggy's manager for project ``pyrpc``, with the hookspecs added and lookups by name."""

    def __init__(self) -> None:
        super().__init__("pyrpc")
        self.add_hookspecs(hookspecs)
        self.problems: list[str] = []
        self._sources: dict[str, importlib.metadata.EntryPoint] = {}
        self._claims: dict[str, dict[str, list[str]]] = {}
        self._clashes: dict[tuple[str, str], list[str]] = {}  # (hook, name): the plugins claiming it

    def load_entrypoints(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register every plugin of the entry-point group, leaving out (and reporting) broken ones."""
        for entry_point in sorted(importlib.metadata.entry_points(group=group), key=_entry_point_order):
            where = _describe_entry_point(entry_point)
            if entry_point.name in self._sources:
                if self._sources[entry_point.name].value != entry_point.value:  # not the same install seen twice
                    taken = _describe_entry_point(self._sources[entry_point.name])
                    self.report(f"plugin {where} was left out: the plugin name is taken by plugin {taken}")
                continue
            if self.has_plugin(entry_point.name):
                continue
            self._sources[entry_point.name] = entry_point
            try:
                plugin = entry_point.load()
            except Exception as exc:  # any error in third-party import code
                self.report(f"plugin {where} failed to import: {type(exc).__name__}: {exc}")
                continue
            self.register_checked(plugin, entry_point.name, where)

    def register_checked(self, plugin: object, name: str, where: str | None = None) -> bool:
        """Register ``plugin``; on a wrong or unknown hook, leave it out, report it, return False."""
        try:
            self.register(plugin, name=name)
            self.check_pending()
        except (pluggy.PluginValidationError, ValueError) as exc:  # ValueError: registered under another name
            if self.is_registered(plugin) and self.get_name(plugin) == name:
                self.unregister(plugin)
            reason = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            self.report(f"plugin {where or name} was left out: {reason}")
            return False
        return True

    def plugin_infos(self) -> list[PluginInfo]:
        """Every registered plugin with its distribution, hooks and claimed names, by name."""
        self.adapters()  # record who claims which name
        self.emitters()
        infos = []
        for name, plugin in sorted(self.list_name_plugin()):
            if plugin is None:  # blocked
                continue
            source = self._sources.get(name)
            dist = source.dist if source is not None else None
            hooks = sorted(caller.name for caller in self.get_hookcallers(plugin) or [])
            claims = {
                hook: sorted(self._claims.get(hook, {}).get(name, [])) for hook in ("pyrpc_adapters", "pyrpc_emitters")
            }
            infos.append(
                PluginInfo(
                    name=name,
                    module=source.value if source is not None else getattr(plugin, "__name__", type(plugin).__name__),
                    distribution=dist.name if dist is not None else None,
                    version=dist.version if dist is not None else None,
                    hooks=tuple(hooks),
                    adapters=tuple(claims["pyrpc_adapters"]),
                    emitters=tuple(claims["pyrpc_emitters"]),
                )
            )
        return infos

    def adapters(self) -> dict[str, Adapter]:
        """The installed adapters by name."""
        return self._collect("pyrpc_adapters", Adapter)

    def emitters(self) -> dict[str, Emitter]:
        """The installed emitters by name."""
        return self._collect("pyrpc_emitters", Emitter)

    def get_adapter(self, name: str) -> Adapter:
        """The adapter called ``name``, or a ``PluginError`` that says what to install."""
        return self._lookup(self.adapters(), name, "framework adapter", "pyrpc_adapters")

    def get_emitter(self, name: str) -> Emitter:
        """The emitter called ``name``, or a ``PluginError`` that says what to install."""
        return self._lookup(self.emitters(), name, "emitter", "pyrpc_emitters")

    def prepare_registry(self, registry: Registry) -> None:
        """Let plugins add their procedures to ``registry``, once per registry."""
        if registry.plugins_added:
            return
        registry.plugins_added = True
        self.hook.pyrpc_register_procedures(registry=registry)

    def _collect(self, hook_name: str, kind: type[_D]) -> dict[str, _D]:
        found: dict[str, _D] = {}
        owner: dict[str, str] = {}
        clashes: set[str] = set()
        claims: dict[str, list[str]] = {}
        self._claims[hook_name] = claims
        caller = getattr(self.hook, hook_name)
        for impl in caller.get_hookimpls():  # registration order
            try:
                descriptors = list(impl.function())
            except Exception as exc:
                self.report(
                    f"plugin {self.describe(impl.plugin_name)} failed in {hook_name}: {type(exc).__name__}: {exc}"
                )
                continue
            for descriptor in descriptors:
                if not isinstance(descriptor, kind):
                    self.report(
                        f"plugin {self.describe(impl.plugin_name)} returned {descriptor!r} from {hook_name}, "
                        f"not a pyrpc_core.{kind.__name__}"
                    )
                    continue
                claims.setdefault(impl.plugin_name, []).append(descriptor.name)
                if descriptor.name in found:
                    self.report(
                        f"{kind.__name__.lower()} name {descriptor.name!r} is claimed by both plugin "
                        f"{self.describe(owner[descriptor.name])} and plugin {self.describe(impl.plugin_name)}; "
                        "neither is used"
                    )
                    clashes.add(descriptor.name)
                else:
                    found[descriptor.name] = descriptor
                    owner[descriptor.name] = impl.plugin_name
        for name in clashes:
            self._clashes[hook_name, name] = [plugin for plugin, names in claims.items() if name in names]
        return {name: found[name] for name in sorted(found) if name not in clashes}

    def describe(self, name: str) -> str:
        """A plugin's name, with its distribution and version when it came from an entry point."""
        source = self._sources.get(name)
        return _describe_entry_point(source) if source is not None else name

    def report(self, problem: str) -> None:
        """Record and warn about a plugin left out (or part of one); each problem once."""
        if problem not in self.problems:
            self.problems.append(problem)
            warnings.warn(problem, PluginWarning, stacklevel=3)

    def _lookup(self, available: dict[str, _D], name: str, what: str, hook_name: str) -> _D:
        if name in available:
            return available[name]
        if (hook_name, name) in self._clashes:
            claimants = " and ".join(f"plugin {self.describe(plugin)}" for plugin in self._clashes[hook_name, name])
            raise PluginError(
                f"the {what} name {name!r} is claimed by {claimants}, so neither is used; uninstall one of them"
            )
        return _lookup(available, name, what)


_D = TypeVar("_D", Adapter, Emitter)


def _lookup(available: dict[str, _D], name: str, what: str) -> _D:
    if name in available:
        return available[name]
    hint = ""
    if name in KNOWN_DISTRIBUTIONS:
        hint = f"; install it with: pip install {KNOWN_DISTRIBUTIONS[name]}"
    installed = ", ".join(available) or "none"
    raise PluginError(f"no {what} named {name!r} is installed (installed: {installed}){hint}")


def _entry_point_order(entry_point: importlib.metadata.EntryPoint) -> tuple[str, str, str]:
    """By name; of two with one name, the first distribution by name is loaded (the other is reported)."""
    dist = entry_point.dist
    return entry_point.name, dist.name if dist is not None else "", entry_point.value


def _describe_entry_point(entry_point: importlib.metadata.EntryPoint) -> str:
    dist = entry_point.dist
    source = f" from {dist.name} {dist.version}" if dist is not None else ""
    return f"{entry_point.name!r} ({entry_point.value}{source})"


@cache
def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, with every installed plugin loaded."""
    manager = PluginManager()
    manager.load_entrypoints()
    return manager


def iter_hookspecs() -> Iterable[tuple[str, Callable[..., Any]]]:
    """Every hookspec function, by name (for documentation and its test)."""
    for name in sorted(vars(hookspecs)):
        if name.startswith("pyrpc_"):
            yield name, getattr(hookspecs, name)
