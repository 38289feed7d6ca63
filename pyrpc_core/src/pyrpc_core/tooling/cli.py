"""The ``pyrpc`` command: dev, serve, codegen, inspect, plugins.

Every failure a user can cause ends in one message saying what to do and exit status 1
(2 for a command line click cannot parse).
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import click

from ..client import RPCClient, TransportError
from ..plugins import Emitter, PluginError, PluginManager, PluginWarning, get_plugin_manager
from ..schema import build_schema
from .config import CONFIG_FILE, Config, ConfigError, check_framework, read_config, save_config
from .dev import DevSession
from .files import UnsafeWriteError, write_atomic, write_files
from .loading import LoadError, load_app
from .reload import Project, ReloadError, describe_error, load_registry
from .serve import ServeError, bind, run_asgi, run_wsgi, url_of
from .watch import SourceWatcher

DEFAULTS = {"framework": "fastapi", "entrypoint": "main", "client_root": "../frontend", "distribution": "workspace"}
CONFIG_ENV = "PYRPC_CONFIG"


class CommandError(click.ClickException):
    """A failure with a message a user can act on; exit status 1."""


@contextmanager
def _plugin_warnings_silenced() -> Iterator[None]:
    """Plugin problems are printed by the command itself, one line each (see ``main``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        yield


def _installed(kind: str) -> str:
    with _plugin_warnings_silenced():
        manager = get_plugin_manager()
        names = manager.adapters() if kind == "adapters" else manager.emitters()
    return ", ".join(names) or "none installed"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pyrpc-core", prog_name="pyrpc")
@click.pass_context
def main(ctx: click.Context) -> None:
    """pyRPC: typed JSON-RPC for Python procedures, with clients generated from the code."""
    if ctx.invoked_subcommand != "plugins":  # which lists them in its own words
        for problem in _plugin_problems():
            click.secho(f"pyrpc: warning: {problem} (see 'pyrpc plugins')", fg="yellow", err=True)


def _plugin_problems() -> list[str]:
    """Every problem of the installed plugins: broken imports, wrong hooks, clashing names."""
    with _plugin_warnings_silenced():
        manager = get_plugin_manager()
        manager.adapters()
        manager.emitters()
    return list(manager.problems)


# -- pyrpc dev -------------------------------------------------------------------------------


@main.command()
@click.option("--reconfigure", is_flag=True, help="Ask every pyrpc.json question again.")
@click.option("--framework", help=f"Framework adapter (installed: {_installed('adapters')}).")
@click.option("--entrypoint", help="Python module with the procedures: 'module' or 'module:attribute'.")
@click.option("--client-root", help="The TypeScript client project, relative to pyrpc.json.")
@click.option("--distribution", type=click.Choice(["workspace", "server"]), help="How types reach the client.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--emitter",
    default="typescript",
    show_default=True,
    help=f"The client emitter to regenerate with (installed: {_installed('emitters')}).",
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
    emitter: str,
    out: Path | None,
) -> None:
    """Serve the API, and regenerate the client 300 ms after each save.

    The first run in a folder without pyrpc.json asks four questions and writes it; given
    every value as a flag, it asks nothing. With the default emitter (typescript), workspace
    mode writes the types into <client_root>/node_modules/@pyrpc/types and server mode
    leaves them to clients (they fetch GET /rpc). With --out DIR the chosen emitter's files
    go to DIR instead, in either mode.
    """
    if out is None and emitter != "typescript":  # before asking anything
        raise CommandError(f"say where to write the {emitter} client with --out DIR")
    flags = {"framework": framework, "entrypoint": entrypoint, "client_root": client_root, "distribution": distribution}
    config = configure(Path.cwd() / CONFIG_FILE, flags, reconfigure)
    chosen, out_path = _dev_output(config, emitter, out)
    project = Project(config)
    try:
        loaded = project.load()
    except ReloadError as exc:
        raise CommandError(str(exc)) from None
    sock = _bind(host, port)
    session = DevSession(project, loaded, chosen, out_path)
    session.write_types()
    watcher = SourceWatcher(config.root, session.regenerate, ignored=[out_path] if out_path is not None else [])
    watcher.start()  # before saying "serving", so that every save after that line is seen
    click.echo(f"pyrpc dev: {config.distribution} mode, watching {config.root}")
    if chosen is not None and out_path is not None:
        click.echo(f"pyrpc dev: {chosen.name} client in {out_path}")
    click.echo(f"pyrpc dev: serving {len(loaded.schema['procedures'])} procedures at {url_of(sock)}")
    try:
        _run(loaded.app.adapter.interface, session.served, sock)
    finally:
        watcher.stop()


def configure(path: Path, flags: dict[str, str | None], reconfigure: bool) -> Config:
    """The project's pyrpc.json: loaded and updated by ``flags``, or asked for and written."""
    exists = path.exists()
    try:
        current = read_config(path) if exists else None
    except ConfigError as exc:
        if not reconfigure:
            raise CommandError(f"{exc}\n(fix the file, or run 'pyrpc dev --reconfigure' to answer again)") from None
        # Asked to answer again: say what was wrong, and keep the old bytes beside the new file.
        kept = path.with_name(path.name + ".corrupt")
        try:
            write_atomic(kept, path.read_bytes())
            click.secho(f"pyrpc dev: {exc}; answering again (the old file is kept as {kept.name})", err=True)
        except OSError:  # unreadable: nothing to keep
            click.secho(f"pyrpc dev: {exc}; answering again", err=True)
        current = None
    values = {field: getattr(current, field) if current else DEFAULTS[field] for field in DEFAULTS}
    if current is None or reconfigure:
        adapters = list(get_plugin_manager().adapters())
        for field, prompt in (
            ("framework", "Framework"),
            ("entrypoint", "Python module with your procedures"),
            ("client_root", "TypeScript client folder (relative to this one)"),
            ("distribution", "Types delivery"),
        ):
            if flags[field] is not None:
                continue
            choices = {"framework": adapters, "distribution": ["workspace", "server"]}.get(field)
            default = values[field]
            if choices and default not in choices:
                default = choices[0]
            values[field] = click.prompt(
                prompt, default=default, type=click.Choice(choices) if choices else str, show_choices=True
            )
    values.update({field: value for field, value in flags.items() if value is not None})
    config = Config(path=path.resolve(), **values)  # type: ignore[arg-type]
    try:
        check_framework(config)
        if config != current:
            save_config(config)
            click.echo(f"pyrpc dev: {'updated' if exists else 'wrote'} {path}")
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    return config


def _dev_output(config: Config, emitter: str, out: Path | None) -> tuple[Emitter | None, Path | None]:
    """The emitter ``pyrpc dev`` regenerates with and the folder it writes to (None: the types package)."""
    if out is None and config.distribution != "workspace":
        return None, None  # server mode: clients fetch GET /rpc and generate their types themselves
    try:
        chosen = get_plugin_manager().get_emitter(emitter)
    except PluginError as exc:
        raise CommandError(f"workspace mode writes TypeScript types: {exc}" if out is None else str(exc)) from None
    return chosen, (config.root / out).resolve() if out is not None else None


# -- pyrpc serve -----------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1), help="Worker processes (ASGI).")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API of pyrpc.json, without the watcher (for production)."""
    config = _load_config()
    try:
        loaded = load_app(config)
    except LoadError as exc:
        raise CommandError(str(exc)) from None
    except Exception as exc:  # the user's module failed to import
        raise CommandError(describe_error(exc, config.root)) from None
    interface = loaded.adapter.interface
    if workers > 1 and interface != "asgi":
        raise CommandError(f"--workers needs an ASGI framework; {config.framework!r} is served by threads")
    sock = _bind(host, port)
    click.echo(f"pyrpc serve: {config.framework} at {url_of(sock)}" + (f", {workers} workers" if workers > 1 else ""))
    os.environ[CONFIG_ENV] = str(config.path)
    if interface == "asgi":
        run_asgi(loaded.app, sock, workers=workers, app_factory=f"{__name__}:app_from_environment")
    else:
        run_wsgi(loaded.app, sock)


def app_from_environment() -> Any:
    """The app of the pyrpc.json named by $PYRPC_CONFIG (what each ``serve --workers`` process imports)."""
    return load_app(read_config(os.environ[CONFIG_ENV])).app


# -- pyrpc codegen / inspect ------------------------------------------------------------------


def _schema_options(command: Any) -> Any:
    command = click.option("--entrypoint", help="Import this module ('module' or 'module:attribute').")(command)
    return click.option("--url", help="Fetch the schema from a running server (GET).")(command)


@main.command()
@_schema_options
@click.option(
    "--emitter",
    default="typescript",
    show_default=True,
    help=f"The client emitter (installed: {_installed('emitters')}).",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder to write the files into.")
def codegen(url: str | None, entrypoint: str | None, emitter: str, out: Path | None) -> None:
    """Generate client code from the schema, once.

    The schema comes from --url, --entrypoint, or pyrpc.json's entrypoint. Without --out,
    TypeScript goes to pyrpc.json's <client_root>/node_modules/@pyrpc/types.
    """
    try:
        chosen = get_plugin_manager().get_emitter(emitter)
    except PluginError as exc:
        raise CommandError(str(exc)) from None
    schema = _schema(url, entrypoint)
    if out is None:
        if emitter != "typescript" or not (Path.cwd() / CONFIG_FILE).exists():
            raise CommandError("say where to write the files with --out DIR")
        out = _load_config(check=False).types_path
    files = chosen.generate(schema)
    try:
        written = write_files(out, files)
    except UnsafeWriteError as exc:
        raise CommandError(str(exc)) from None
    click.echo(f"pyrpc codegen: {emitter}: {len(files)} files in {out} ({len(written)} changed)")


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
    for name, procedure in schema["procedures"].items():
        params = procedure["params"]
        required = set(params.get("required", []))
        signature = ", ".join(
            f"{param}{'' if param in required else '?'}: {type_label(spec)}"
            for param, spec in params.get("properties", {}).items()
        )
        doc = (procedure.get("doc") or "").split("\n", 1)[0]
        rows.append((name, signature, type_label(procedure["result"]), doc))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3])
    click.echo(f"{len(rows) - 1} procedures")


def type_label(schema: dict[str, Any]) -> str:
    """A short, readable name for a JSON Schema (for tables, not for code)."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema or "oneOf" in schema:
        return " | ".join(type_label(option) for option in schema.get("anyOf", schema.get("oneOf", [])))
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type")
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


# -- pyrpc plugins ----------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the plugins and problems as JSON.")
@click.option("--check", is_flag=True, help="Exit with status 1 when a plugin has a problem.")
def plugins(as_json: bool, check: bool) -> None:
    """List the installed plugins: distribution, version, hooks, adapters and emitters.

    Plugins that were left out (an import that fails, a hook with a wrong signature, a name
    another plugin claims too) are listed after them, naming the plugin; the rest works.
    """
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
        click.echo(f"{len(infos)} plugins")
        if problems:
            click.echo(f"\n{len(problems)} problems (the other plugins work):", err=True)
            for problem in problems:
                click.secho(f"  - {problem}", fg="yellow", err=True)
    if check and problems:
        raise SystemExit(1)


# -- helpers ---------------------------------------------------------------------------------


def _schema(url: str | None, entrypoint: str | None) -> dict[str, Any]:
    if url and entrypoint:
        raise click.UsageError("give --url or --entrypoint, not both")
    if url:
        try:
            return RPCClient(url).schema()
        except (TransportError, ValueError) as exc:
            raise CommandError(f"cannot fetch the schema from {url}: {exc}") from None
    root = Path.cwd()
    if entrypoint is None:
        config = _load_config(check=False)
        entrypoint, root = config.entrypoint, config.root
    try:
        registry = load_registry(entrypoint, root)
        return build_schema(registry)
    except LoadError as exc:
        raise CommandError(str(exc)) from None
    except Exception as exc:  # the user's module failed to import
        raise CommandError(describe_error(exc, root)) from None


def _load_config(check: bool = True) -> Config:
    path = Path.cwd() / CONFIG_FILE
    try:
        config = read_config(path)
        if check:
            check_framework(config)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    return config


def _bind(host: str, port: int) -> Any:
    try:
        return bind(host, port)
    except ServeError as exc:
        raise CommandError(str(exc)) from None


def _run(interface: str, app: Any, sock: Any) -> None:
    if interface == "asgi":
        run_asgi(app, sock)
    else:
        run_wsgi(app, sock)


def _add_plugin_commands() -> None:
    with _plugin_warnings_silenced():
        _add_commands_of(get_plugin_manager())


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


_add_plugin_commands()
