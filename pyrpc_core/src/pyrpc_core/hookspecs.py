"""Every hook of pyRPC, in one place.

Plugins implement them with ``@pyrpc_core.hookimpl`` and are found through the entry-point
group ``pyrpc`` (``[project.entry-points.pyrpc]`` in a plugin's pyproject.toml). The built-in
adapters and the TypeScript emitter use exactly these hooks, as any third party would.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .plugins import Adapter, Emitter
    from .registry import Registry

hookspec = pluggy.HookspecMarker("pyrpc")


@hookspec
def pyrpc_register_procedures(registry: Registry) -> None:
    """Add procedures to a registry that is about to be served.

    Called once per registry, by the ``Dispatcher`` built for it (every adapter builds one
    when it creates or mounts an app), before the first call is answered and before the
    schema is first built. Add procedures with ``registry.rpc`` or ``registry.add``; a name
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
