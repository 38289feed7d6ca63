"""The full-stack example (examples/fullstack) run for real, on a copy in a temporary folder.

The copy is laid out as a user's project after its ``npm install``: the frontend's committed
``pyrpc/`` (the schema snapshot and the generated ``@pyrpc/types``), and a ``node_modules`` of
its own holding the packages of the repository's npm install (``make setup``). ``pyrpc dev``
links ``node_modules/@pyrpc/types`` to the copy's ``pyrpc/types``, never the repository's.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fullstack"
NODE_MODULES = ROOT / "node_modules"
TSC = NODE_MODULES / ".bin" / "tsc"
PYRPC = str(Path(sys.executable).with_name("pyrpc"))
NODE = shutil.which("node")
NPM = shutil.which("npm")
CHROMIUM = Path(os.environ.get("PYRPC_CHROMIUM", "/usr/bin/chromium"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TYPES = Path("pyrpc/types/index.d.ts")  # below the frontend: what `pyrpc dev` writes (and the example commits)
TYPES_LINK = Path("node_modules/@pyrpc/types")  # below the frontend: the link `pyrpc dev` and npm make

# Colours off (CI=true turns them on in Vite), no prompts.
ENV = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "CI": "true", "npm_config_update_notifier": "false"}


def require_npm_workspace() -> None:
    """The npm side must be installed: it is part of the test suite, never skipped."""
    if NODE is None or NPM is None:
        pytest.fail("node and npm are needed (Node 20+): the full-stack example is part of the test suite")
    for package in (
        "vite",
        "typescript",
        "playwright-core",
        "@tanstack/query-core",
        "@pyrpc/client/dist/esm/index.js",
        "@pyrpc/tanstack-query/dist/esm/index.js",
    ):
        if not (NODE_MODULES / package).exists():
            pytest.fail(f"node_modules/{package} is missing: run `make setup` (npm ci, then the workspace build)")


LOCAL_PACKAGES = ("client", "tanstack-query")  # @pyrpc/<name>: "file:../../../pyrpc_ts/npm/<name>" in the frontend


def copy_example(destination: Path) -> Path:
    """A copy of examples/fullstack at ``destination/examples/fullstack``, its frontend's packages in place.

    ``destination`` mirrors the repository: its ``pyrpc_ts`` links to the repository's, so the
    frontend's ``"@pyrpc/client": "file:../../../pyrpc_ts/npm/client"`` (and the same for
    ``@pyrpc/tanstack-query``) resolves in the copy as it does here. ``frontend/node_modules``
    holds each package of the repository's npm install (``@tanstack/query-core`` among them) as
    hard links in folders of the copy's own, and ``@pyrpc/client`` and ``@pyrpc/tanstack-query``
    as the links npm makes for those dependencies: nothing in it leads into the repository's
    node_modules, so an ``npm install`` in the copy (which prunes every package the copy does
    not declare, through a linked folder too) cannot change the repository's.
    ``node_modules/@pyrpc/types`` is left to ``pyrpc dev``, which links it to the copy's
    ``pyrpc/types``.
    """
    destination.mkdir(parents=True, exist_ok=True)
    (destination / "pyrpc_ts").symlink_to(ROOT / "pyrpc_ts", target_is_directory=True)
    example = destination / "examples" / "fullstack"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("node_modules", "dist", "__pycache__", ".vite*"))
    modules = example / "frontend" / "node_modules"
    (modules / "@pyrpc").mkdir(parents=True)
    for entry in NODE_MODULES.iterdir():
        if entry.name not in ("@pyrpc", ".package-lock.json", ".vite", ".vite-temp"):
            # The links in .bin are relative: they lead to the copy's packages.
            shutil.copytree(entry, modules / entry.name, symlinks=True, copy_function=_hard_link)
    for package in LOCAL_PACKAGES:
        target = os.path.relpath(destination / "pyrpc_ts" / "npm" / package, modules / "@pyrpc")
        (modules / "@pyrpc" / package).symlink_to(target, target_is_directory=True)
    return example


def _hard_link(source: str, target: str) -> None:
    """A file of the repository's node_modules in the copy: a hard link, a copy across file systems."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def assert_types_linked(frontend: Path) -> None:
    """``node_modules/@pyrpc/types`` is the relative link npm makes, to this project's ``pyrpc/types``."""
    link = frontend / TYPES_LINK
    assert link.is_symlink(), f"{link} is not a link"
    assert os.readlink(link) == "../../pyrpc/types"
    assert link.resolve() == (frontend / "pyrpc" / "types").resolve()
    assert (link / "index.d.ts").read_text() == (frontend / TYPES).read_text()


class Process:
    """A command whose output is read line by line as it comes; stopped with its process group."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.args = args
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(ANSI.sub("", line.rstrip("\n")))
        self._queue.put(None)

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """The first new output line matching ``pattern``; fails with all output on timeout or exit."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    pytest.fail(f"no line matching {pattern!r} within {timeout} s; output:\n{self.output()}")
                continue
            if line is None:
                pytest.fail(f"{self.args[:2]} exited ({self.process.wait()}) before {pattern!r}:\n{self.output()}")
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def stop(self) -> None:
        """SIGTERM, as a person's Ctrl-C or a service manager would send it; SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def processes() -> Iterator[Callable[[list[str], Path], Process]]:
    """Start processes that are stopped when the module's tests are done."""
    started: list[Process] = []

    def start(args: list[str], cwd: Path) -> Process:
        started.append(Process(args, cwd))
        return started[-1]

    yield start
    for process in reversed(started):
        process.stop()


@dataclass
class Stack:
    """The copied example, run by its own ``dev.py``: backend and Vite's dev server."""

    root: Path
    runner: Process
    backend: str  # http://127.0.0.1:PORT (the API is at /rpc)
    page: str  # http://127.0.0.1:PORT/ (Vite, /rpc proxied to the backend)

    @property
    def frontend(self) -> Path:
        return self.root / "frontend"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, processes: Callable[[list[str], Path], Process]) -> Stack:
    """The README's run command (``make dev`` runs ``dev.py``) on free ports."""
    require_npm_workspace()
    root = copy_example(tmp_path_factory.mktemp("fullstack"))
    assert not os.path.lexists(root / "frontend" / TYPES_LINK)
    runner = processes([sys.executable, "dev.py", "--backend-port", "0", "--frontend-port", "0"], root)
    backend = runner.wait_for(r"^backend +\| pyrpc dev: serving 6 procedures at (http://\S+)/rpc$").group(1)
    assert_types_linked(root / "frontend")  # before serving, and to the copy's own pyrpc/types
    manifest = "frontend/package.json"
    assert (root / manifest).read_bytes() == (EXAMPLE / manifest).read_bytes(), "the dependency is declared already"
    page = runner.wait_for(r"^frontend +\| .*Local: +(http://\S+)").group(1)
    return Stack(root, runner, backend, page)


@dataclass
class TscError:
    file: str
    line: int
    code: str
    message: str


TSC_ERROR = re.compile(r"^(?P<file>[^\s(][^(]*)\((?P<line>\d+),\d+\): error (?P<code>TS\d+): (?P<message>.*)$")


def tsc(frontend: Path) -> tuple[int, list[TscError], str]:
    """``tsc --noEmit`` with the frontend's tsconfig.json (strict): exit status, errors, output."""
    completed = subprocess.run(
        [str(TSC), "-p", "tsconfig.json", "--noEmit", "--pretty", "false"],
        cwd=frontend,
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
    )
    output = completed.stdout + completed.stderr
    errors = [
        TscError(m["file"], int(m["line"]), m["code"], m["message"])
        for m in map(TSC_ERROR.match, output.splitlines())
        if m
    ]
    return completed.returncode, errors, output


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the only line of ``path`` that contains ``text``."""
    numbers = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(numbers) == 1, f"{text!r} is on lines {numbers} of {path}"
    return numbers[0]
