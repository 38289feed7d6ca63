"""The postinstall prompt in a real (pseudo-)terminal: it asks, and saves the answers."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import shutil
import sys
import time
from pathlib import Path

import pytest

from .conftest import NODE, new_project

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def _read_until(fd: int, marker: bytes, seen: bytearray, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {marker!r} in {bytes(seen)!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                raise AssertionError(f"no {marker!r} in {bytes(seen)!r}") from None
            seen.extend(chunk)


def _prompt(installed: Path, root: Path, answers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    assert NODE is not None
    env = {"PATH": os.environ.get("PATH", ""), "INIT_CWD": str(root), "HOME": str(root)}
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        try:
            os.chdir(installed)
            os.execve(NODE, [NODE, "postinstall.cjs"], env)
        finally:
            os._exit(127)
    seen = bytearray()
    try:
        for marker, reply in answers:
            _read_until(fd, marker, seen)
            os.write(fd, reply)
        deadline = time.monotonic() + 20
        while True:
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                raise AssertionError(f"the prompt did not finish: {bytes(seen)!r}")
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                with contextlib.suppress(OSError):
                    seen.extend(os.read(fd, 4096))
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), bytes(seen)


def _installed_copy(project: Path, tmp_path: Path) -> tuple[Path, Path]:
    root = new_project(tmp_path / "app")
    installed = root / "node_modules" / "@pyrpc" / "client"
    shutil.copytree(project / "node_modules" / "@pyrpc" / "client", installed)
    return root, installed


def test_first_install_in_a_terminal_asks_and_saves(project: Path, tmp_path: Path) -> None:
    root, installed = _installed_copy(project, tmp_path)
    code, output = _prompt(
        installed,
        root,
        [(b"Server URL", b"http://10.1.2.3:9000\n"), (b"Distribution", b"bogus\n"), (b"Please answer", b"workspace\n")],
    )
    assert code == 0, output
    assert json.loads((root / "pyrpc.client.json").read_text()) == {
        "url": "http://10.1.2.3:9000/rpc",
        "distribution": "workspace",
    }
    assert b"npx pyrpc sync" in output

    # Once saved, a later install asks nothing.
    code, output = _prompt(installed, root, [])
    assert code == 0
    assert b"Server URL" not in output
