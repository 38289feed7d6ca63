"""The ``pyrpc`` command: dev, serve, codegen, inspect, check, plugins.

Every failure a user can cause ends in one line on stderr, ``pyrpc <command>: error: <message>``,
and exit status 1 (2 for a command line click cannot parse). A message about a value names
where the value came from: a flag (``--entrypoint``) or pyrpc.json's field.

The heavy modules (the dev session and its reloader, the watcher, the servers) and the
plugins are imported by the commands that use them, so that ``pyrpc --version`` starts fast.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import shlex
import sys
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any, cast

import click

from .config import (
    CONFIG_FILE,
    DEFAULT_EMITTER,
    ENTRYPOINT_PATTERN,
    SNAPSHOT_FILE,
    Config,
    ConfigError,
    check_framework,
    find_module,
    guess_entrypoint,
    read_config,
    save_config,
)
from .files import UnsafeWriteError, write_atomic, write_files

if TYPE_CHECKING:
    import socket

    from ..plugins import Emitter, PluginManager
    from ..registry import Registry
    from .reload import ReloadError

DEFAULTS = {"framework": "fastapi", "entrypoint": "main", "client_root": "../frontend", "distribution": "workspace"}
CONFIG_ENV = "PYRPC_CONFIG"
DEV_INSTALL = 'pip install "pyrpc-core[dev]"'
FLAGS = {
    "framework": "--framework",
    "entrypoint": "--entrypoint",
    "client_root": "--client-root",
    "distribution": "--distribution",
}
"""The ``pyrpc dev`` flag of each pyrpc.json field."""
MODES = {
    "workspace": "pyrpc dev writes the types into the frontend folder (backend and frontend on one machine)",
    "server": "the frontend runs `npx pyrpc sync` against this server (separate repositories)",
}
NPM_COMMANDS = ("sync", "generate")
"""Commands of the npm package's ``npx pyrpc``, which people type here too."""


def plural(count: int, noun: str) -> str:
    """``1 procedure``, ``2 procedures``, ``0 procedures``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _from_file(field: str) -> str:
    return f"pyrpc.json's {json.dumps(field)}"


class CommandError(click.ClickException):
    """A failure with a message a user can act on: ``pyrpc <command>: error: <message>``, exit status 1."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.command = _command_name(click.get_current_context(silent=True))

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"{self.command}: error: {self.format_message()}", file=file, err=file is None)


def _command_name(ctx: click.Context | None) -> str:
    """``pyrpc dev`` for the context of ``dev`` (whatever the program was started as)."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["pyrpc", *reversed(names)])


class _NpmCommand(click.UsageError):
    """``pyrpc sync``: a command of the npm package, typed to the Python one."""

    def __init__(self, name: str, ctx: click.Context) -> None:
        super().__init__(
            f"{name!r} is a command of the npm package @pyrpc/client: run 'npx pyrpc {name}' in the frontend folder",
            ctx,
        )

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"pyrpc: {self.format_message()}", file=file, err=file is None)


class _Pyrpc(click.Group):
    """The ``pyrpc`` group: plugins' commands are added when first needed (not for ``--version``),
    and the npm package's commands are answered with where to run them."""

    plugin_commands_added = False

    def add_plugin_commands(self) -> None:
        if not self.plugin_commands_added:
            from ..plugins import get_plugin_manager

            self.plugin_commands_added = True
            with _plugin_warnings_silenced():
                _add_commands_of(get_plugin_manager())

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and not self.plugin_commands_added:
            self.add_plugin_commands()
            command = super().get_command(ctx, cmd_name)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError:
            if args and args[0] in NPM_COMMANDS:
                raise _NpmCommand(args[0], ctx) from None
            raise


class _InstalledOption(click.Option):
    """An option whose help lists the installed adapters or emitters (``{installed}``),
    looked up only when the help is shown: listing them loads every plugin."""

    def __init__(self, *args: Any, installed: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.installed = installed

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        if self.help and "{installed}" in self.help:
            self.help = self.help.replace("{installed}", _installed(self.installed))
        return super().get_help_record(ctx)


@contextmanager
def _plugin_warnings_silenced() -> Iterator[None]:
    """Plugin problems are printed by the command itself, one line each (see ``main``)."""
    from ..plugins import PluginWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        yield


def _installed(kind: str) -> str:
    from ..plugins import get_plugin_manager

    with _plugin_warnings_silenced():
        manager = get_plugin_manager()
        names = manager.adapters() if kind == "adapters" else manager.emitters()
    return ", ".join(names) or "none installed"


@click.group(cls=_Pyrpc, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pyrpc-core", prog_name="pyrpc")
@click.pass_context
def main(ctx: click.Context) -> None:
    """pyRPC: typed JSON-RPC for Python procedures, with clients generated from the code."""
    if ctx.invoked_subcommand != "plugins":  # which lists them in its own words
        for problem in _plugin_problems():
            click.secho(f"pyrpc: warning: {problem} (see 'pyrpc plugins')", fg="yellow", err=True)


def _plugin_problems() -> list[str]:
    """Every problem of the installed plugins: broken imports, wrong hooks, clashing names and commands."""
    from ..plugins import get_plugin_manager

    main.add_plugin_commands()
    with _plugin_warnings_silenced():
        manager = get_plugin_manager()
        manager.adapters()
        manager.emitters()
    return list(manager.problems)


def _warn(command: str, message: str) -> None:
    click.secho(f"pyrpc {command}: warning: {message}", fg="yellow", err=True)


# -- pyrpc dev -------------------------------------------------------------------------------


@main.command()
@click.option("--reconfigure", is_flag=True, help="Ask every pyrpc.json question again.")
@click.option(
    "--framework", cls=_InstalledOption, installed="adapters", help="Framework adapter (installed: {installed})."
)
@click.option("--entrypoint", help="Python module with the procedures: 'module' or 'module:attribute'.")
@click.option("--client-root", help="The TypeScript client project, relative to pyrpc.json.")
@click.option("--distribution", type=click.Choice(["workspace", "server"]), help="How types reach the client.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--emitter",
    cls=_InstalledOption,
    installed="emitters",
    help="The client emitter to regenerate with (default: pyrpc.json's emitter, typescript; installed: {installed}).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the client into, relative to pyrpc.json (needed for emitters other than typescript).",
)
def dev(
    reconfigure: bool,
    framework: str | None,
    entrypoint: str | None,
    client_root: str | None,
    distribution: str | None,
    host: str,
    port: int,
    emitter: str | None,
    out: Path | None,
) -> None:
    """Serve the API, and regenerate the client 300 ms after each save.

    The first run in a folder without pyrpc.json asks four questions and writes it; given
    every value as a flag, it asks nothing. With the default emitter (typescript), workspace
    mode writes the types into <client_root>/pyrpc/types and server mode leaves them to
    clients (they run 'npx pyrpc sync', which reads GET /rpc). With --out DIR the chosen
    emitter's files go to DIR instead, in either mode.
    """
    if importlib.util.find_spec("watchdog") is None:  # before asking anything
        raise CommandError(f"pyrpc dev needs the file watcher of the dev extra; install it with: {DEV_INSTALL}")
    if emitter is not None and out is None:  # before asking anything
        from ..plugins import PluginError, get_plugin_manager

        try:
            named = get_plugin_manager().get_emitter(emitter)
        except PluginError as exc:
            raise CommandError(f"{exc} (from --emitter)") from None
        if named.default_out is None:
            raise CommandError(f"say where to write the {emitter} client with --out DIR")
    flags = {"framework": framework, "entrypoint": entrypoint, "client_root": client_root, "distribution": distribution}
    path = Path.cwd() / CONFIG_FILE
    _check_flags(flags, path.parent)
    config = configure(path, flags, reconfigure)
    chosen, out_path = _dev_output(config, emitter or config.emitter, out)
    options = _emitter_options(config, chosen)
    source = FLAGS["entrypoint"] if entrypoint is not None else _from_file("entrypoint")
    _check_entrypoint(config.entrypoint, config.root, source)

    from .dev import DevSession
    from .reload import Project, ReloadError
    from .serve import url_of
    from .watch import SourceWatcher

    project = Project(config)
    try:
        loaded = project.load()
    except ReloadError as exc:
        raise CommandError(_reload_message(exc, source)) from None
    sock = _bind(host, port)
    session = DevSession(project, loaded, chosen, out_path, options)
    try:
        session.write_types()
    except (UnsafeWriteError, ValueError) as exc:  # a path that is not ours, a package.json it cannot read
        raise CommandError(str(exc)) from None
    except Exception as exc:  # an emitter bug
        raise CommandError(f"writing the types failed: {_describe_error(exc, config.root)}") from None
    watcher = SourceWatcher(config.root, session.regenerate, ignored=[out_path] if out_path is not None else [])
    watcher.start()  # before saying "serving", so that every save after that line is seen
    url = url_of(sock, loaded.app.endpoint.path)
    click.echo(f"pyrpc dev: {config.distribution} mode, watching {config.root}")
    if chosen is not None and out_path is not None:
        click.echo(f"pyrpc dev: {chosen.name} client in {out_path}")
    elif chosen is not None:
        click.echo(f"pyrpc dev: types in {session.out}")
    else:
        click.echo(f"pyrpc dev: the frontend gets the types with 'npx pyrpc sync' from {url}")
    count = len(loaded.schema["procedures"])
    if count == 0:
        _warn("dev", _no_procedures(config.entrypoint))
    click.echo(f"pyrpc dev: serving {plural(count, 'procedure')} at {url}")
    try:
        _run(loaded.app.adapter.interface, session.served, sock)
    finally:
        watcher.stop()


def configure(path: Path, flags: dict[str, str | None], reconfigure: bool) -> Config:
    """The project's pyrpc.json: loaded and updated by ``flags``, or asked for and written.

    Answers are checked as they are given (a bad one is asked again). Without a terminal,
    questions that meet the end of input stop with exit status 2 and the flags to use instead.
    """
    exists = path.exists()
    try:
        current = read_config(path) if exists else None
    except ConfigError as exc:
        if not reconfigure:
            raise CommandError(f"{exc}; fix the file, or run 'pyrpc dev --reconfigure' to answer again") from None
        # Asked to answer again: say what was wrong, and keep the old bytes beside the new file.
        kept = path.with_name(path.name + ".corrupt")
        try:
            write_atomic(kept, path.read_bytes())
            click.secho(f"pyrpc dev: {exc}; answering again (the old file is kept as {kept.name})", err=True)
        except OSError:  # unreadable: nothing to keep
            click.secho(f"pyrpc dev: {exc}; answering again", err=True)
        current = None
    root = path.parent.resolve()
    values = {field: getattr(current, field) if current else DEFAULTS[field] for field in DEFAULTS}
    asked: set[str] = set()
    if current is None or reconfigure:
        asked = {field for field in DEFAULTS if flags[field] is None}
    if asked:
        from ..plugins import get_plugin_manager

        adapters = list(get_plugin_manager().adapters())
        if current is None:
            guess = guess_entrypoint(root, DEFAULTS["entrypoint"])
            values["entrypoint"] = guess.entrypoint
            if guess.framework in adapters:
                values["framework"] = guess.framework
        if values["framework"] not in adapters and adapters:
            values["framework"] = adapters[0]
        if "framework" in asked and not adapters:
            raise CommandError("no framework adapter is installed; install one, e.g.: pip install pyrpc-fastapi")
        try:
            for field in DEFAULTS:
                if field in asked:
                    values[field] = _ask(field, values[field], adapters, root)
        except click.Abort:
            if sys.stdin is not None and sys.stdin.isatty():
                raise  # interrupted at a terminal
            click.echo()  # end the unanswered question's line
            example = {**values, **{field: value for field, value in flags.items() if value is not None}}
            command = shlex.join(
                ["pyrpc", "dev", *(part for field, flag in FLAGS.items() for part in (flag, example[field]))]
            )
            raise CommandError(
                f"{CONFIG_FILE} needs answers and there is no terminal to ask them (end of input); "
                f"give them as flags: {', '.join(FLAGS.values())}, e.g. {command}",
                exit_code=2,
            ) from None
    values.update({field: value for field, value in flags.items() if value is not None})
    config = Config(path=path.resolve(), **values)  # type: ignore[arg-type]
    if config.distribution == "workspace" and ("client_root" in asked or flags["client_root"] is not None):
        _check_client_root(config)
    try:
        check_framework(config)
        if config != current:
            save_config(config)
            click.echo(f"pyrpc dev: {'updated' if exists else 'wrote'} {path}")
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    return config


def _ask(field: str, default: str, adapters: list[str], root: Path) -> str:
    """One pyrpc.json question; the answer is checked, and asked again when it is wrong."""
    if field == "framework":
        return str(click.prompt("Framework", default=default, type=click.Choice(adapters)))
    if field == "entrypoint":
        return str(
            click.prompt(
                "Python module with your procedures",
                default=default,
                value_proc=lambda answer: _entrypoint_answer(answer, root),
            )
        )
    if field == "client_root":
        return str(click.prompt("TypeScript client folder (relative to this one)", default=default))
    click.echo("How the types reach the frontend:")
    for mode, meaning in MODES.items():
        click.echo(f"  {mode:<9}  {meaning}")
    return str(click.prompt("Types delivery", default=default, type=click.Choice(list(MODES))))


def _entrypoint_answer(answer: str, root: Path) -> str:
    answer = answer.strip()
    problem = _entrypoint_problem(answer, root)
    if problem is not None:
        raise click.UsageError(f"{problem}; {_GIVE_MODULE}")
    return answer


_GIVE_MODULE = "give the module that holds your procedures"


def _entrypoint_problem(entrypoint: str, root: Path) -> str | None:
    """Why ``entrypoint`` names no module of ``root``; None when it does."""
    if not re.fullmatch(ENTRYPOINT_PATTERN, entrypoint):
        return f"entrypoint {entrypoint!r} is not a module name as Python imports it, like main, app.api or main:app"
    if find_module(root, entrypoint) is None:
        return f"entrypoint module {entrypoint.partition(':')[0]!r} not found: no {_module_files(entrypoint)} in {root}"
    return None


def _module_files(entrypoint: str) -> str:
    """``api/v1.py or api/v1/__init__.py``: the files that can hold the module."""
    module = entrypoint.partition(":")[0].replace(".", "/")
    return f"{module}.py or {module}/__init__.py"


def _check_flags(flags: dict[str, str | None], root: Path) -> None:
    """Refuse a flag's bad value before anything is asked or written, naming the flag."""
    from ..plugins import PluginError, get_plugin_manager

    framework, entrypoint = flags["framework"], flags["entrypoint"]
    if framework is not None:
        try:
            get_plugin_manager().get_adapter(framework)
        except PluginError as exc:
            raise CommandError(f"{exc} (from {FLAGS['framework']})") from None
    if entrypoint is not None:
        problem = _entrypoint_problem(entrypoint, root.resolve())
        if problem is not None:
            raise CommandError(f"{problem} (from {FLAGS['entrypoint']}); {_GIVE_MODULE}")


def _check_client_root(config: Config) -> None:
    """Warn (the types are written anyway) when client_root is no frontend project."""
    folder = config.client_path
    if not folder.is_dir():
        problem = "does not exist"
    elif not (folder / "package.json").is_file():
        problem = "has no package.json"
    else:
        return
    _warn(
        "dev",
        f"the client folder {config.client_root} ({folder}) {problem}; "
        f"the types will be written to {config.types_path} anyway",
    )


def _dev_output(config: Config, emitter: str, out: Path | None) -> tuple[Emitter | None, Path | None]:
    """The emitter ``pyrpc dev`` regenerates with and the folder it writes to (None: the types package)."""
    if out is None and config.distribution != "workspace":
        return None, None  # server mode: clients fetch GET /rpc and generate their types themselves
    from ..plugins import PluginError, get_plugin_manager

    try:
        chosen = get_plugin_manager().get_emitter(emitter)
    except PluginError as exc:
        if out is None and str(exc).startswith("no emitter named"):
            raise CommandError(
                f"workspace mode writes TypeScript types, and no emitter named {emitter!r} is installed; "
                f"install it with: {DEV_INSTALL} (or serve in server mode: --distribution server)"
            ) from None
        raise CommandError(str(exc)) from None
    if out is None and chosen.default_out is None:
        raise CommandError(f"say where to write the {emitter} client with --out DIR")
    return chosen, (config.root / out).resolve() if out is not None else None


def _emitter_options(config: Config, chosen: Emitter | None) -> dict[str, Any]:
    """pyrpc.json's ``emitter_options``, checked by the emitter's own model, for the emitter pyrpc.json names."""
    given = config.emitter_options
    if chosen is None or not given or chosen.name != config.emitter:
        return {}
    model = chosen.options_model()
    if model is None:
        raise CommandError(f"{config.path}: field 'emitter_options': the {chosen.name} emitter takes no options")
    from pydantic import ValidationError

    try:
        return dict(model.model_validate(given))
    except ValidationError as exc:
        problems = "; ".join(
            f"field 'emitter_options.{'.'.join(map(str, error['loc']))}': {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise CommandError(f"{config.path}: {problems}") from None


def _reload_message(exc: ReloadError, source: str) -> str:
    """The message of a failed first load: the tooling's own errors as they are (with where the
    value came from), errors of the user's code as ``file:line: ExceptionType: message``."""
    from ..plugins import PluginError
    from .loading import LoadError

    cause = exc.__cause__
    if isinstance(cause, LoadError):
        return _with_source(str(cause), source)
    if isinstance(cause, ConfigError | PluginError):
        return str(cause)
    return str(exc)


def _no_procedures(entrypoint: str) -> str:
    return (
        f"entrypoint {entrypoint!r} has no procedures; "
        "decorate functions with @rpc (in the module or in modules it imports)"
    )


# -- pyrpc serve -----------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1), help="Worker processes (ASGI).")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API of pyrpc.json, without the watcher (for production)."""
    from .loading import LoadError, load_app

    config = _load_config()
    source = _from_file("entrypoint")
    _check_entrypoint(config.entrypoint, config.root, source)
    try:
        loaded = load_app(config)
    except LoadError as exc:
        raise CommandError(_with_source(str(exc), source)) from None
    except Exception as exc:  # the user's module failed to import
        raise CommandError(_describe_error(exc, config.root)) from None
    interface = loaded.adapter.interface
    if workers > 1 and interface != "asgi":
        raise CommandError(f"--workers needs an ASGI framework; {config.framework!r} is served by threads")
    if len(loaded.endpoint.registry) == 0:
        _warn("serve", _no_procedures(config.entrypoint))

    from .serve import run_asgi, run_wsgi, url_of

    sock = _bind(host, port)
    url = url_of(sock, loaded.endpoint.path)  # where the app serves it, not where pyRPC would
    click.echo(f"pyrpc serve: {config.framework} at {url}" + (f", {workers} workers" if workers > 1 else ""))
    os.environ[CONFIG_ENV] = str(config.path)
    if interface == "asgi":
        run_asgi(loaded.app, sock, workers=workers, app_factory=f"{__name__}:app_from_environment")
    else:
        run_wsgi(loaded.app, sock)


def app_from_environment() -> Any:
    """The app of the pyrpc.json named by $PYRPC_CONFIG (what each ``serve --workers`` process imports)."""
    from .loading import load_app

    return load_app(read_config(os.environ[CONFIG_ENV])).app


# -- pyrpc codegen / inspect ------------------------------------------------------------------


def _schema_options(command: Any) -> Any:
    command = click.option("--entrypoint", help="Import this module ('module' or 'module:attribute').")(command)
    return click.option("--url", help="Fetch the schema from a running server (GET), e.g. http://host:8000/rpc.")(
        command
    )


@main.command()
@_schema_options
@click.option(
    "--emitter",
    cls=_InstalledOption,
    installed="emitters",
    help="The client emitter (default: pyrpc.json's emitter, typescript; installed: {installed}).",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder to write the files into.")
def codegen(url: str | None, entrypoint: str | None, emitter: str | None, out: Path | None) -> None:
    """Generate client code from the schema, once.

    The schema comes from --url, --entrypoint, or pyrpc.json's entrypoint; a URL's answer is
    checked to be a pyRPC schema before anything is written. Without --out the files go where
    the emitter puts them in pyrpc.json's client project (TypeScript: <client_root>/pyrpc/types,
    with the schema snapshot in <client_root>/pyrpc/schema.json), as pyrpc dev writes them.
    """
    from ..plugins import PluginError, get_plugin_manager
    from ..schema import dump_snapshot

    config = _load_config(check=False) if (Path.cwd() / CONFIG_FILE).exists() else None
    name = emitter or (config.emitter if config is not None else DEFAULT_EMITTER)
    try:
        chosen = get_plugin_manager().get_emitter(name)
    except PluginError as exc:
        unknown = str(exc).startswith("no emitter named") and name != DEFAULT_EMITTER
        source = "--emitter" if emitter else _from_file("emitter")
        raise CommandError(f"{exc} (from {source})" if unknown else str(exc)) from None
    client: Path | None = None  # set: the files go to the emitter's place in the client project
    if out is None:
        if chosen.default_out is None or config is None:
            raise CommandError(f"say where to write the {name} client with --out DIR")
        client = config.client_path
        out = client / chosen.default_out
    options = _emitter_options(config, chosen) if config is not None else {}
    schema = _schema(url, entrypoint)
    files = chosen.generate(schema, **options)
    notes: list[str] = []
    try:
        written = write_files(out, files)
        if client is not None:  # beside the snapshot, linked into the project, as pyrpc dev does
            written += write_files(client, {SNAPSHOT_FILE.as_posix(): dump_snapshot(schema)})
            notes = chosen.link(client, out) if chosen.link is not None else []
    except (UnsafeWriteError, ValueError) as exc:  # the link step's refusals are ValueErrors
        raise CommandError(str(exc)) from None
    click.echo(f"pyrpc codegen: {name}: {plural(len(files), 'file')} in {out} ({len(written)} changed)")
    for note in notes:
        click.echo(f"pyrpc codegen: {note}")


@main.command()
@_schema_options
@click.option("--json", "as_json", is_flag=True, help="Print the schema document as JSON.")
def inspect(url: str | None, entrypoint: str | None, as_json: bool) -> None:
    """Show the procedures: a table, or the schema document with --json."""
    schema = _schema(url, entrypoint)
    if as_json:
        click.echo(json.dumps(schema, indent=2, ensure_ascii=False))
        return
    rows = [("PROCEDURE", "PARAMS", "RESULT", "DOC")]
    for name, entry in schema["procedures"].items():
        procedure: dict[str, Any] = entry if isinstance(entry, dict) else {}
        raw = procedure.get("params")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        required = set(params.get("required", []))
        signature = ", ".join(
            f"{param}{'' if param in required else '?'}: {type_label(spec)}"
            for param, spec in params.get("properties", {}).items()
        )
        doc = str(procedure.get("doc") or "").split("\n", 1)[0]
        rows.append((str(name), signature, type_label(procedure.get("result", {})), doc))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3])
    click.echo(plural(len(rows) - 1, "procedure"))


def type_label(schema: Any) -> str:
    """A short, readable name for a JSON Schema (for tables, not for code)."""
    from ..bigint import BIGINT_FORMAT  # here: the CLI starts without pydantic (pyrpc inspect has it by now)

    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema or "oneOf" in schema:
        options: list[Any] = schema.get("anyOf") or schema.get("oneOf") or []
        return " | ".join(type_label(option) for option in options)
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type")
    if kind == "string" and schema.get("format") == BIGINT_FORMAT:
        return "BigInt"  # an int carried as a string of digits (pyrpc_core.BigInt)
    if kind == "array":
        if "prefixItems" in schema:
            return "[" + ", ".join(type_label(item) for item in schema["prefixItems"]) + "]"
        return f"{type_label(schema.get('items', {}))}[]"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"{{[key]: {type_label(schema['additionalProperties'])}}}"
    names = {
        "integer": "int",
        "number": "float",
        "string": "str",
        "boolean": "bool",
        "null": "null",
        "object": "object",
    }
    return names.get(str(kind), "any") if kind else "any"


# -- pyrpc check ------------------------------------------------------------------------------


@main.command()
@click.option(
    "--against",
    metavar="FILE_OR_URL",
    help="The saved schema, a file or a server's URL (default: pyrpc.json's client project's pyrpc/schema.json).",
)
@_schema_options
@click.option("--json", "as_json", is_flag=True, help='Print the changes as JSON: {"breaking": [...], "safe": [...]}.')
def check(against: str | None, url: str | None, entrypoint: str | None, as_json: bool) -> None:
    """Compare the API with a saved schema: what breaks its clients.

    Lists each change, breaking or safe, and exits with status 1 when one is breaking. The
    saved schema is --against, else the client project's snapshot (<client_root>/pyrpc/schema.json,
    written by pyrpc dev in workspace mode and by npx pyrpc sync). The current API comes from
    --url, --entrypoint or pyrpc.json's entrypoint.
    """
    from .check import CheckError, compare, format_change, load_saved, summary, to_document

    if against is None:
        if not (Path.cwd() / CONFIG_FILE).exists():
            raise CommandError(
                f"no saved schema to check against: give --against FILE_OR_URL, or run in the folder of {CONFIG_FILE} "
                "(whose client project's pyrpc/schema.json is the default)"
            )
        against = str(_load_config(check=False).snapshot_path)
    try:
        saved = load_saved(against)
    except CheckError as exc:
        raise CommandError(str(exc)) from None
    changes = compare(saved, _schema(url, entrypoint))
    if as_json:
        click.echo(json.dumps(to_document(changes), indent=2, ensure_ascii=False))
    else:
        for change in changes:
            click.secho(format_change(change), fg="red" if change.breaking else None)
        click.echo(summary(changes))
    if any(change.breaking for change in changes):
        raise SystemExit(1)


# -- pyrpc plugins ----------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the plugins and problems as JSON.")
@click.option("--check", is_flag=True, help="Exit with status 1 when a plugin has a problem.")
def plugins(as_json: bool, check: bool) -> None:
    """List the installed plugins: distribution, version, hooks, adapters and emitters.

    Plugins that were left out (an import that fails, a hook with a wrong signature, a name
    another plugin claims too) are listed after them, naming the plugin; the rest works.
    """
    from ..plugins import get_plugin_manager

    with _plugin_warnings_silenced():
        infos = get_plugin_manager().plugin_infos()
    problems = _plugin_problems()
    if as_json:
        document = {"plugins": [dataclasses.asdict(info) for info in infos], "problems": problems}
        click.echo(json.dumps(document, indent=2))
    else:
        for info in infos:
            source = f"{info.distribution} {info.version}" if info.distribution else "registered by code"
            click.echo(f"{info.name}  ({source}; {info.module})")
            click.echo(f"  hooks:    {', '.join(info.hooks) or 'none'}")
            for kind, names in (("adapters", info.adapters), ("emitters", info.emitters)):
                if names:
                    click.echo(f"  {kind}: {', '.join(names)}")
        click.echo(plural(len(infos), "plugin"))
        if problems:
            click.echo(f"\n{plural(len(problems), 'problem')} (the other plugins work):", err=True)
            for problem in problems:
                click.secho(f"  - {problem}", fg="yellow", err=True)
    if check and problems:
        raise SystemExit(1)


# -- helpers ---------------------------------------------------------------------------------


def _schema(url: str | None, entrypoint: str | None) -> dict[str, Any]:
    """The schema document of ``--url`` (fetched and checked), ``--entrypoint`` or pyrpc.json's entrypoint."""
    if url and entrypoint:
        raise click.UsageError("give --url or --entrypoint, not both")
    if url:
        from .remote import SchemaError, fetch_schema

        try:
            return fetch_schema(url)
        except SchemaError as exc:
            raise CommandError(str(exc)) from None
    root, source = Path.cwd(), FLAGS["entrypoint"]
    config = None
    if entrypoint is None:
        config = _load_config(check=False)
        entrypoint, root, source = config.entrypoint, config.root, _from_file("entrypoint")
    _check_entrypoint(entrypoint, root, source)
    from ..schema import build_schema
    from .loading import LoadError, import_entrypoint, load_app

    module_name, _, attr = entrypoint.partition(":")
    try:
        if config is not None:
            # Through the app, as pyrpc dev and serve load it: the types are those of what it serves
            # (a Django urlconf, say, registers its procedures only when the app loads it).
            return load_app(config).endpoint.schema()
        return build_schema(_registry_of(import_entrypoint(module_name, str(root)), attr))
    except LoadError as exc:
        raise CommandError(_with_source(str(exc), source)) from None
    except Exception as exc:  # the user's module failed to import
        raise CommandError(_describe_error(exc, root)) from None


def _registry_of(module: ModuleType, attr: str) -> Registry:
    """The registry an entrypoint serves: ``module:attr`` naming a ``Registry``, else ``module_registry``."""
    from ..registry import Registry
    from .loading import LoadError, module_registry

    if attr and not hasattr(module, attr):
        raise LoadError(f"entrypoint {module.__name__}:{attr}: module {module.__name__!r} has no {attr!r}")
    named = getattr(module, attr, None) if attr else None
    return named if isinstance(named, Registry) else module_registry(module)


def _check_entrypoint(entrypoint: str, root: Path, source: str) -> None:
    """Refuse an entrypoint whose module is neither in ``root`` nor installed, naming ``source``.

    Nothing is imported: a module found here may still fail to import, which the import reports.
    """
    if find_module(root, entrypoint) is not None:
        return
    module = entrypoint.partition(":")[0]
    top = module.split(".")[0]
    in_root = (root / f"{top}.py").is_file() or (root / top).is_dir()
    if not in_root and importlib.util.find_spec(top) is not None:
        return  # an installed package: the import tells
    raise CommandError(
        f"entrypoint module {module!r} not found: no {_module_files(module)} in {root} (from {source}); {_GIVE_MODULE}"
    )


def _with_source(message: str, source: str) -> str:
    """A loading error's message, with where the entrypoint came from unless it says so already."""
    return message if CONFIG_FILE in message else f"{message} (from {source})"


def _describe_error(exc: BaseException, root: Path) -> str:
    """``file:line: ExceptionType: message`` for an error raised by the user's code."""
    try:
        from .reload import describe_error
    except ImportError:  # the reloader needs the dev extra (its watcher); say what can be said without it
        return f"{type(exc).__name__}: {exc}"
    return describe_error(exc, root)


def _load_config(check: bool = True) -> Config:
    path = Path.cwd() / CONFIG_FILE
    try:
        config = read_config(path)
        if check:
            check_framework(config)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    return config


def _bind(host: str, port: int) -> socket.socket:
    from .serve import ServeError, bind

    try:
        return bind(host, port)
    except ServeError as exc:
        raise CommandError(str(exc)) from None


def _run(interface: str, app: Any, sock: socket.socket) -> None:
    from .serve import run_asgi, run_wsgi

    if interface == "asgi":
        run_asgi(app, sock)
    else:
        run_wsgi(app, sock)


def _add_commands_of(manager: PluginManager) -> None:
    for impl in manager.hook.pyrpc_cli_commands.get_hookimpls():
        try:
            commands = list(cast("Iterable[click.Command]", impl.function()))
        except Exception as exc:  # a broken plugin must not break the command
            manager.report(
                f"plugin {manager.describe(impl.plugin_name)} failed in pyrpc_cli_commands: {type(exc).__name__}: {exc}"
            )
            continue
        for command in commands:
            if not isinstance(command, click.Command):
                manager.report(
                    f"plugin {manager.describe(impl.plugin_name)} returned {command!r} from pyrpc_cli_commands, "
                    "not a click.Command"
                )
            elif command.name in main.commands:
                manager.report(
                    f"plugin {manager.describe(impl.plugin_name)} adds command {command.name!r}, which is taken; "
                    "left out"
                )
            else:
                main.add_command(command)


def __getattr__(name: str) -> Any:
    """``DevSession``, importable from here as before, without importing it for every command."""
    if name == "DevSession":
        from .dev import DevSession

        return DevSession
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
