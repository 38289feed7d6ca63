"""Registers the plain ASGI adapter as framework ``asgi`` (entry point ``pyrpc``).

Nothing is imported here but the descriptor: the app module loads when it is first used.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core.plugins import Adapter, Lazy, hookimpl


@hookimpl
def pyrpc_adapters() -> Iterable[Adapter]:
    return [
        Adapter(
            name="asgi",
            interface="asgi",
            create_app=Lazy("pyrpc_asgi.app:create_app"),
            find_app=Lazy("pyrpc_asgi.app:find_app"),
            endpoints=Lazy("pyrpc_asgi.app:endpoints"),
        )
    ]
