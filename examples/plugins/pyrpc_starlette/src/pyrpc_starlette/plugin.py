"""Registers the Starlette adapter as framework ``starlette`` (entry point ``pyrpc``)."""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core import Adapter, hookimpl

from .mount import create_app, find_app


@hookimpl
def pyrpc_adapters() -> Iterable[Adapter]:
    return [
        Adapter(
            name="starlette",
            interface="asgi",
            create_app=lambda registry, path: create_app(registry, path),
            find_app=find_app,
        )
    ]
