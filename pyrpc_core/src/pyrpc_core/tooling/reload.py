"""A pyrpc.json project loaded into this process, and reloaded in place after edits.

``pyrpc dev`` keeps serving while the code changes: a reload imports the project's modules
afresh into the same process and, only when that fully succeeds, replaces what is served.
A reload that fails (a syntax error, an import error, a duplicate name) rolls everything
back, so the server and the last good types stay as they were.

A reload told which files changed re-imports only what it has to: the changed modules, the
project modules that depend on them, directly or not (they hold the old objects; see
``pyrpc_core.tooling.imports``), and the entrypoint, in dependency order. Every other module, and the
procedures it registered, stays as it was: the same objects. Anything it cannot account for
(a new, renamed or deleted file, a change after a failed reload, a module no longer imported)
makes it re-import the whole project, as the first load did.
"""

from __future__ import annotations

import functools
import gc
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import traceback
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import RegistrationError
from ..plugins import PluginError, PluginManager, get_plugin_manager
from ..procedure import Procedure
from ..registry import Guard, Registry
from ..registry import registry as default_registry
from .config import Config, ConfigError
from .imports import Graph, StaticImports, dependency_graph, dependency_order, file_stat, importers, reachable
from .loading import LoadedApp, LoadError, load_app
from .watch import in_project

ToolingError = (LoadError, ConfigError, PluginError)
"""pyRPC's own errors, whose messages need no exception name or location in front."""


class ReloadError(Exception):
    """The project's code cannot be loaded; the message gives the file and line."""


@dataclass(frozen=True)
class Loaded:
    """One successful load: the app to serve, the registry it serves and its schema."""

    app: LoadedApp
    registry: Registry
    schema: dict[str, Any]


class _Fallback(Exception):
    """The incremental reload cannot stand for a full one; everything was put back, reload it all."""


@dataclass(frozen=True)
class _Plan:
    """An incremental reload: the modules before it, the changed ones, and what to import afresh, in order."""

    modules: dict[str, ModuleType]
    changed: frozenset[str]
    order: tuple[str, ...]
    graph: Graph


@dataclass(frozen=True)
class _RegistryState:
    registry: Registry
    procedures: list[Procedure]
    guards: list[Guard]
    plugins_added: bool


@dataclass(frozen=True)
class _Snapshot:
    """What a reload may change, to put back exactly when it fails."""

    modules: dict[str, ModuleType]
    registries: list[_RegistryState]
    submodules: list[tuple[ModuleType, dict[str, ModuleType]]]
    """Packages kept through the reload, with their module attributes (the import system sets them)."""


class Project:
    """The project of one pyrpc.json, loaded (and reloadable) in this process."""

    def __init__(self, config: Config, plugins: PluginManager | None = None) -> None:
        self.config = config
        self.plugins = plugins if plugins is not None else get_plugin_manager()
        self.root = config.root.resolve()
        self.entry_module, _, self._entry_attr = config.entrypoint.partition(":")
        self.imports = StaticImports()
        self.last_reloaded: frozenset[str] = frozenset()
        """The project modules the last load or reload imported afresh (every other one was kept)."""
        self._loaded: Loaded | None = None
        self._stats: dict[str, tuple[int, int]] = {}  # module name: its file's (mtime_ns, size) when imported
        self._reachable: frozenset[str] = frozenset()  # the modules the entrypoint imports, at the last load
        self._stale = True  # nothing loaded yet, or the last reload failed: the next one reloads everything
        self._owned: dict[str, bool] = {}
        self._resolved: dict[str, Path] = {}

    def load(self) -> Loaded:
        """Import the entrypoint and build the app; raises ``ReloadError`` with file and line."""
        before = self._modules()
        loaded = self._build()
        self._settle(before, loaded)
        return loaded

    def reload(self, changed: Iterable[Path] | None = None) -> Loaded:
        """Import the project's code afresh; on failure put everything back and raise ``ReloadError``.

        ``changed`` are the files saved since the last reload (the watcher's paths). Given them,
        only the modules that have to be are re-imported; without them, everything is.
        """
        paths = None if changed is None else {Path(path).resolve() for path in changed}
        # A reload allocates a great many objects at once (model classes, validators, schemas);
        # the cyclic collector would walk them again and again. Paused, the reload is ~15%
        # faster, and the next collection frees what the old code left behind.
        with collector_paused():
            plan = None
            if paths is not None and not self._stale:
                try:
                    plan = self._plan(paths)
                except Exception:  # anything odd in the project's modules: take no chances
                    plan = None
            if plan is not None:
                try:
                    return self._reload_some(plan)
                except _Fallback:
                    pass
            return self._reload_all(paths or ())

    def owns(self, module: ModuleType | None) -> bool:
        """Whether ``module`` is one of the project's own source files (not an installed package)."""
        filename = getattr(module, "__file__", None)
        if not isinstance(filename, str):
            return False
        owned = self._owned.get(filename)
        if owned is None:
            owned = self._owned[filename] = in_project(Path(filename), self.root)
        return owned

    # -- the two reloads -------------------------------------------------------------------------

    def _reload_all(self, paths: Collection[Path]) -> Loaded:
        """Today's reload, and the fallback of the incremental one: every project module imported afresh."""
        before = self._modules()
        snapshot = self._snapshot(before, set(before))
        on_disk = self._changed_on_disk(before) or {}
        _drop_bytecode([*paths, *(self._file(module) for module in on_disk.values())])
        for name in before:
            del sys.modules[name]
        default_registry.clear()
        importlib.invalidate_caches()  # a file created a moment ago is found
        try:
            loaded = self._build()
        except BaseException:
            self._restore(snapshot)
            self._stale = True
            raise
        self._settle(before, loaded)
        return loaded

    def _reload_some(self, plan: _Plan) -> Loaded:
        """Re-import ``plan.order`` only; ``_Fallback`` (all put back) when that cannot stand for a full reload."""
        reloaded = set(plan.order)
        snapshot = self._snapshot(plan.modules, reloaded)
        try:
            for state in snapshot.registries:
                _forget(state.registry, reloaded)
            for name in plan.order:
                sys.modules.pop(name, None)
            _drop_bytecode([self._file(plan.modules[name]) for name in plan.changed])
            importlib.invalidate_caches()
            self._import(plan)
            _reuse_models(snapshot.registries)
            loaded = self._build()
            # The kept modules depend on what they did: only the others are looked at again.
            after = self._modules()
            graph = {name: depends for name, depends in plan.graph.items() if name in after and name not in reloaded}
            graph.update(dependency_graph(after, self.imports, only=after.keys() - graph.keys()))
            lost = self._reachable - reachable(graph, self.entry_module)
            if lost & set(plan.modules):  # a module no longer imported: a full reload would leave it out
                raise _Fallback(", ".join(sorted(lost)))
        except _Fallback:
            self._restore(snapshot)
            raise
        except ReloadError as exc:
            self._restore(snapshot)
            if _is_duplicate(exc):
                # Perhaps a procedure of a re-imported module that we took for another's (a wrapper
                # from elsewhere, say): the full reload tells a real duplicate from that.
                raise _Fallback(str(exc)) from exc
            self._stale = True
            raise
        except BaseException:
            self._restore(snapshot)
            self._stale = True
            raise
        self._settle(plan.modules, loaded, graph)
        return loaded

    # -- planning --------------------------------------------------------------------------------

    def _plan(self, paths: Collection[Path]) -> _Plan | None:
        """What to re-import after ``paths`` changed, or None when only a full reload will do."""
        modules = self._modules()
        if self.entry_module not in modules:
            return None
        by_file = {self._file(module): name for name, module in modules.items()}
        changed: set[str] = set()
        for path in paths:
            name = by_file.get(path)
            if name is None and not path.stem.isidentifier():
                continue  # never a module: an editor's lock or backup file (.#models.py), say
            if name is None or not path.is_file():  # a new, renamed or deleted file
                return None
            changed.add(name)
        on_disk = self._changed_on_disk(modules)
        if on_disk is None:
            return None
        changed.update(on_disk)
        graph = self._graph(modules, fresh=changed)
        reload = importers(graph, {*changed, self.entry_module})
        order = tuple(dependency_order(graph, reload, last=self.entry_module))
        return _Plan(modules, frozenset(changed), order, graph)

    def _changed_on_disk(self, modules: Mapping[str, ModuleType]) -> dict[str, ModuleType] | None:
        """The modules whose file's stat is not the one recorded at import; None when a file is gone."""
        changed: dict[str, ModuleType] = {}
        for name, module in modules.items():
            stat = file_stat(self._file(module))
            if stat is None:
                return None
            # A module imported since the last load (inside a procedure, say) is as its file was
            # then; the watcher reports its later changes.
            if self._stats.setdefault(name, stat) != stat:
                changed[name] = module
        return changed

    def _graph(self, modules: Mapping[str, ModuleType], fresh: Iterable[str] = ()) -> Graph:
        return dependency_graph(modules, self.imports, fresh)

    # -- importing -------------------------------------------------------------------------------

    def _import(self, plan: _Plan) -> None:
        """Import ``plan.order`` afresh; a package among them gets its kept submodules before its code runs."""
        kept: dict[str, dict[str, ModuleType]] = {}
        reloaded = set(plan.order)
        for name, module in plan.modules.items():
            parent, _, child = name.rpartition(".")
            if parent in reloaded and name not in reloaded:
                kept.setdefault(parent, {})[child] = module
        finder = _KeptSubmodules(kept)
        sys.meta_path.insert(0, finder)
        try:
            for name in plan.order:
                if name not in sys.modules:
                    importlib.import_module(name)
        except (Exception, SystemExit) as exc:  # the user's code may raise anything while importing
            raise ReloadError(describe_error(exc, self.root)) from exc
        finally:
            sys.meta_path.remove(finder)

    def _build(self) -> Loaded:
        """The app to serve (``load_app`` imports the entrypoint if it is not), its registry and its schema."""
        try:
            app = load_app(self.config, self.plugins)
            registry = app.endpoint.registry  # what the app serves: the types must say the same
            schema = app.endpoint.schema()  # the document GET serves
        except (Exception, SystemExit) as exc:  # the user's code may raise anything while importing
            raise ReloadError(describe_error(exc, self.root)) from exc
        return Loaded(app, registry, schema)

    def _settle(self, before: Mapping[str, ModuleType], loaded: Loaded, graph: Graph | None = None) -> None:
        """Record what a good load left: its modules' stats, what the entrypoint imports, what is served."""
        after = self._modules()
        fresh = {name for name, module in after.items() if before.get(name) is not module}
        self.last_reloaded = frozenset(fresh)
        stats = {name: self._stats[name] for name in after if name not in fresh and name in self._stats}
        for name in fresh:
            stat = file_stat(self._file(after[name]))
            if stat is not None:
                stats[name] = stat
        self._stats = stats
        if graph is None:
            graph = self._graph(after)
        self._reachable = frozenset(reachable(graph, self.entry_module))
        self._loaded = loaded
        self._stale = False

    # -- putting back ----------------------------------------------------------------------------

    def _snapshot(self, modules: Mapping[str, ModuleType], reloaded: Collection[str]) -> _Snapshot:
        registries = {id(default_registry): default_registry}
        if self._loaded is not None:
            registries[id(self._loaded.registry)] = self._loaded.registry
        packages: dict[str, ModuleType] = {}
        for name, module in modules.items():
            parent = name.rpartition(".")[0]
            if parent and parent not in reloaded and isinstance(sys.modules.get(parent), ModuleType):
                packages[parent] = sys.modules[parent]
            if name in reloaded:
                continue
            if hasattr(module, "__path__"):
                packages[name] = module
            for value in list(vars(module).values()):
                if issubclass(type(value), Registry):
                    registries[id(value)] = value
        return _Snapshot(
            modules=dict(modules),
            registries=[
                _RegistryState(registry, list(registry), list(registry.guards), registry.plugins_added)
                for registry in registries.values()
            ],
            submodules=[(package, _module_attributes(package)) for package in packages.values()],
        )

    def _restore(self, snapshot: _Snapshot) -> None:
        for name in [
            name for name, module in list(sys.modules.items()) if name in snapshot.modules or self.owns(module)
        ]:
            del sys.modules[name]
        sys.modules.update(snapshot.modules)
        for state in snapshot.registries:
            state.registry.clear()
            for procedure in state.procedures:
                state.registry.add(procedure)
            state.registry.set_guards(state.guards)
            state.registry.plugins_added = state.plugins_added
        for package, attributes in snapshot.submodules:
            for attr in _module_attributes(package).keys() - attributes.keys():
                delattr(package, attr)
            for attr, module in attributes.items():
                setattr(package, attr, module)

    # -- helpers ---------------------------------------------------------------------------------

    def _modules(self) -> dict[str, ModuleType]:
        """The project's modules in ``sys.modules``, by name."""
        return {name: module for name, module in list(sys.modules.items()) if self.owns(module)}

    def _file(self, module: ModuleType) -> Path:
        filename: str = module.__file__  # type: ignore[assignment]  # owned modules have one
        path = self._resolved.get(filename)
        if path is None:
            path = self._resolved[filename] = Path(filename).resolve()
        return path


class _KeptSubmodules(importlib.abc.MetaPathFinder):
    """While an incremental reload imports: a package imported afresh starts with its kept submodules.

    A fresh import of ``pkg`` would otherwise lack the attribute ``pkg.sub`` of a submodule that
    stays loaded (the import system sets it only when it imports ``pkg.sub``), and code that
    reaches ``pkg.sub`` through ``pkg`` would fail.
    """

    def __init__(self, kept: dict[str, dict[str, ModuleType]]) -> None:
        self._kept = kept

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        submodules = self._kept.get(fullname)
        if not submodules:
            return None
        spec: importlib.machinery.ModuleSpec | None = None
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None) if finder is not self else None
            spec = find_spec(fullname, path, target) if find_spec is not None else None
            if spec is not None:
                break
        if spec is None:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _WithSubmodules(spec.loader, submodules)
        return spec


class _WithSubmodules(importlib.abc.Loader):
    """Creates the module with its submodules set, then steps aside: the real loader runs the code."""

    def __init__(self, loader: importlib.abc.Loader, submodules: dict[str, ModuleType]) -> None:
        self._loader = loader
        self._submodules = submodules

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        spec.loader = self._loader  # what the module records, and what executes it
        module = self._loader.create_module(spec) or ModuleType(spec.name)
        for attr, submodule in self._submodules.items():
            setattr(module, attr, submodule)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block (nests; only the outermost turns it back on)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _defined_in(value: Any) -> str | None:
    """The module a procedure's function or a guard was defined in (``functools.partial`` seen through)."""
    while isinstance(value, functools.partial):
        value = value.func
    try:
        owner = getattr(value, "__module__", None)
    except Exception:  # anything may stand in for a function
        return None
    return owner if isinstance(owner, str) else None


def _forget(registry: Registry, modules: Collection[str]) -> None:
    """Take the procedures and guards defined in ``modules`` out of ``registry`` (they are imported again)."""
    for procedure in list(registry):
        if _defined_in(procedure.func) in modules:
            registry.remove(procedure.name)
    registry.set_guards([guard for guard in registry.guards if _defined_in(guard) not in modules])


def _reuse_models(before: Iterable[_RegistryState]) -> None:
    """Hand each procedure registered again with the same signature the models built for it before.

    A leaf edit re-imports a whole module of procedures, most of them unchanged: building their
    params models and result adapters again was most of the reload (``Procedure.reuse_models``).
    """
    for state in before:
        earlier = {procedure.name: procedure for procedure in state.procedures}
        for procedure in state.registry:
            previous = earlier.get(procedure.name)
            if previous is not None:
                procedure.reuse_models(previous)


def _is_duplicate(exc: ReloadError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, RegistrationError) and str(cause).startswith("duplicate procedure name")


def _module_attributes(module: ModuleType) -> dict[str, ModuleType]:
    return {attr: value for attr, value in list(vars(module).items()) if issubclass(type(value), ModuleType)}


def _drop_bytecode(files: Iterable[Path]) -> None:
    """Delete the cached bytecode of changed sources.

    Python trusts a ``.pyc`` whose recorded source mtime (in whole seconds) and size match, so
    two saves of the same size within one second would import the first one's code again.
    """
    for file in files:
        with suppress(OSError, ValueError, NotImplementedError):
            Path(importlib.util.cache_from_source(str(file))).unlink(missing_ok=True)


def describe_error(exc: BaseException, root: Path) -> str:
    """One line for a user: where in their code (file:line) and what went wrong."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_relative(exc.filename, root)}:{exc.lineno}: SyntaxError: {exc.msg}"
    # The deepest frame in the user's own files is where they have to look.
    if isinstance(exc, ToolingError):  # ours: the message says it all, with file and field
        return str(exc)
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if in_project(Path(frame.filename), root)]
    where = f"{_relative(frames[-1].filename, root)}:{frames[-1].lineno}: " if frames else ""
    return f"{where}{type(exc).__name__}: {exc}"


def describe_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a regeneration changed, a line per procedure: ``+ added``, ``- removed``, ``~ changed``.

    A procedure changed when its entry changed or when a model it reaches did. The work is
    linear in the document: changed models are found by comparing ``$defs`` once, then every
    model that reaches one of them, through the references of the new document. Parts that
    did not change are the same objects in both (``SchemaCache``), so most compare at once,
    and when no model changed no reference is looked at.
    """
    old_procedures, new_procedures = old["procedures"], new["procedures"]
    old_defs, new_defs = old["$defs"], new["$defs"]
    changed = {name for name in old_defs.keys() | new_defs.keys() if not _same(old_defs.get(name), new_defs.get(name))}
    tainted = _reaching(changed, new_defs) if changed else set()
    lines = [f"+ {name}" for name in new_procedures if name not in old_procedures]
    lines += [f"- {name}" for name in old_procedures if name not in new_procedures]
    lines += [
        f"~ {name}"
        for name, entry in new_procedures.items()
        if name in old_procedures
        and (not _same(entry, old_procedures[name]) or (tainted and not tainted.isdisjoint(_refs(entry))))
    ]
    return sorted(lines, key=lambda line: line[2:])


SHOWN_CHANGES = 10
"""How many of ``describe_changes``'s lines ``summarize_changes`` shows: a models edit can change hundreds."""

_CHANGE_KINDS = (("+", "added"), ("-", "removed"), ("~", "changed"))


def summarize_changes(changes: list[str], shown: int = SHOWN_CHANGES) -> str:
    """``describe_changes``'s lines as one short phrase: all of them when few, else the first and counts by kind.

    An edit of a model that every procedure reaches changes them all; naming 500 procedures
    would bury the line (and the next ones) in the terminal.
    """
    if not changes:
        return "no API change"
    if len(changes) <= shown:
        return ", ".join(changes)
    counts = Counter(line[0] for line in changes)
    kinds = ", ".join(f"{counts[mark]} {word}" for mark, word in _CHANGE_KINDS if counts[mark])
    return f"{', '.join(changes[:shown])} and {len(changes) - shown} more ({kinds})"


def _same(a: Any, b: Any) -> bool:
    return a is b or bool(a == b)


def _reaching(changed: set[str], defs: dict[str, Any]) -> set[str]:
    """The ``changed`` definitions and every one of ``defs`` that reaches one of them."""
    referrers: dict[str, set[str]] = {}
    for name, definition in defs.items():
        for target in _refs(definition):
            referrers.setdefault(target, set()).add(name)
    tainted, pending = set(changed), list(changed)
    while pending:
        for referrer in referrers.get(pending.pop(), ()):
            if referrer not in tainted:
                tainted.add(referrer)
                pending.append(referrer)
    return tainted


def _refs(node: Any) -> set[str]:
    """The ``$defs`` names a schema fragment refers to directly."""
    found: set[str] = set()
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                found.add(ref.removeprefix("#/$defs/"))
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


def _relative(filename: str, root: Path) -> str:
    path = Path(filename).resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else filename
