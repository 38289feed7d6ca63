"""Registers the plain ASGI adapter as framework ``asgi`` (entry point ``pyrpc``)."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from pyrpc_core import Adapter, hookimpl

from .app import RpcApp, create_app


def find_app(module: ModuleType) -> RpcApp | None:
    """The module's ``RpcApp`` (made with ``create_app``), or None to have one built.

    Several are ambiguous: ``LookupError`` asks for ``module:attr`` in pyrpc.json.
    """
    apps = list({id(value): value for value in vars(module).values() if isinstance(value, RpcApp)}.values())
    if len(apps) > 1:
        raise LookupError(
            f"module {module.__name__!r} holds {len(apps)} pyRPC ASGI apps; "
            f"name one in pyrpc.json's entrypoint as '{module.__name__}:<attribute>'"
        )
    return apps[0] if apps else None


@hookimpl
def pyrpc_adapters() -> Iterable[Adapter]:
    return [
        Adapter(
            name="asgi",
            interface="asgi",
            create_app=lambda registry, path: create_app(registry, path),
            find_app=find_app,
        )
    ]
