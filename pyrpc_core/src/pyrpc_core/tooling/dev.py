"""The session of ``pyrpc dev``: what it serves, swapped in place after each good reload, and the types it writes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..plugins import Emitter
from ..schema import def_origins, dump_snapshot
from .config import SNAPSHOT_FILE
from .files import write_files
from .reload import (
    Loaded,
    Project,
    ReloadError,
    collector_paused,
    describe_changes,
    describe_error,
    summarize_changes,
)


class DevSession:
    """What ``pyrpc dev`` serves, swapped for the new app after each good reload, and the client it writes.

    With ``out`` None the emitter's files go to its own default location in the client
    project (``Emitter.default_out`` below pyrpc.json's ``client_root``), beside the schema
    snapshot, and the emitter links them into the project once (``Emitter.link``).
    """

    def __init__(
        self,
        project: Project,
        loaded: Loaded,
        emitter: Emitter | None,
        out: Path | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.project = project
        self.loaded = loaded
        self.emitter = emitter
        self.options = options or {}
        client = project.config.client_path
        self.in_client = out is None and emitter is not None and emitter.default_out is not None
        if self.in_client and emitter is not None and emitter.default_out is not None:
            out = client / emitter.default_out
        self.out = out
        self.served = Swappable(loaded.app.app)
        self.origins = def_origins(loaded.registry)
        """What each ``$defs`` name of the last good document denotes, to tell renames."""
        self._linked = False
        self._lock = threading.Lock()

    def write_types(self) -> list[Path]:
        """Write the client (and, in the client project, the snapshot); the files that changed."""
        if self.emitter is None or self.out is None:
            return []
        schema = self.loaded.schema
        written = write_files(self.out, self.emitter.generate(schema, **self.options))
        if self.in_client:
            client = self.project.config.client_path
            written += write_files(client, {SNAPSHOT_FILE.as_posix(): dump_snapshot(schema)})
            if not self._linked and self.emitter.link is not None:
                for line in self.emitter.link(client, self.out):
                    click.echo(f"pyrpc dev: {line}")
                self._linked = True
        return written

    def regenerate(self, changed: Collection[Path] | None = None) -> None:
        """Reload the code; on success serve it and write the types, else keep the last good ones.

        ``changed`` are the files saved (the watcher's): only what depends on them is re-imported.
        """
        # The collector stays off until the types are written: a full collection (~65 ms on a
        # 500-procedure project) would otherwise land in the emitter, between the save and the types.
        with self._lock, collector_paused():
            try:
                with self.served.swapping():
                    loaded = self.project.reload() if changed is None else self.project.reload(changed)
                    self.served.app = loaded.app.app
            except ReloadError as exc:
                click.secho(f"pyrpc dev: error: {exc}", fg="red", err=True)
                click.secho("pyrpc dev: still serving the last good version; fix the file and save", err=True)
                return
            previous = self.loaded.schema
            self.loaded = loaded
            origins, self.origins = self.origins, def_origins(loaded.registry)
            try:
                written = self.write_types()
            except Exception as exc:  # an emitter bug must not stop the server
                click.secho(
                    f"pyrpc dev: error: writing types failed: {describe_error(exc, self.project.root)}", err=True
                )
                return
            summary = summarize_changes(describe_changes(previous, loaded.schema))  # after the write: types first
            where = f"; wrote {len(written)} file{'' if len(written) == 1 else 's'}" if written else ""
            click.echo(f"pyrpc dev: reloaded: {summary}{where}")
            for line in describe_renames(origins, self.origins):
                click.echo(f"pyrpc dev: {line}")


def describe_renames(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """A line for each exported type whose name changed: ``User is now PkgA_User (pkg_b.User is named User too)``.

    ``old`` and ``new`` are ``def_origins`` of two successive documents: a name is renamed when
    what it denoted is in both under different names (a class whose two shapes became one, or
    one two, counts: ``NewUser is now NewUserInput``).
    """
    new_names = {origin: name for name, origin in new.items()}
    lines: list[str] = []
    for name, origin in sorted(old.items()):
        plain = origin.removesuffix(_INPUT_ORIGIN)
        renamed = new_names.get(origin)
        reason = ""
        if renamed is None:  # its input shape became its only one, or the other way round
            renamed = new_names.get(plain if origin.endswith(_INPUT_ORIGIN) else origin + _INPUT_ORIGIN)
            if renamed is not None and new.get(name) is None:
                same = origin.endswith(_INPUT_ORIGIN)
                reason = f" (its input and output shapes {'are the same' if same else 'differ'} now)"
        if renamed is None or renamed == name:
            continue
        if not reason:
            reason = _clash(name, renamed, plain, old, new)
        lines.append(f"{name} is now {renamed}{reason}")
    return lines


_INPUT_ORIGIN = " (input)"


def _clash(name: str, renamed: str, plain: str, old: dict[str, str], new: dict[str, str]) -> str:
    """Why ``name`` became ``renamed``: the classes named like it now (newcomers first), or none."""
    others = sorted(
        {
            other.removesuffix(_INPUT_ORIGIN)
            for key, other in new.items()
            if other.removesuffix(_INPUT_ORIGIN) != plain and _may_claim(key, name)
        },
        key=lambda other: (other in old.values(), other),
    )
    if not others:
        return f" (no other class is named {renamed} now)" if len(renamed) < len(name) else ""
    more = f" and {len(others) - 1} more are" if len(others) > 1 else " is"
    return f" ({others[0]}{more} named {name} too)"


def _may_claim(key: str, name: str) -> bool:
    """Whether the ``$defs`` name ``key`` may be ``name`` qualified or hashed (``PkgB_User``, ``User_1f3a9c0e``)."""
    return key == name or key.endswith("_" + name) or key.startswith(name + "_")


class Swappable:
    """An ASGI or WSGI app that forwards to whichever app is current.

    While a reload runs (``swapping``), new requests wait for it: the reload refills the
    registry the current app serves, and a request let through meanwhile could find its
    procedure missing. Requests already running finish with the procedures they found.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self._idle = threading.Event()
        self._idle.set()

    @contextmanager
    def swapping(self) -> Iterator[None]:
        """Hold new requests for the duration of the block."""
        self._idle.clear()
        try:
            yield
        finally:
            self._idle.set()

    def __call__(self, *args: Any) -> Any:
        if len(args) == 3:  # ASGI: scope, receive, send
            return self._asgi(*args)
        self._idle.wait()  # WSGI: each request has a thread of its own
        return self.app(*args)

    async def _asgi(self, scope: Any, receive: Any, send: Any) -> None:
        if not self._idle.is_set():
            await asyncio.to_thread(self._idle.wait)  # never block the event loop
        await self.app(scope, receive, send)
