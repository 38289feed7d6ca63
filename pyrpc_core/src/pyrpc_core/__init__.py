"""pyRPC: typed JSON-RPC 2.0 for Python procedures, with clients generated from the schema.

``rpc``, ``Registry`` and the default ``registry`` are imported with the package; every other
public name is imported on first use, so that ``import pyrpc_core`` (the ``pyrpc`` command,
plugin listings) does not pay for pydantic until something needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .context import Context, Headers
from .errors import RegistrationError, RpcError
from .registry import Registry, registry, rpc

if TYPE_CHECKING:
    from .bigint import BigInt, BigIntModel
    from .client import RPCClient
    from .dispatch import Dispatcher
    from .endpoint import CORS, Endpoint
    from .errors import AnnotationWarning
    from .limits import Limits
    from .plugins import Adapter, Emitter, Lazy, PluginError, get_plugin_manager, hookimpl
    from .procedure import Procedure
    from .schema import build_schema
    from .stream import tracked

_LAZY = {
    "BigInt": "bigint",
    "BigIntModel": "bigint",
    "AnnotationWarning": "errors",
    "RPCClient": "client",
    "Dispatcher": "dispatch",
    "CORS": "endpoint",
    "Endpoint": "endpoint",
    "Limits": "limits",
    "Adapter": "plugins",
    "Emitter": "plugins",
    "Lazy": "plugins",
    "PluginError": "plugins",
    "get_plugin_manager": "plugins",
    "hookimpl": "plugins",
    "Procedure": "procedure",
    "build_schema": "schema",
    "tracked": "stream",
}

__all__ = [
    "CORS",
    "Adapter",
    "AnnotationWarning",
    "BigInt",
    "BigIntModel",
    "Context",
    "Dispatcher",
    "Emitter",
    "Endpoint",
    "Headers",
    "Lazy",
    "Limits",
    "PluginError",
    "Procedure",
    "RPCClient",
    "RegistrationError",
    "Registry",
    "RpcError",
    "build_schema",
    "get_plugin_manager",
    "hookimpl",
    "registry",
    "rpc",
    "tracked",
]

__version__ = "2.0.0"


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
