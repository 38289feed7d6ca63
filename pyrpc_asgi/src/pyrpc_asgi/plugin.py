"""Registers the plain ASGI adapter as framework ``asgi`` (entry point ``pyrpc``)."""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core import Adapter, hookimpl

from .app import create_app


@hookimpl
def pyrpc_adapters() -> Iterable[Adapter]:
    return [Adapter(name="asgi", interface="asgi", create_app=lambda registry, path: create_app(registry, path))]
