"""The plugin manager, and the descriptors plugins return from ``pyrpc_adapters``/``pyrpc_emitters``.

Plugins come from the entry-point group ``pyrpc``. A plugin's module should import little:
descriptors may name their code lazily, as ``Lazy("module:attribute")``, imported on first
use, so a FastAPI server never imports Flask or jinja2 just because they are installed.

Every hook is called through pluggy (its wrappers, ordering and tracing apply), and the
descriptor hooks are called once, their results kept until a plugin is added or removed.
One broken plugin never takes the others down: a plugin that fails to import, implements a
hook wrongly, defines an unmarked or misspelled ``pyrpc_*`` function, or claims a name
another plugin claims is reported (``PluginManager.problems`` and a warning), and the rest works.
"""

from __future__ import annotations

import contextvars
import difflib
import importlib
import importlib.metadata
import inspect
import warnings
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import pluggy

from . import hookspecs
from .errors import exits_as_errors

if TYPE_CHECKING:
    import click
    from pydantic import BaseModel

    from .context import Context
    from .endpoint import Endpoint
    from .procedure import Procedure
    from .registry import Registry

ENTRY_POINT_GROUP = "pyrpc"

hookimpl = pluggy.HookimplMarker("pyrpc")
"""Marks a plugin's hook implementations: ``@hookimpl def pyrpc_adapters(): ...``."""

# Where to get the plugins this project ships, for the "not installed" message.
KNOWN_DISTRIBUTIONS = {
    "asgi": "pyrpc-asgi",
    "fastapi": "pyrpc-fastapi",
    "flask": "pyrpc-flask",
    "django": "pyrpc-django",
    "typescript": '"pyrpc-core[dev]"',
}


class Lazy:
    """A function named ``"module:attribute"``, imported when it is first called.

    Give these to ``Adapter`` and ``Emitter`` in place of the functions, so that listing the
    installed adapters and emitters imports no framework and no template engine.
    """

    __slots__ = ("_target", "ref")

    def __init__(self, ref: str) -> None:
        module, _, attr = ref.partition(":")
        if not module or not attr:
            raise ValueError(f"expected 'module:attribute', got {ref!r}")
        self.ref = ref
        self._target: Any = None

    @property
    def target(self) -> Any:
        """The function itself (imported now if it was not yet)."""
        if self._target is None:
            module, _, attr = self.ref.partition(":")
            target: Any = importlib.import_module(module)
            for part in attr.split("."):
                target = getattr(target, part)
            self._target = target
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.target(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Lazy({self.ref!r})"


@dataclass(frozen=True)
class Adapter:
    """A framework adapter, as a plugin declares it. Its functions may be ``Lazy``.

    - ``name``: what pyrpc.json's ``framework`` says;
    - ``interface``: which server runs its apps (uvicorn for "asgi", waitress for "wsgi");
    - ``create_app(registry, path, **options)``: an app serving ``registry`` at ``path``, with
      the endpoint options of ``pyrpc_core.endpoint.Options`` (pyrpc.json's ``endpoint``);
    - ``find_app(module)``: the user's own app in the entrypoint module (with pyRPC mounted,
      or mounted now), or None to have ``create_app`` build one (see ``tooling.loading``);
    - ``endpoints(app)``: the pyRPC ``Endpoint`` objects a loaded app serves, so that the
      tooling serves, reloads and generates types for exactly what the app holds.
    """

    name: str
    interface: Literal["asgi", "wsgi"]
    create_app: Callable[..., Any]
    find_app: Callable[[ModuleType], Any | None] | None = None
    endpoints: Callable[[Any], Iterable[Endpoint]] | None = None


@dataclass(frozen=True)
class Emitter:
    """A client emitter, as a plugin declares it. Its functions may be ``Lazy``.

    - ``name``: what ``--emitter`` and pyrpc.json's ``emitter`` say; ``language`` is informative;
    - ``generate(schema, **options)``: a pure function from the introspection document to the
      files of the client, ``{relative path: text}`` with ``/``-separated paths; the caller
      writes them (atomically, below the output folder). It must not raise on any valid
      document and must give the same text for the same document (``EmitterHarness`` checks);
    - ``options``: a pydantic model of the options it takes (pyrpc.json's
      ``emitter_options``), checked before ``generate`` is called, its fields passed to
      ``generate`` as keyword arguments; it may be ``Lazy`` (see ``options_model``); None:
      it takes none;
    - ``default_out``: where its files go by default, relative to pyrpc.json's
      ``client_root`` (None: the user must say, with ``--out``);
    - ``link(client_root, out)``: run after the files are written, to make the client project
      see them (the TypeScript emitter declares the package in package.json); returns lines
      to tell the user.
    """

    name: str
    language: str
    generate: Callable[..., dict[str, str]]
    options: type[BaseModel] | Lazy | None = None
    default_out: str | None = None
    link: Callable[..., list[str]] | None = None

    def options_model(self) -> type[BaseModel] | None:
        """The model of ``options``, imported now when it was given as ``Lazy``."""
        options = self.options
        return options.target if isinstance(options, Lazy) else options


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin, as ``pyrpc plugins`` lists it.

    ``name`` is its name in the manager (the entry-point name); ``distribution`` and
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
    """A plugin was left out (or part of one); the message says which and why."""


class PluginError(LookupError):
    """An adapter or emitter was asked for by a name no working plugin provides."""


_D = TypeVar("_D", Adapter, Emitter)


@dataclass
class _Claims(Generic[_D]):
    """What one descriptor hook gave: the usable descriptors by name, and who claimed what."""

    found: dict[str, _D] = field(default_factory=dict)
    by_plugin: dict[str, list[str]] = field(default_factory=dict)
    clashes: dict[str, list[str]] = field(default_factory=dict)


class _CoreCall:
    """pyRPC's own ``pyrpc_call``: the innermost implementation, which runs the procedure."""

    @hookimpl(trylast=True)
    def pyrpc_call(self, call: Callable[[], Any]) -> Any:
        return call()


CORE_CALL = "pyrpc.call"
"""The manager's name for ``_CoreCall``; it is not a plugin and ``pyrpc plugins`` does not list it."""


class CallHook:
    """The ``pyrpc_call`` hook as the dispatcher runs it: ``hook(procedure, params, context, call)``.

    A sync procedure's call goes through pluggy as any hook does. pluggy cannot await, so for
    an async procedure ``run_async`` runs the wrappers as pluggy would (its order, the
    generator protocol of ``wrapper=True``) around the awaited coroutine, on the event loop,
    in one context that the coroutine shares: a span a wrapper makes current is current
    inside. When an implementation is anything but a ``wrapper=True`` generator (an old-style
    ``hookwrapper``, or a plain implementation replacing the call), ``run_async`` is None and
    the dispatcher runs the hook through pluggy in a worker thread that waits for the coroutine.
    """

    def __init__(self, caller: pluggy.HookCaller) -> None:
        self._caller = caller
        impls = [impl for impl in caller.get_hookimpls() if impl.plugin_name != CORE_CALL]
        if not all(impl.wrapper for impl in impls):
            self.run_async = None  # type: ignore[assignment]
        self._wrappers = impls[::-1]  # outermost first, as pluggy calls them

    def __call__(
        self, procedure: Procedure, params: Mapping[str, Any], context: Context, call: Callable[[], Any]
    ) -> Any:
        return self._caller(procedure=procedure, params=params, context=context, call=call)

    async def run_async(
        self, procedure: Procedure, params: Mapping[str, Any], context: Context, run: Callable[[], Awaitable[Any]]
    ) -> Any:
        """Await ``run()`` (the procedure's coroutine) inside the wrappers."""
        import asyncio  # here: listing plugins (every pyrpc command) needs no event loop

        arguments = {"procedure": procedure, "params": params, "context": context, "call": _not_for_wrappers}
        variables = contextvars.copy_context()
        teardowns: list[Generator[None, Any, Any]] = []
        result: Any = None
        failure: BaseException | None = None
        try:
            for impl in self._wrappers:
                function: Callable[..., Generator[None, Any, Any]] = impl.function  # type: ignore[assignment]
                wrapper = variables.run(function, *(arguments[name] for name in impl.argnames))
                variables.run(next, wrapper)
                teardowns.append(wrapper)
            result = await asyncio.create_task(exits_as_errors(run()), context=variables)
        except BaseException as exc:  # handed to the wrappers, as pluggy would
            failure = exc
        for wrapper in reversed(teardowns):
            try:
                if failure is None:
                    variables.run(wrapper.send, result)
                else:
                    variables.run(wrapper.throw, failure)
                raise RuntimeError(f"a pyrpc_call wrapper yielded twice: {wrapper!r}")
            except StopIteration as stop:
                result, failure = stop.value, None
            except BaseException as exc:
                failure = exc
        if failure is not None:
            raise failure
        return result


def _not_for_wrappers() -> Any:
    raise TypeError(
        "pyrpc_call's call runs the procedure: pyRPC's own implementation calls it, wrappers leave it alone"
    )


class PluginManager(pluggy.PluginManager):
    """pluggy's manager for project ``pyrpc``, with the hookspecs added and lookups by name."""

    def __init__(self) -> None:
        super().__init__("pyrpc")
        self.add_hookspecs(hookspecs)
        self.problems: list[str] = []
        self._sources: dict[str, importlib.metadata.EntryPoint] = {}
        self._claims: dict[str, _Claims[Any]] = {}
        self.register(_CoreCall(), name=CORE_CALL)

    # -- registering -------------------------------------------------------------------------

    def load_entrypoints(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register every plugin of the entry-point group, reporting broken ones and name clashes.

        Two distributions using one entry-point name are both loaded (the second under
        ``name@distribution``) and reported: a name is a label, and an impostor must not
        knock out a real plugin.
        """
        seen: dict[str, importlib.metadata.EntryPoint] = {}
        for entry_point in sorted(importlib.metadata.entry_points(group=group), key=_entry_point_order):
            name = entry_point.name
            first = seen.get(name)
            if first is not None:
                if first.value == entry_point.value:  # the same install seen twice on sys.path
                    continue
                dist = entry_point.dist
                name = f"{name}@{dist.name if dist is not None else entry_point.value}"
                self.report(
                    f"plugin name {entry_point.name!r} is used by both plugin {_describe_entry_point(first)} "
                    f"and plugin {_describe_entry_point(entry_point)}; both are loaded, the second as {name!r}"
                )
            else:
                seen[name] = entry_point
            if self.has_plugin(name):
                continue
            self._sources[name] = entry_point
            try:
                plugin = entry_point.load()
            except Exception as exc:  # any error in third-party import code
                where = _describe_entry_point(entry_point)
                self.report(f"plugin {where} failed to import: {type(exc).__name__}: {exc}")
                continue
            self.register_checked(plugin, name, _describe_entry_point(entry_point))

    def register_checked(self, plugin: object, name: str, where: str | None = None) -> bool:
        """Register ``plugin``; on a wrong or unknown hook, leave it out, report it, return False.

        ``pyrpc_*`` functions that are not marked ``@hookimpl`` are reported too (pluggy would
        silently ignore them), with the hook they were probably meant to be.
        """
        where = where or name
        for attribute, meant in _unmarked_hooks(plugin, self):
            hint = f" (did you mean {meant}?)" if meant and meant != attribute else ""
            self.report(f"plugin {where}: {attribute} is not marked with @pyrpc_core.hookimpl, so it is ignored{hint}")
        try:
            self.register(plugin, name=name)
            self.check_pending()
        except (pluggy.PluginValidationError, ValueError) as exc:  # ValueError: registered under another name
            if self.is_registered(plugin) and self.get_name(plugin) == name:
                self.unregister(plugin)
            reason = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            unknown = getattr(exc, "plugin", None) is plugin and _unknown_hook(reason)
            if unknown:
                meant = _closest_hook(unknown)
                reason += f" (did you mean {meant}?)" if meant else ""
            self.report(f"plugin {where} was left out: {reason}")
            return False
        return True

    def register(self, plugin: object, name: str | None = None) -> str | None:
        self._claims.clear()  # the descriptors change with the plugins
        return super().register(plugin, name)

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        self._claims.clear()
        return super().unregister(plugin, name)

    # -- the descriptor hooks ----------------------------------------------------------------

    def adapters(self) -> dict[str, Adapter]:
        """The installed adapters by name."""
        return dict(self._collect("pyrpc_adapters", Adapter).found)

    def emitters(self) -> dict[str, Emitter]:
        """The installed emitters by name."""
        return dict(self._collect("pyrpc_emitters", Emitter).found)

    def get_adapter(self, name: str) -> Adapter:
        """The adapter called ``name``, or a ``PluginError`` that says what to install."""
        return self._lookup(self._collect("pyrpc_adapters", Adapter), name, "framework adapter")

    def get_emitter(self, name: str) -> Emitter:
        """The emitter called ``name``, or a ``PluginError`` that says what to install."""
        return self._lookup(self._collect("pyrpc_emitters", Emitter), name, "emitter")

    def cli_commands(self) -> list[click.Command]:
        """The plugins' extra ``pyrpc`` commands (``pyrpc_cli_commands``), each plugin's in turn."""
        import click

        commands: list[click.Command] = []
        for plugin_name, results in self._call_each("pyrpc_cli_commands"):
            for command in results:
                if isinstance(command, click.Command):
                    commands.append(command)
                else:
                    self.report(
                        f"plugin {self.describe(plugin_name)} returned {command!r} from pyrpc_cli_commands, "
                        "not a click.Command"
                    )
        return commands

    def prepare_registry(self, registry: Registry) -> None:
        """Let plugins add their procedures to ``registry`` (``pyrpc_register_procedures``), once per registry."""
        if registry.plugins_added:
            return
        registry.plugins_added = True
        self.hook.pyrpc_register_procedures(registry=registry)

    def call_wrapper(self) -> CallHook | None:
        """The ``pyrpc_call`` hook, or None when no plugin implements it (calls then pay nothing)."""
        caller = self.hook.pyrpc_call
        if all(impl.plugin_name == CORE_CALL for impl in caller.get_hookimpls()):
            return None
        return CallHook(caller)

    def plugin_infos(self) -> list[PluginInfo]:
        """Every registered plugin with its distribution, hooks and claimed names, by name."""
        adapters = self._collect("pyrpc_adapters", Adapter).by_plugin
        emitters = self._collect("pyrpc_emitters", Emitter).by_plugin
        infos = []
        for name, plugin in sorted(self.list_name_plugin()):
            if plugin is None or name == CORE_CALL:  # blocked, or pyRPC's own
                continue
            source = self._sources.get(name)
            dist = source.dist if source is not None else None
            hooks = sorted(caller.name for caller in self.get_hookcallers(plugin) or [])
            infos.append(
                PluginInfo(
                    name=name,
                    module=source.value if source is not None else getattr(plugin, "__name__", type(plugin).__name__),
                    distribution=dist.name if dist is not None else None,
                    version=dist.version if dist is not None else None,
                    hooks=tuple(hooks),
                    adapters=tuple(sorted(adapters.get(name, []))),
                    emitters=tuple(sorted(emitters.get(name, []))),
                )
            )
        return infos

    def describe(self, name: str) -> str:
        """A plugin's name, with its module, distribution and version when it came from an entry point."""
        source = self._sources.get(name)
        return _describe_entry_point(source) if source is not None else name

    def report(self, problem: str) -> None:
        """Record and warn about a plugin left out (or part of one); each problem once."""
        if problem not in self.problems:
            self.problems.append(problem)
            warnings.warn(problem, PluginWarning, stacklevel=3)

    # -- inside ------------------------------------------------------------------------------

    def _call_each(self, hook_name: str) -> list[tuple[str, list[Any]]]:
        """Call ``hook_name`` through pluggy for each implementing plugin alone, in registration order.

        One at a time so that a plugin that raises is reported and the others still count,
        and so that each result is known to come from its plugin (for clash messages).
        Wrappers of other plugins stay in each call, as pluggy would run them.
        """
        impls = [impl for impl in getattr(self.hook, hook_name).get_hookimpls() if not _is_wrapper(impl)]
        results: list[tuple[str, list[Any]]] = []
        for impl in impls:
            others = [other.plugin for other in impls if other is not impl]
            caller = self.subset_hook_caller(hook_name, remove_plugins=others)
            try:
                results.append((impl.plugin_name, [item for result in caller() for item in result]))
            except Exception as exc:
                self.report(
                    f"plugin {self.describe(impl.plugin_name)} failed in {hook_name}: {type(exc).__name__}: {exc}"
                )
        return results

    def _collect(self, hook_name: str, kind: type[_D]) -> _Claims[_D]:
        claims = self._claims.get(hook_name)
        if claims is not None:
            return claims
        claims = _Claims()
        owner: dict[str, str] = {}
        for plugin_name, descriptors in self._call_each(hook_name):
            for descriptor in descriptors:
                if not isinstance(descriptor, kind):
                    self.report(
                        f"plugin {self.describe(plugin_name)} returned {descriptor!r} from {hook_name}, "
                        f"not a pyrpc_core.{kind.__name__}"
                    )
                    continue
                claims.by_plugin.setdefault(plugin_name, []).append(descriptor.name)
                if descriptor.name in owner:
                    claims.clashes.setdefault(descriptor.name, [owner[descriptor.name]]).append(plugin_name)
                    self.report(
                        f"{kind.__name__.lower()} name {descriptor.name!r} is claimed by both plugin "
                        f"{self.describe(owner[descriptor.name])} and plugin {self.describe(plugin_name)}; "
                        "neither is used"
                    )
                else:
                    claims.found[descriptor.name] = descriptor
                    owner[descriptor.name] = plugin_name
        for name in claims.clashes:
            del claims.found[name]
        claims.found = dict(sorted(claims.found.items()))
        self._claims[hook_name] = claims
        return claims

    def _lookup(self, claims: _Claims[_D], name: str, what: str) -> _D:
        if name in claims.found:
            return claims.found[name]
        if name in claims.clashes:
            claimants = " and ".join(f"plugin {self.describe(plugin)}" for plugin in claims.clashes[name])
            raise PluginError(
                f"the {what} name {name!r} is claimed by {claimants}, so neither is used; uninstall one of them"
            )
        hint = f"; install it with: pip install {KNOWN_DISTRIBUTIONS[name]}" if name in KNOWN_DISTRIBUTIONS else ""
        installed = ", ".join(claims.found) or "none"
        raise PluginError(f"no {what} named {name!r} is installed (installed: {installed}){hint}")


def _is_wrapper(impl: pluggy.HookImpl) -> bool:
    return bool(impl.wrapper or impl.hookwrapper)


def _hook_names() -> list[str]:
    return [name for name in vars(hookspecs) if name.startswith("pyrpc_")]


def _closest_hook(name: str) -> str | None:
    matches = difflib.get_close_matches(name, _hook_names(), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _unknown_hook(reason: str) -> str | None:
    """The hook name of pluggy's "unknown hook 'x' in plugin ..." message, if that is the reason."""
    marker = "unknown hook '"
    start = reason.find(marker)
    return reason[start + len(marker) :].split("'", 1)[0] if start >= 0 else None


def _unmarked_hooks(plugin: object, manager: PluginManager) -> list[tuple[str, str | None]]:
    """The ``pyrpc_*`` functions of ``plugin`` without ``@hookimpl``, with the hook each was probably meant as."""
    found = []
    for attribute in dir(plugin):
        if not attribute.startswith("pyrpc_"):
            continue
        value = getattr(plugin, attribute, None)
        if not (inspect.isroutine(value) and manager.parse_hookimpl_opts(plugin, attribute) is None):
            continue
        if isinstance(plugin, ModuleType) and getattr(value, "__module__", None) != plugin.__name__:
            continue  # imported into the module from elsewhere, not defined there
        found.append((attribute, attribute if attribute in vars(hookspecs) else _closest_hook(attribute)))
    return found


def _entry_point_order(entry_point: importlib.metadata.EntryPoint) -> tuple[str, str, str]:
    """By name; of two with one name, the first distribution by name keeps the name."""
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
    for name in sorted(_hook_names()):
        yield name, getattr(hookspecs, name)
