"""pyrpc.json: the project's settings, loaded and checked in one place.

::

    {"version": 1, "framework": "fastapi", "entrypoint": "main",
     "client_root": "../frontend", "distribution": "workspace"}

Paths in the file are relative to its folder and resolved when it is loaded. Every invalid
value is reported with the file and the field it is in.

In workspace mode the types go to ``<client_root>/pyrpc/types`` (a package the frontend's
package.json depends on as ``"@pyrpc/types": "file:pyrpc/types"``) and the schema snapshot
to ``<client_root>/pyrpc/schema.json``. ``guess_entrypoint`` and ``find_module`` serve the
first run of ``pyrpc dev``: they read the project's files and never import them.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .files import write_atomic

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..plugins import PluginManager

CONFIG_FILE = "pyrpc.json"
DEFAULT_PATH = "/rpc"
DEFAULT_EMITTER = "typescript"
TYPES_FOLDER = Path("pyrpc", "types")
"""Where workspace mode writes the ``@pyrpc/types`` package, below the client project."""
SNAPSHOT_FILE = Path("pyrpc", "schema.json")
"""Where workspace mode writes the schema snapshot, below the client project."""

Distribution = Literal["workspace", "server"]

ENTRYPOINT_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*)?$"
"""``module`` or ``module:attribute``, the module's name dotted as Python imports it."""


class ConfigError(Exception):
    """pyrpc.json is missing, unreadable or holds an invalid value; the message names file and field."""


@functools.cache
def file_model() -> type[BaseModel]:
    """The file's format, exactly (made on first use: ``pyrpc --version`` imports no pydantic)."""
    from pydantic import BaseModel, ConfigDict, Field

    strict = ConfigDict(extra="forbid", strict=True)

    class LimitsFile(BaseModel):
        model_config = strict
        max_body_bytes: int | None = None
        max_batch: int | None = None
        max_depth: int | None = None
        max_string: int | None = None
        timeout: float | None = None
        max_in_flight: int | None = None
        max_waiting: int | None = None
        threads: int | None = None
        max_streams: int | None = None
        stream_seconds: float | None = None
        stream_heartbeat: float | None = None

    class CorsFile(BaseModel):
        model_config = strict
        allow_origins: list[str]
        allow_methods: list[str] | None = None
        allow_headers: list[str] | None = None
        expose_headers: list[str] | None = None
        allow_credentials: bool | None = None
        max_age: int | None = None

    class EndpointFile(BaseModel):
        model_config = strict
        path: str = Field(default=DEFAULT_PATH, pattern=r"^/")
        introspection: bool | None = None
        debug: bool | None = None
        limits: LimitsFile | None = None
        cors: CorsFile | None = None

    class ConfigFile(BaseModel):
        model_config = strict

        version: Literal[1]
        framework: str = Field(min_length=1)
        entrypoint: str = Field(pattern=ENTRYPOINT_PATTERN)
        client_root: str = Field(min_length=1)
        distribution: Distribution
        endpoint: EndpointFile | None = None
        emitter: str = Field(default=DEFAULT_EMITTER, min_length=1)
        emitter_options: dict[str, Any] | None = None

    return ConfigFile


@dataclass(frozen=True)
class Config:
    """A loaded pyrpc.json. ``client_root`` is kept as written; ``client_path`` is resolved.

    ``endpoint`` and ``emitter_options`` are kept as written (JSON objects, or None when
    absent); ``endpoint_options`` are the endpoint's, built and checked from ``endpoint``.
    """

    path: Path
    framework: str
    entrypoint: str
    client_root: str
    distribution: Distribution
    version: int = 1
    endpoint: dict[str, Any] | None = None
    emitter: str = DEFAULT_EMITTER
    emitter_options: dict[str, Any] | None = None

    @property
    def endpoint_path(self) -> str:
        """Where the app pyRPC builds serves the endpoint, and which endpoint of the user's app the tooling uses."""
        return str((self.endpoint or {}).get("path", DEFAULT_PATH))

    @property
    def endpoint_options(self) -> dict[str, Any]:
        """``pyrpc_core.endpoint.Options`` from ``endpoint``: ``debug``, ``introspection``, ``limits``, ``cors``."""
        return _endpoint_options(self.endpoint or {}, self.path)

    @property
    def root(self) -> Path:
        """The folder of pyrpc.json, against which relative paths resolve."""
        return self.path.parent

    @property
    def client_path(self) -> Path:
        return (self.root / self.client_root).resolve()

    @property
    def types_path(self) -> Path:
        """Where workspace mode writes the ``@pyrpc/types`` package: ``<client_root>/pyrpc/types``."""
        return self.client_path / TYPES_FOLDER

    @property
    def snapshot_path(self) -> Path:
        """Where workspace mode writes the schema snapshot: ``<client_root>/pyrpc/schema.json``."""
        return self.client_path / SNAPSHOT_FILE

    def updated(self, **changes: Any) -> Config:
        return replace(self, **changes)

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "version": self.version,
            "framework": self.framework,
            "entrypoint": self.entrypoint,
            "client_root": self.client_root,
            "distribution": self.distribution,
        }
        # The optional fields, only when the file has them (the first run writes the five above).
        if self.endpoint is not None:
            data["endpoint"] = self.endpoint
        if self.emitter != DEFAULT_EMITTER:
            data["emitter"] = self.emitter
        if self.emitter_options is not None:
            data["emitter_options"] = self.emitter_options
        return (json.dumps(data, indent=2) + "\n").encode()


def load_config(path: Path | str, plugins: PluginManager | None = None) -> Config:
    """Read and check ``path``; ``framework`` must name an installed adapter."""
    config = read_config(path)
    check_framework(config, plugins)
    return config


def read_config(path: Path | str) -> Config:
    """Read ``path`` and check its format (the framework is not looked up)."""
    path = Path(path).resolve()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; run 'pyrpc dev' in the project folder to create it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}") from exc
    return _validate(raw, path)


def check_framework(config: Config, plugins: PluginManager | None = None) -> None:
    """Raise ``ConfigError`` unless ``config.framework`` is an installed adapter."""
    from ..plugins import PluginError, get_plugin_manager

    manager = plugins if plugins is not None else get_plugin_manager()
    try:
        manager.get_adapter(config.framework)
    except PluginError as exc:
        raise ConfigError(f"{config.path}: field 'framework': {exc}") from None


def save_config(config: Config) -> None:
    """Write ``config`` to its path atomically."""
    _validate(json.loads(config.to_json()), config.path)
    write_atomic(config.path, config.to_json())


def _validate(raw: Any, path: Path) -> Config:
    from pydantic import ValidationError

    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must hold a JSON object, not {type(raw).__name__}")
    try:
        checked: Any = file_model().model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(map(str, error['loc'])) or '(top)'!r}: {error['msg']}"
            + (f" (got {error['input']!r})" if error["type"] != "missing" else "")
            for error in exc.errors(include_url=False)
        )
        raise ConfigError(f"{path}: {problems}") from None
    config = Config(
        path=path,
        framework=checked.framework,
        entrypoint=checked.entrypoint,
        client_root=checked.client_root,
        distribution=checked.distribution,
        endpoint=raw.get("endpoint"),
        emitter=checked.emitter,
        emitter_options=raw.get("emitter_options"),
    )
    _endpoint_options(config.endpoint or {}, path)  # limits and CORS checked now, with the file's name
    return config


def _endpoint_options(endpoint: dict[str, Any], path: Path) -> dict[str, Any]:
    from ..endpoint import CORS
    from ..limits import Limits

    options: dict[str, Any] = {name: endpoint[name] for name in ("debug", "introspection") if name in endpoint}
    for name, kind in (("limits", Limits), ("cors", CORS)):
        given = endpoint.get(name)
        if given is None:
            continue
        try:
            options[name] = kind(**{key: value for key, value in given.items() if value is not None})
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: field 'endpoint.{name}': {exc}") from None
    return options


# -- the first run: what the project's files suggest (read, never imported) ---------------------

APP_CONSTRUCTORS = {
    "FastAPI": "fastapi",
    "Flask": "flask",
    "Starlette": "starlette",
    "create_app": None,
    "Registry": None,
}
"""Calls whose result, assigned at the top of a module, makes it an app's module (and the framework it suggests)."""

_NOT_PROJECT_MODULES = re.compile(r"^(setup|conftest|noxfile|test_.*|.*_test)$")
_SCANNED_BYTES = 1_000_000


@dataclass(frozen=True)
class Guess:
    """What a folder's modules suggest for pyrpc.json: the entrypoint, and the framework when an app says it."""

    entrypoint: str
    framework: str | None


def find_module(folder: Path, entrypoint: str) -> Path | None:
    """The file of ``entrypoint``'s module in ``folder`` (``a/b.py`` or ``a/b/__init__.py``), or None.

    ``entrypoint`` is ``module`` or ``module:attribute``, dotted names as paths below ``folder``.
    """
    if not re.fullmatch(ENTRYPOINT_PATTERN, entrypoint):
        return None
    *parents, last = entrypoint.partition(":")[0].split(".")
    for candidate in (folder.joinpath(*parents, f"{last}.py"), folder.joinpath(*parents, last, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None


def guess_entrypoint(folder: Path, default: str = "main") -> Guess:
    """The module of ``folder`` to offer as the entrypoint, read with ``ast`` (nothing is imported).

    The folder's top-level ``*.py`` files and packages (their ``__init__.py``) are read for
    functions decorated with ``rpc`` (``@rpc``, ``@registry.rpc``, ``@rpc(...)``) and for apps
    (``app = FastAPI(...)``, ``Flask(...)``, ``Starlette(...)``, ``create_app(...)``,
    ``Registry()``). A module with procedures wins, then one with an app; ``default`` when
    none has either. Of equals, the first by name. The framework is the one the chosen
    module's app is made with, else the first such app's of the folder.
    """
    best: tuple[tuple[bool, bool, int], str, str | None] | None = None
    frameworks: list[str] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return Guess(default, None)
    for entry in entries:
        name = entry.stem if entry.suffix == ".py" else entry.name
        if not name.isidentifier() or _NOT_PROJECT_MODULES.match(name):
            continue
        source = entry if entry.suffix == ".py" else entry / "__init__.py"
        if not source.is_file():
            continue
        procedures, framework, has_app = _scan(source)
        rank = (procedures > 0, has_app, procedures)
        if (procedures or has_app) and (best is None or rank > best[0]):
            best = (rank, name, framework)
        if framework is not None:
            frameworks.append(framework)
    if best is None:
        return Guess(default, frameworks[0] if frameworks else None)
    return Guess(best[1], best[2] or (frameworks[0] if frameworks else None))


def _scan(source: Path) -> tuple[int, str | None, bool]:
    """How many ``@rpc`` functions ``source`` defines, the framework its app suggests, whether it has an app."""
    try:
        if source.stat().st_size > _SCANNED_BYTES:
            return 0, None, False
        tree = ast.parse(source.read_bytes(), filename=str(source))
    except (OSError, SyntaxError, ValueError):
        return 0, None, False
    procedures, framework, has_app = 0, None, False
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            procedures += any(_called_name(decorator) == "rpc" for decorator in node.decorator_list)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            called = _called_name(node.value.func)
            if called in APP_CONSTRUCTORS:
                has_app = True
                framework = framework or APP_CONSTRUCTORS[called]
    return procedures, framework, has_app


def _called_name(node: ast.expr) -> str | None:
    """``rpc`` for ``rpc``, ``registry.rpc``, ``rpc(...)`` and ``registry.rpc(...)``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None
