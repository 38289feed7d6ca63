"""pyRPC client emitter ``python``: the introspection document as a typed Python client module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emit import MODULE, generate

__all__ = ["MODULE", "generate"]


def __getattr__(name: str) -> Any:
    # On first use, so that the plugin module (the entry point) imports no emitter code.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import emit

    value = globals()[name] = getattr(emit, name)
    return value
