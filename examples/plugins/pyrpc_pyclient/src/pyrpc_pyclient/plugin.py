"""Registers the typed Python client emitter as emitter ``python`` (entry point ``pyrpc``)."""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core.plugins import Emitter, Lazy, hookimpl


@hookimpl
def pyrpc_emitters() -> Iterable[Emitter]:
    # Named lazily: listing the emitters (every pyrpc command does) imports no emitter code.
    return [Emitter(name="python", language="python", generate=Lazy("pyrpc_pyclient.emit:generate"))]
