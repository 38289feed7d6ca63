"""Registers the Starlette adapter as framework ``starlette`` (entry point ``pyrpc``).

The functions are named lazily, so that listing the installed adapters does not import Starlette.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core.plugins import Adapter, Lazy, hookimpl


@hookimpl
def pyrpc_adapters() -> Iterable[Adapter]:
    return [
        Adapter(
            name="starlette",
            interface="asgi",
            create_app=Lazy("pyrpc_starlette.route:create_app"),
            find_app=Lazy("pyrpc_starlette.route:find_app"),
            endpoints=Lazy("pyrpc_starlette.route:endpoints"),
        )
    ]
