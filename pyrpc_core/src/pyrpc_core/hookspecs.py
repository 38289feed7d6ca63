"""Every hook of pyRPC, in one place.

Plugins implement them with ``@pyrpc_core.hookimpl`` and are found through the entry-point
group ``pyrpc`` (``[project.entry-points.pyrpc]`` in a plugin's pyproject.toml). The built-in
adapters and the TypeScript emitter use exactly these hooks, as any third party would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .context import Context
    from .plugins import Adapter, Emitter
    from .procedure import Procedure
    from .registry import Registry

hookspec = pluggy.HookspecMarker("pyrpc")


@hookspec
def pyrpc_register_procedures(registry: Registry) -> None:
    """Add procedures to a registry that is about to be served.

    Called once per registry, by the ``Endpoint`` built for it (every adapter builds one when
    it creates or mounts an app) and by the tooling before it builds a schema, before the
    first call is answered. Add procedures with ``registry.rpc`` or ``registry.add``; a name
    that is already taken raises ``RegistrationError``.

    Returns nothing.
    """


@hookspec
def pyrpc_amend_schema(schema: dict[str, Any], registry: Registry) -> None:
    """Change the introspection document after it is built, in place.

    Called by ``pyrpc_core.schema.build_schema`` each time a document is built for
    ``registry`` (``GET /rpc``, codegen, the dev watcher), with the finished document: add
    keys, annotate procedures, or drop internal ones. The keys of the public format
    (``version``, ``procedures`` with ``name``, ``doc``, ``params``, ``result``, and
    ``$defs``) must keep their meaning.

    Returns nothing; the document passed in is the one served.
    """


@hookspec
def pyrpc_adapters() -> Iterable[Adapter]:
    """Provide framework adapters, as ``pyrpc_core.Adapter`` descriptors.

    Called once when the plugin manager first lists the adapters (loading pyrpc.json, whose
    ``framework`` names one of them, and ``pyrpc dev``/``pyrpc serve`` choosing the server).
    A name claimed by two plugins is reported, naming both, and neither is used.

    Returns an iterable of ``Adapter``.
    """
    raise NotImplementedError  # a specification; plugins implement it


@hookspec
def pyrpc_emitters() -> Iterable[Emitter]:
    """Provide client emitters, as ``pyrpc_core.Emitter`` descriptors.

    Called once when the plugin manager first lists the emitters (``pyrpc codegen
    --emitter NAME`` and ``pyrpc dev --emitter NAME``, whose default is ``typescript``).
    A name claimed by two plugins is reported, naming both, and neither is used.

    Returns an iterable of ``Emitter``.
    """
    raise NotImplementedError  # a specification; plugins implement it


@hookspec
def pyrpc_cli_commands() -> Iterable[click.Command]:
    """Provide extra ``pyrpc`` subcommands, as click commands (or groups).

    Called once when the ``pyrpc`` command starts, before it parses its arguments. A command
    whose name is taken (by a built-in command or another plugin) is reported and left out.

    Returns an iterable of ``click.Command``.
    """
    raise NotImplementedError  # a specification; plugins implement it


@hookspec(firstresult=True)
def pyrpc_call(procedure: Procedure, params: Mapping[str, Any], context: Context, call: Callable[[], Any]) -> Any:
    """Run around every call of a procedure: tracing, metrics, logging.

    Called by the dispatcher for each call it runs (each call of a batch on its own), after
    the guards let it through, with the procedure, its validated parameters by name (the
    ``Context`` parameter left out) and the request's ``Context``. Implement it as a pluggy
    wrapper, which sees the result or the exception (an ``RpcError`` included)::

        @hookimpl(wrapper=True)
        def pyrpc_call(procedure, params, context):
            started = time.perf_counter()
            try:
                return (yield)
            finally:
                record(procedure.name, time.perf_counter() - started)

    The wrappers of a sync procedure run in its worker thread. Those of an async procedure run
    on the event loop around the awaited coroutine, in one context with it, so a span a
    wrapper makes current is current inside the call (pluggy cannot await, so pyRPC runs
    ``wrapper=True`` generators the way pluggy would; an old-style ``hookwrapper`` makes each
    async call wait in a thread instead). With no plugin implementing this hook, calls pay
    nothing for it. ``call`` runs the procedure: pyRPC's own innermost implementation calls
    it, and wrappers leave it alone.

    Returns the procedure's result.
    """
    raise NotImplementedError  # a specification; pyRPC's own implementation runs the call
