"""What the ``pyrpc_call`` hook costs: ``add`` through the dispatcher, in process, without and with a plugin.

Each path is measured with no plugin implementing ``pyrpc_call`` (the dispatcher then gets no
wrapper at all, whatever the environment has installed) and with a wrapper that does nothing,
so the difference is the hook's own cost. The time per call is the best of several runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from pyrpc_core import Registry, hookimpl
from pyrpc_core.endpoint import Endpoint
from pyrpc_core.plugins import PluginManager

from .servers.api import add, add_async

BODY = b'{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":1}'
ANSWER = b'{"jsonrpc":"2.0","result":3,"id":1}'


class NoOp:
    """A ``pyrpc_call`` wrapper that does nothing."""

    @hookimpl(wrapper=True)
    def pyrpc_call(self) -> Iterator[None]:
        return (yield)


@dataclass(frozen=True)
class HookResult:
    """Microseconds per call of one path, with no plugin and with the no-op wrapper."""

    path: str
    none_us: float
    no_op_us: float


def _endpoint(procedure: Callable[..., object], with_no_op: bool) -> Endpoint:
    registry = Registry()
    registry.rpc(name="add")(procedure)
    plugins = PluginManager()  # only pyRPC's own pyrpc_call, not the installed plugins
    if with_no_op:
        plugins.register(NoOp(), "no-op")
    return Endpoint(registry, plugins=plugins)


def _best_sync(dispatch: Callable[[bytes], bytes | None], calls: int, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(calls):
            dispatch(BODY)
        best = min(best, time.perf_counter() - started)
    return best / calls * 1e6


def _best_async(dispatch: Callable[[bytes], Awaitable[bytes | None]], calls: int, runs: int) -> float:
    async def timed() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await dispatch(BODY)
        return time.perf_counter() - started

    async def best() -> float:
        return min([await timed() for _ in range(runs)])

    return asyncio.run(best()) / calls * 1e6


def measure(calls: int, runs: int) -> list[HookResult]:
    results = []
    paths = [
        ("sync add, dispatch_sync (WSGI: in the request's thread)", add, False),
        ("sync add, dispatch (ASGI: in a worker thread)", add, True),
        ("async add, dispatch (ASGI: on the event loop)", add_async, True),
    ]
    for path, procedure, from_loop in paths:
        timings = []
        for with_no_op in (False, True):
            dispatcher = _endpoint(procedure, with_no_op).dispatcher
            if from_loop:
                if asyncio.run(dispatcher.dispatch(BODY)) != ANSWER:
                    raise AssertionError(f"{path}: wrong answer")
                timings.append(_best_async(dispatcher.dispatch, calls, runs))
            else:
                if dispatcher.dispatch_sync(BODY) != ANSWER:
                    raise AssertionError(f"{path}: wrong answer")
                timings.append(_best_sync(dispatcher.dispatch_sync, calls, runs))
        results.append(HookResult(path, timings[0], timings[1]))
    return results
