"""pyrpc.json's optional fields: the endpoint of the app pyRPC builds, and the emitter and its options."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import CORS, Limits
from pyrpc_core.tooling.cli import main
from pyrpc_core.tooling.config import ConfigError, read_config, save_config
from pyrpc_core.tooling.loading import load_app

BASE = {"version": 1, "framework": "asgi", "entrypoint": "optmain", "client_root": "web", "distribution": "server"}

MAIN = """
from pyrpc_core import Registry

api = Registry()


@api.rpc
def ping() -> str:
    return "pong"
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "optmain.py").write_text(MAIN)
    yield tmp_path
    sys.modules.pop("optmain", None)


def write(folder: Path, **extra: Any) -> Path:
    path = folder / "pyrpc.json"
    path.write_text(json.dumps({**BASE, **extra}))
    return path


def test_the_endpoint_options_reach_the_app_pyrpc_builds(project: Path) -> None:
    endpoint = {
        "path": "/api/rpc",
        "introspection": False,
        "limits": {"max_batch": 5, "timeout": 2.5, "threads": 4},
        "cors": {"allow_origins": ["https://app.example"], "allow_credentials": True},
    }
    config = read_config(write(project, endpoint=endpoint))
    served = load_app(config).endpoint
    assert served.path == "/api/rpc"
    assert served.introspection is False
    assert served.limits == Limits(max_batch=5, timeout=2.5, threads=4)
    assert served.cors == CORS(allow_origins=["https://app.example"], allow_credentials=True)
    assert [procedure.name for procedure in served.registry] == ["ping"]


def test_the_optional_fields_survive_a_rewrite(project: Path) -> None:
    path = write(project, endpoint={"path": "/x", "limits": {"timeout": 1}}, emitter="python", emitter_options={"a": 1})
    config = read_config(path)
    save_config(config.updated(distribution="workspace"))
    assert json.loads(path.read_text()) == {
        **BASE,
        "distribution": "workspace",
        "endpoint": {"path": "/x", "limits": {"timeout": 1}},
        "emitter": "python",
        "emitter_options": {"a": 1},
    }


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        ({"limits": {"threads": 0}}, "field 'endpoint.limits': Limits.threads must be a positive integer, not 0"),
        ({"limits": {"timeout": -1}}, "field 'endpoint.limits': Limits.timeout must be a positive number"),
        ({"cors": {"allow_origins": ["*"], "allow_credentials": True}}, "field 'endpoint.cors': CORS: allow_cred"),
        ({"path": "rpc"}, "field 'endpoint.path'"),
        ({"limits": {"max_batch": "5"}}, "field 'endpoint.limits.max_batch'"),
        ({"speed": "fast"}, "field 'endpoint.speed'"),
    ],
)
def test_a_wrong_endpoint_option_names_its_field(project: Path, endpoint: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError, match=r"pyrpc\.json: .*" + says.replace("(", r"\(").replace(".", r"\.")):
        read_config(write(project, endpoint=endpoint))


def test_options_for_an_emitter_that_takes_none_are_refused_naming_the_field(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # pyrpc-pyclient, the example third-party emitter (installed by requirements-dev.txt), takes none.
    write(project, emitter="python", emitter_options={"named_arguments": True})
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as exited:
        main(["codegen", "--out", "out"], standalone_mode=True)
    assert exited.value.code == 1
    assert "field 'emitter_options': the python emitter takes no options" in capsys.readouterr().err
    assert not (project / "out").exists()


def test_options_an_emitter_does_not_know_are_refused_by_its_model_naming_the_field(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, emitter_options={"named_arguments": True})
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as exited:
        main(["codegen", "--out", "out"], standalone_mode=True)
    assert exited.value.code == 1
    assert "field 'emitter_options.named_arguments': Extra inputs are not permitted" in capsys.readouterr().err
    assert not (project / "out").exists()
