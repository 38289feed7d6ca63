"""pyRPC's FastAPI adapter: ``mount(app, registry=None, path="/rpc")``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .route import create_app, endpoints, find_app, is_mounted, mount, request_context

__all__ = ["create_app", "endpoints", "find_app", "is_mounted", "mount", "request_context"]


def __getattr__(name: str) -> Any:
    # On first use: the plugin module (the entry point) must not import FastAPI for a server
    # or a command that does not use it.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import route

    value = globals()[name] = getattr(route, name)
    return value
