"""Generated files and pyrpc.json are never half-written, and a corrupt pyrpc.json is never lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pyrpc_core import Emitter
from pyrpc_core.tooling.cli import CommandError, DevSession, configure
from pyrpc_core.tooling.config import SNAPSHOT_FILE
from pyrpc_core.tooling.files import write_atomic

OLD, NEW = b"A" * 3_000_000, b"B" * 3_000_000


def test_a_failing_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: Any) -> None:
    target = tmp_path / "types.d.ts"
    target.write_bytes(OLD)

    def broken_fsync(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, NEW)
    assert target.read_bytes() == OLD
    assert [path.name for path in tmp_path.iterdir()] == ["types.d.ts"]


_WRITER = """
import sys
from pathlib import Path
from pyrpc_core.tooling.files import write_atomic
target = Path(sys.argv[1])
contents = [b"A" * 3_000_000, b"B" * 3_000_000]
print("ready", flush=True)
index = 0
while True:
    write_atomic(target, contents[index % 2])
    index += 1
"""


def test_a_writer_killed_mid_write_never_leaves_a_half_file(tmp_path: Path) -> None:
    target = tmp_path / "index.d.ts"
    target.write_bytes(OLD)
    for attempt in range(6):
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)], stdout=subprocess.PIPE)
        assert writer.stdout is not None
        writer.stdout.readline()
        time.sleep(0.05 + attempt * 0.037)  # somewhere in the middle of some write
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        assert target.read_bytes() in (OLD, NEW), f"attempt {attempt}: a half-written file"


class _Project:
    """What DevSession needs of a Project: reload(), config.client_path, root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = SimpleNamespace(client_path=root / "client")
        self.version = 0

    def reload(self) -> Any:
        self.version += 1
        schema = {"version": 1, "procedures": {f"p{self.version}": {}}, "$defs": {}}
        return SimpleNamespace(schema=schema, app=SimpleNamespace(app=object()), registry=())


def test_dev_keeps_the_last_good_types_when_the_emitter_fails(tmp_path: Path, capsys: Any) -> None:
    project = _Project(tmp_path)
    good = Emitter(
        name="good",
        language="ts",
        generate=lambda schema: {"index.d.ts": str(sorted(schema["procedures"]))},
        default_out="pyrpc/types",  # in the client project, beside the schema snapshot
    )
    session = DevSession(project, project.reload(), good)  # type: ignore[arg-type]
    session.write_types()
    written = project.config.client_path / "pyrpc/types/index.d.ts"
    assert written.read_text() == "['p1']"
    snapshot = project.config.client_path / SNAPSHOT_FILE
    last_good_snapshot = snapshot.read_bytes()
    assert b'"p1"' in last_good_snapshot

    def broken(schema: dict[str, Any]) -> dict[str, str]:
        raise RuntimeError("emitter bug")

    session.emitter = Emitter(name="broken", language="ts", generate=broken)
    session.regenerate()
    assert written.read_text() == "['p1']"
    assert snapshot.read_bytes() == last_good_snapshot
    assert "writing types failed" in capsys.readouterr().err

    # An emitter asking for a path outside the package: refused before anything is written.
    session.emitter = Emitter(
        name="escaping", language="ts", generate=lambda schema: {"index.d.ts": "new", "../../../evil.ts": "x"}
    )
    session.regenerate()
    assert written.read_text() == "['p1']"
    assert not (tmp_path / "evil.ts").exists()


FLAGS = {"framework": "asgi", "entrypoint": "main", "client_root": "../frontend", "distribution": "server"}


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'{"version": 1, "framework": "asgi",', "not valid JSON"),
        (
            b'{"version": 1, "framework": "asgi", "entrypoint": "main", "client_root": "x", "distribution": "cloud"}',
            "field 'distribution'",
        ),
        (b"\xff\xfe not text", "cannot be read"),
        (b"[1, 2]", "must hold a JSON object"),
    ],
)
def test_a_corrupt_pyrpc_json_is_reported_and_never_overwritten(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "pyrpc.json"
    path.write_bytes(content)
    with pytest.raises(CommandError) as caught:
        configure(path, FLAGS, reconfigure=False)  # every value given as a flag: still refused
    message = caught.value.message
    assert str(path.resolve()) in message or str(path) in message
    assert said in message
    assert "--reconfigure" in message
    assert path.read_bytes() == content


def test_reconfigure_replaces_a_corrupt_pyrpc_json_but_keeps_its_bytes(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "pyrpc.json"
    path.write_bytes(b'{"version": 1,')
    config = configure(path, FLAGS, reconfigure=True)
    assert config.distribution == "server"
    assert (tmp_path / "pyrpc.json.corrupt").read_bytes() == b'{"version": 1,'
    assert b'"framework": "asgi"' in path.read_bytes()
    assert "not valid JSON" in capsys.readouterr().err
