"""Registers the FastAPI adapter as framework ``fastapi`` (entry point ``pyrpc``).

Nothing is imported here but the descriptor: FastAPI loads when the adapter is first used.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core.plugins import Adapter, Lazy, hookimpl


@hookimpl
def pyrpc_adapters() -> Iterable[Adapter]:
    return [
        Adapter(
            name="fastapi",
            interface="asgi",
            create_app=Lazy("pyrpc_fastapi.route:create_app"),
            find_app=Lazy("pyrpc_fastapi.route:find_app"),
            endpoints=Lazy("pyrpc_fastapi.route:endpoints"),
        )
    ]
