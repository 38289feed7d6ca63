"""pyrpc-ts: the pyRPC schema as TypeScript, written as the npm package ``@pyrpc/types``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emit import generate
    from .workspace import save_typescript_client, types_dir

__all__ = ["generate", "save_typescript_client", "types_dir"]

__version__ = "2.0.0"

_MODULES = {"generate": "emit", "save_typescript_client": "workspace", "types_dir": "workspace"}


def __getattr__(name: str) -> Any:
    # On first use: the plugin module (the entry point) must not import jinja2 for a server or
    # a command that does not generate TypeScript.
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = globals()[name] = getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    return value
