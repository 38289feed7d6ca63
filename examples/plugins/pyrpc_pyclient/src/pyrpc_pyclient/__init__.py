"""pyRPC client emitter ``python``: the introspection document as a typed Python client module."""

from .emit import MODULE, generate

__all__ = ["MODULE", "generate"]
