"""Registers the TypeScript emitter as emitter ``typescript`` (entry point ``pyrpc``).

It goes through the same ``pyrpc_emitters`` hook a third-party emitter would use.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core import Emitter, hookimpl

from .emit import generate


@hookimpl
def pyrpc_emitters() -> Iterable[Emitter]:
    return [Emitter(name="typescript", language="typescript", generate=generate)]
