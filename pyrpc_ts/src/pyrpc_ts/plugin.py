"""Registers the TypeScript emitter as emitter ``typescript`` (entry point ``pyrpc``).

It goes through the same ``pyrpc_emitters`` hook a third-party emitter would use. Its code is
named lazily, so that listing the emitters imports no template engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core.plugins import Emitter, Lazy, hookimpl


@hookimpl
def pyrpc_emitters() -> Iterable[Emitter]:
    return [
        Emitter(
            name="typescript",
            language="typescript",
            generate=Lazy("pyrpc_ts.emit:generate"),
            options=Lazy("pyrpc_ts.options:Options"),  # emitter_options: {"calls": "positional" | "named"}
            # The package lives in the client project, outside node_modules, and is declared as
            # a file: dependency, so that no package manager ever prunes it (see workspace.py).
            default_out="pyrpc/types",
            link=Lazy("pyrpc_ts.workspace:link_types"),
        )
    ]
