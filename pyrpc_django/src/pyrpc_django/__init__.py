"""pyRPC's Django adapter: ``urlpatterns = [pyrpc_django.path("rpc", registry=None)]``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .views import RpcPattern, create_app, create_asgi_app, endpoints, find_app, path, request_context

__all__ = ["RpcPattern", "create_app", "create_asgi_app", "endpoints", "find_app", "path", "request_context"]


def __getattr__(name: str) -> Any:
    # On first use: the plugin module (the entry point) must not import Django for a server or
    # a command that does not use it.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import views

    value = globals()[name] = getattr(views, name)
    return value
