"""pyRPC's plain ASGI adapter: ``create_app(registry=None, path="/rpc")``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import RpcApp, create_app

__all__ = ["RpcApp", "create_app"]


def __getattr__(name: str) -> Any:
    # On first use: the plugin module (the entry point) must not import the runtime for a
    # command that does not serve.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import app

    value = globals()[name] = getattr(app, name)
    return value
