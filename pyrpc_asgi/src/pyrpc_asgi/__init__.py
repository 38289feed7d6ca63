"""pyRPC's plain ASGI adapter: ``create_app(registry=None, path="/rpc")``."""

from .app import RpcApp, create_app

__all__ = ["RpcApp", "create_app"]
