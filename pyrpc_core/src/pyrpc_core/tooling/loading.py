"""From pyrpc.json to the app to serve: pick the adapter, import the entrypoint, find or build the app.

``framework`` picks the adapter plugin; ``entrypoint`` is ``module`` or ``module:attr``,
imported with pyrpc.json's folder first on ``sys.path``. With ``module:attr`` the attribute
is the app to serve as it is, or a ``Registry`` to build one for. With ``module`` alone the
adapter's ``find_app`` looks for the user's own app in it; when there is none, the adapter
builds an app at ``/rpc`` serving the module's own ``Registry`` if it has exactly one, else
the default registry (which the module's ``@rpc`` filled).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ..endpoint import Endpoint
from ..plugins import Adapter, PluginError, PluginManager, get_plugin_manager
from ..registry import Registry
from ..registry import registry as default_registry

if TYPE_CHECKING:
    from .config import Config

DEFAULT_PATH = "/rpc"

App = TypeVar("App")


class LoadError(Exception):
    """The app cannot be loaded; the message is one line saying what to do."""


class LoadedApp(NamedTuple):
    """What ``load_app`` gives: the adapter (its ``interface`` says which server), the app, and
    the pyRPC endpoint of the app that the tooling serves and generates types for."""

    adapter: Adapter
    app: Any
    endpoint: Endpoint


def load_app(config: Config, plugins: PluginManager | None = None) -> LoadedApp:
    """Import ``config.entrypoint`` and return the adapter of ``config.framework`` and the app to serve.

    Raises ``LoadError`` when the framework's adapter is not installed (naming the
    distribution to pip install), the entrypoint module does not exist, ``module:attr``
    names nothing servable, or the module holds several apps and none is named. Errors
    raised by the user's module itself propagate unchanged.
    """
    manager = plugins if plugins is not None else get_plugin_manager()
    try:
        adapter = manager.get_adapter(config.framework)
    except PluginError as exc:
        raise LoadError(f"{config.path}: field 'framework': {exc}") from None
    module_name, _, attr = config.entrypoint.partition(":")
    module = import_entrypoint(module_name, str(config.root))
    try:
        app = _app_of(adapter, module, attr)
    except LookupError as exc:  # find_app: several apps, none named
        raise LoadError(str(exc)) from None
    return LoadedApp(adapter, app, served_endpoint(adapter, app, module, config.entrypoint))


def served_endpoint(adapter: Adapter, app: Any, module: ModuleType, entrypoint: str) -> Endpoint:
    """The pyRPC endpoint of ``app``, as its adapter reports it (``Adapter.endpoints``).

    The app is the source of truth: its registry is what is served, so it is also what the
    types are generated from. An app with several endpoints serves the one at ``/rpc``; an
    adapter that does not report its endpoints gets one built for the module's registry.
    """
    if adapter.endpoints is None:
        return Endpoint(module_registry(module))
    found = list(adapter.endpoints(app))
    if not found:
        raise LoadError(
            f"entrypoint {entrypoint}: the {adapter.name} app serves no pyRPC endpoint; "
            f"mount one (see the {adapter.name} adapter's mount) or let pyRPC build the app"
        )
    if len(found) == 1:
        return found[0]
    for endpoint in found:
        if endpoint.path == DEFAULT_PATH:
            return endpoint
    paths = ", ".join(endpoint.path for endpoint in found)
    raise LoadError(f"entrypoint {entrypoint}: the app serves pyRPC at {paths}; serve one of them at {DEFAULT_PATH}")


def import_entrypoint(module_name: str, root: str) -> ModuleType:
    """Import ``module_name`` with ``root`` (pyrpc.json's folder) first on ``sys.path``."""
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name) and module_name[len(exc.name) :][:1] in ("", "."):
            raise LoadError(
                f"entrypoint module {module_name!r} not found in {root}; "
                "set pyrpc.json's 'entrypoint' to the module that holds your procedures"
            ) from None
        raise


def _app_of(adapter: Adapter, module: ModuleType, attr: str) -> Any:
    if attr:
        if not hasattr(module, attr):
            raise LoadError(f"entrypoint {module.__name__}:{attr}: module {module.__name__!r} has no {attr!r}")
        value = getattr(module, attr)
        if isinstance(value, Registry):
            return adapter.create_app(value, DEFAULT_PATH)
        if not callable(value):
            raise LoadError(
                f"entrypoint {module.__name__}:{attr}: expected a {adapter.name} app or a pyrpc_core.Registry, "
                f"got {type(value).__name__}"
            )
        return value
    found = adapter.find_app(module) if adapter.find_app is not None else None
    return found if found is not None else adapter.create_app(module_registry(module), DEFAULT_PATH)


def module_registry(module: ModuleType) -> Registry:
    """The registry an app built for ``module`` serves.

    The module's only module-level ``Registry`` other than the default one, when it has
    exactly one; otherwise the default registry, which ``@rpc`` fills.
    """
    own = {id(value): value for value in vars(module).values() if isinstance(value, Registry)}
    own.pop(id(default_registry), None)
    return next(iter(own.values())) if len(own) == 1 else default_registry


def find_framework_app(
    module: ModuleType,
    app_type: type[App],
    is_mounted: Callable[[App], bool],
    mount: Callable[[App, Registry], object],
) -> App | None:
    """The ``app_type`` app of ``module`` to serve: what an adapter's ``find_app`` does.

    An app with pyRPC mounted wins. Failing that, the module's only app gets the module's
    registry (``module_registry``) mounted at ``/rpc``, so the user's routes are served beside
    it. None when the module has no app (the caller then builds one). Several apps with pyRPC
    mounted are ambiguous: ``LookupError`` asks for ``module:attr``.
    """
    apps = list({id(value): value for value in vars(module).values() if isinstance(value, app_type)}.values())
    mounted = [app for app in apps if is_mounted(app)]
    if len(mounted) > 1:
        raise LookupError(
            f"module {module.__name__!r} holds {len(mounted)} {app_type.__name__} apps with pyRPC mounted; "
            f"name one in pyrpc.json's entrypoint as '{module.__name__}:<attribute>'"
        )
    if mounted:
        return mounted[0]
    if len(apps) == 1:
        mount(apps[0], module_registry(module))
        return apps[0]
    return None
