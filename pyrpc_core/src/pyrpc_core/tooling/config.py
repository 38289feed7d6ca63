"""pyrpc.json: the project's settings, loaded and checked in one place.

::

    {"version": 1, "framework": "fastapi", "entrypoint": "main",
     "client_root": "../frontend", "distribution": "workspace"}

Paths in the file are relative to its folder and resolved when it is loaded. Every invalid
value is reported with the file and the field it is in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..plugins import PluginError, PluginManager, get_plugin_manager
from .files import write_atomic

CONFIG_FILE = "pyrpc.json"
TYPES_PACKAGE = Path("node_modules", "@pyrpc", "types")

Distribution = Literal["workspace", "server"]


class ConfigError(Exception):
    """pyrpc.json is missing, unreadable or holds an invalid value; the message names file and field."""


class _ConfigFile(BaseModel):
    """The file's format, exactly."""

    model_config = ConfigDict(extra="forbid", strict=True)

    version: Literal[1]
    framework: str = Field(min_length=1)
    entrypoint: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*)?$")
    client_root: str = Field(min_length=1)
    distribution: Distribution


@dataclass(frozen=True)
class Config:
    """A loaded pyrpc.json. ``client_root`` is kept as written; ``client_path`` is resolved."""

    path: Path
    framework: str
    entrypoint: str
    client_root: str
    distribution: Distribution
    version: int = 1

    @property
    def root(self) -> Path:
        """The folder of pyrpc.json, against which relative paths resolve."""
        return self.path.parent

    @property
    def client_path(self) -> Path:
        return (self.root / self.client_root).resolve()

    @property
    def types_path(self) -> Path:
        """Where workspace mode writes the ``@pyrpc/types`` package."""
        return self.client_path / TYPES_PACKAGE

    def updated(self, **changes: Any) -> Config:
        return replace(self, **changes)

    def to_json(self) -> bytes:
        data = {
            "version": self.version,
            "framework": self.framework,
            "entrypoint": self.entrypoint,
            "client_root": self.client_root,
            "distribution": self.distribution,
        }
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
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must hold a JSON object, not {type(raw).__name__}")
    try:
        checked = _ConfigFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(map(str, error['loc'])) or '(top)'!r}: {error['msg']}"
            + (f" (got {error['input']!r})" if error["type"] != "missing" else "")
            for error in exc.errors(include_url=False)
        )
        raise ConfigError(f"{path}: {problems}") from None
    return Config(
        path=path,
        framework=checked.framework,
        entrypoint=checked.entrypoint,
        client_root=checked.client_root,
        distribution=checked.distribution,
    )
