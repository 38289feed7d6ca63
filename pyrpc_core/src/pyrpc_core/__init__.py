"""pyRPC: typed JSON-RPC 2.0 for Python procedures, with clients generated from the schema."""

from .client import RPCClient
from .context import Context, Headers
from .dispatch import Dispatcher
from .endpoint import CORS
from .errors import RegistrationError, RpcError
from .limits import Limits
from .plugins import Adapter, Emitter, PluginError, get_plugin_manager, hookimpl
from .procedure import Procedure
from .registry import Registry, registry, rpc
from .schema import build_schema

__all__ = [
    "CORS",
    "Adapter",
    "Context",
    "Dispatcher",
    "Emitter",
    "Headers",
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
]

__version__ = "2.0.0"
