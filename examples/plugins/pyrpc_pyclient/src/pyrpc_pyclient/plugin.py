"""Registers the typed Python client emitter as emitter ``python`` (entry point ``pyrpc``)."""

from __future__ import annotations

from collections.abc import Iterable

from pyrpc_core import Emitter, hookimpl

from .emit import generate


@hookimpl
def pyrpc_emitters() -> Iterable[Emitter]:
    return [Emitter(name="python", language="python", generate=generate)]
