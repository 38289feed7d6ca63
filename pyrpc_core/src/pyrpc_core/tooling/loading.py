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
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from ..endpoint import Endpoint
from ..plugins import Adapter, PluginError, PluginManager, get_plugin_manager
from ..registry import Registry
from ..registry import registry as default_registry

if TYPE_CHECKING:
    from .config import Config

DEFAULT_PATH = "/rpc"  # the same as pyrpc.json's default endpoint.path

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
    options = config.endpoint_options
    if plugins is not None:  # the app pyRPC builds uses the tooling's plugins
        options["plugins"] = manager
    path = config.endpoint_path
    try:
        app, registry = _app_of(adapter, module, attr, path, options)
    except LookupError as exc:  # find_app: several apps, none named
        raise LoadError(str(exc)) from None
    if adapter.endpoints is None:  # an adapter that cannot say: the registry the app was built for
        endpoint = Endpoint(registry or module_registry(module), path, plugins=manager)
    else:
        what = f"entrypoint {config.entrypoint}: the {adapter.name} app"
        endpoint = served_endpoint(adapter.endpoints(app), path, what)
    return LoadedApp(adapter, app, endpoint)


def served_endpoint(endpoints: Iterable[Endpoint], path: str, what: str) -> Endpoint:
    """The endpoint the tooling serves and generates types for, of those an app reports.

    The app is the source of truth: its registry is what is served, so it is also what the
    types are generated from. Of several, the one at ``path`` (pyrpc.json's ``endpoint.path``).
    """
    found = list(endpoints)
    if len(found) == 1:
        return found[0]
    for endpoint in found:
        if endpoint.path == path:
            return endpoint
    if not found:
        raise LoadError(f"{what} serves no pyRPC endpoint; mount one, or let pyRPC build the app")
    paths = ", ".join(endpoint.path for endpoint in found)
    raise LoadError(f"{what} serves pyRPC at {paths}; set pyrpc.json's endpoint.path to the one to use")


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


def _app_of(
    adapter: Adapter, module: ModuleType, attr: str, path: str, options: dict[str, Any]
) -> tuple[Any, Registry | None]:
    """The app to serve, and the registry pyRPC built it for (None: the user's own app)."""
    if attr:
        if not hasattr(module, attr):
            raise LoadError(f"entrypoint {module.__name__}:{attr}: module {module.__name__!r} has no {attr!r}")
        value = getattr(module, attr)
        if isinstance(value, Registry):
            return adapter.create_app(value, path, **options), value
        if not callable(value):
            raise LoadError(
                f"entrypoint {module.__name__}:{attr}: expected a {adapter.name} app or a pyrpc_core.Registry, "
                f"got {type(value).__name__}"
            )
        return value, None
    found = adapter.find_app(module) if adapter.find_app is not None else None
    if found is not None:
        return found, None
    registry = module_registry(module)
    return adapter.create_app(registry, path, **options), registry


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
