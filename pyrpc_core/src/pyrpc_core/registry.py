"""The Registry: the source of truth of which procedures exist and what they accept and return."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .errors import RegistrationError, RpcError
from .limits import check_timeout
from .wire_names import refusal

if TYPE_CHECKING:
    from .context import Context
    from .procedure import Procedure

F = TypeVar("F", bound=Callable[..., Any])

G = TypeVar("G", bound="Callable[[Procedure, Context], Any]")

Guard = Callable[["Procedure", "Context"], "Awaitable[None] | None"]
"""Runs before every call: ``guard(procedure, ctx)``; raise ``RpcError`` to refuse the call."""


class Registry:
    """A set of procedures keyed by name.

    ``registry.rpc`` is its decorator. ``version`` grows on every change, so a cached schema
    knows when it is stale.
    """

    def __init__(self) -> None:
        self._procedures: dict[str, Procedure] = {}
        self.guards: list[Guard] = []
        self.version = 0
        self.plugins_added = False
        """Whether plugins have added their procedures (``pyrpc_register_procedures``)."""

    def guard(self, func: G) -> G:
        """Register ``func(procedure, ctx)`` to run before every call of this registry.

        It works the same on every adapter. Raise ``RpcError`` to refuse the call (that error
        is the answer), or put what it learned into ``ctx.state``. It may be async; a sync
        guard of an async procedure runs on the event loop under ASGI, so it must not block; one
        of a sync procedure runs in its worker thread, unless the registry also has an async guard
        (then all run on the loop, before the call takes a thread).
        """
        self.guards.append(func)
        self.version += 1
        return func

    def set_guards(self, guards: Iterable[Guard]) -> None:
        """Replace the guards (the dev reloader puts back those of the modules it keeps)."""
        self.guards[:] = guards
        self.version += 1

    @overload
    def rpc(self, func: F, /) -> F: ...

    @overload
    def rpc(
        self,
        *,
        name: str | None = None,
        timeout: float | None = None,
        errors: Iterable[type[RpcError]] = (),
        idempotent: bool = False,
        thread: bool = True,
    ) -> Callable[[F], F]: ...

    def rpc(
        self,
        func: F | None = None,
        *,
        name: str | None = None,
        timeout: float | None = None,
        errors: Iterable[type[RpcError]] = (),
        idempotent: bool = False,
        thread: bool = True,
    ) -> F | Callable[[F], F]:
        """Register a function as a procedure and return it unchanged.

        ``@rpc`` names the procedure after the function; ``@rpc(name="users.get")`` names it
        explicitly (dots make namespaces for the clients). ``timeout`` is the seconds a call
        may take, guards included (the endpoint's ``Limits.timeout`` when None): an async call
        past it is cancelled, a sync one answered while its thread runs on. ``idempotent=True``
        says that calling it twice does what calling it once does; the schema says so, and
        clients retry only such procedures after an error that may come from a call that ran.
        ``thread=False`` runs a sync procedure on the event loop instead of a worker thread
        (ASGI): for functions that only compute, and quickly, it saves the thread hop, which
        costs far more than they do; one that blocks (I/O, a lock, a long computation) would
        stall every other request of the worker meanwhile, and its deadline cannot cut it short.
        ``errors`` lists the declared errors it may raise: ``RpcError`` subclasses with a fixed
        ``code`` (and a ``data`` type), which the schema and the client types then know; any other
        ``RpcError`` still reaches the client as raised.
        """
        check_timeout(timeout, "@rpc(timeout=...)")
        # The caller's locals resolve annotations of types defined beside the function
        # (in a test, say) even under ``from __future__ import annotations``.
        localns = sys._getframe(1).f_locals

        # Imported here, not at the top: ``import pyrpc_core`` stays light (no pydantic) for
        # the CLI and plugin listings; the first decoration pays for it.
        from .procedure import Procedure, check_errors

        def decorate(function: F) -> F:
            procedure = Procedure.from_function(function, name=name, localns=localns)
            declared = check_errors(function, errors, localns)
            if timeout is not None or idempotent or not thread or declared:
                procedure = replace(procedure, timeout=timeout, idempotent=idempotent, thread=thread, errors=declared)
            self.add(procedure)
            return function

        return decorate(func) if func is not None else decorate

    def add(self, procedure: Procedure) -> None:
        """Add a prepared procedure; a name already taken, or one no client can serve (see
        ``wire_names``), is a ``RegistrationError``."""
        why = refusal(procedure.name)
        if why is not None:
            raise RegistrationError(
                f"{_describe(procedure)} cannot be named {procedure.name!r}: {why}; "
                "give it another name with @rpc(name=...)"
            )
        existing = self._procedures.get(procedure.name)
        if existing is not None:
            raise RegistrationError(
                f"duplicate procedure name {procedure.name!r}: {_describe(existing)} and {_describe(procedure)}"
            )
        self._procedures[procedure.name] = procedure
        self.version += 1

    def remove(self, name: str) -> None:
        """Remove a procedure by name (``KeyError`` when there is none)."""
        del self._procedures[name]
        self.version += 1

    def clear(self) -> None:
        """Forget every procedure and guard, as before the first ``@rpc`` (the dev reloader uses it)."""
        self._procedures.clear()
        self.guards.clear()
        self.plugins_added = False
        self.version += 1

    def get(self, name: str) -> Procedure | None:
        return self._procedures.get(name)

    def __getitem__(self, name: str) -> Procedure:
        return self._procedures[name]

    def __contains__(self, name: object) -> bool:
        return name in self._procedures

    def __iter__(self) -> Iterator[Procedure]:
        """The procedures, sorted by name, so that everything built from them is stable."""
        return iter(sorted(self._procedures.values(), key=lambda procedure: procedure.name))

    def __len__(self) -> int:
        return len(self._procedures)

    def __repr__(self) -> str:
        return f"<Registry of {len(self)} procedures>"


def _describe(procedure: Procedure) -> str:
    func = procedure.func
    code = getattr(func, "__code__", None)
    where = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
    return f"{func.__module__}.{func.__qualname__}{where}"


registry = Registry()
"""The default registry, used by ``@rpc`` and by every adapter given no registry."""

rpc = registry.rpc
