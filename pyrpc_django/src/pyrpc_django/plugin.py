"""Registers the Django adapter as framework ``django`` (entry point ``pyrpc``).

Its interface is "wsgi": the CLI serves the app with waitress. Nothing is imported here but
the descriptor: Django loads when the adapter is first used.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core.plugins import Adapter, Lazy, hookimpl


@hookimpl
def pyrpc_adapters() -> Iterable[Adapter]:
    return [
        Adapter(
            name="django",
            interface="wsgi",
            create_app=Lazy("pyrpc_django.views:create_app"),
            find_app=Lazy("pyrpc_django.views:find_app"),
            endpoints=Lazy("pyrpc_django.views:endpoints"),
        )
    ]
