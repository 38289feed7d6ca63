"""pyRPC's FastAPI adapter: ``mount(app, registry=None, path="/rpc")``."""

from .mount import create_app, find_app, is_mounted, mount, request_context

__all__ = ["create_app", "find_app", "is_mounted", "mount", "request_context"]
