"""pyRPC on Starlette: ``mount(app, registry=None, path="/rpc")`` and ``create_app(registry=None, path="/rpc")``."""

from .mount import create_app, find_app, mount

__all__ = ["create_app", "find_app", "mount"]
