"""Registers the Flask adapter as framework ``flask`` (entry point ``pyrpc``).

Its interface is "wsgi": the CLI serves the app with a threaded WSGI server.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core import Adapter, hookimpl

from .mount import create_app, find_app


@hookimpl
def pyrpc_adapters() -> Iterable[Adapter]:
    return [
        Adapter(
            name="flask",
            interface="wsgi",
            create_app=lambda registry, path: create_app(registry, path),
            find_app=find_app,
        )
    ]
