"""pyRPC's Flask adapter: ``mount(app, registry=None, path="/rpc")``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .view import create_app, endpoints, find_app, is_mounted, mount, request_context

__all__ = ["create_app", "endpoints", "find_app", "is_mounted", "mount", "request_context"]


def __getattr__(name: str) -> Any:
    # On first use: the plugin module (the entry point) must not import Flask for a server or
    # a command that does not use it.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import view

    value = globals()[name] = getattr(view, name)
    return value
