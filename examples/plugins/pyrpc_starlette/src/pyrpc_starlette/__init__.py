"""pyRPC on Starlette: ``mount(app, registry=None, path="/rpc")`` and ``create_app(registry=None, path="/rpc")``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .route import create_app, endpoints, find_app, mount

__all__ = ["create_app", "endpoints", "find_app", "mount"]


def __getattr__(name: str) -> Any:
    # On first use, so that the plugin module (the entry point) imports no Starlette.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import route

    value = globals()[name] = getattr(route, name)
    return value
