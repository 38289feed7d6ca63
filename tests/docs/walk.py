"""A guide's steps carried out as a reader would: files written, commands typed in terminals.

Each terminal is a folder of the guide's project with an environment of its own (``source
.venv/bin/activate`` changes that terminal's only, exactly as the script does). A command runs
in bash; a server (``pyrpc dev``, ``pyrpc serve``, ``npx vite``) keeps its terminal busy until
the guide stops it with Ctrl-C (SIGINT to its process group), and typing another command there
first is an error of the guide.

The substitutions, all of them, and why:

- the port: ``127.0.0.1:8000`` becomes a free port in files, commands and shown output, and
  ``pyrpc dev``/``pyrpc serve`` get ``--port`` for it; ``npx vite`` gets a free port of its own;
- ``pip install`` gets ``--no-index --find-links WHEELHOUSE``: the third-party wheels come from
  a folder filled once per session, and the wheels of this repository only from the guide's
  own ``--find-links``, never from the package index;
- ``/home/you/shop`` in shown output is the project's temporary folder;
- ``python`` is the Python running the tests (the guide's ``python -m venv`` makes a fresh venv
  from it), and the development venv is taken off ``PATH``.

Everything else runs as written.
"""

from __future__ import annotations

import contextlib
import html
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .guide import CLONE, Command, ExpectFile, File, Page, Run, Step, Stop, folder_of

PLACEHOLDER_ROOT = "/home/you/shop"
GUIDE_PORT = "127.0.0.1:8000"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CHROMIUM = Path(os.environ.get("PYRPC_CHROMIUM", "/usr/bin/chromium"))
COMMAND_TIMEOUT = 180


@dataclass(frozen=True)
class Server:
    """A command that runs until stopped, and the output line that says it is ready."""

    command: re.Pattern[str]
    ready: re.Pattern[str]


SERVERS = (
    Server(re.compile(r"^pyrpc dev\b"), re.compile(r"^pyrpc dev: serving \d+ procedures? at (?P<url>http://\S+)$")),
    Server(re.compile(r"^pyrpc serve\b"), re.compile(r"^pyrpc serve: .* at (?P<url>http://\S+)")),
    Server(re.compile(r"^npx vite$"), re.compile(r"Local:\s+(?P<url>http://\S+)")),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Background:
    """A server started from a terminal; its output read line by line as it comes."""

    def __init__(self, command: str, cwd: Path, env: dict[str, str], ready: re.Pattern[str]) -> None:
        self.command = command
        self.ready = ready
        self.url: str | None = None
        self.process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(ANSI.sub("", line.rstrip("\n")))
        self._queue.put(None)

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, matches: Callable[[str], bool], what: str, timeout: float = 90) -> str:
        """The next output line for which ``matches`` holds; fails with the output on exit or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    pytest.fail(f"`{self.command}`: no line {what} within {timeout} s; its output:\n{self.output()}")
                continue
            if line is None:
                code = self.process.wait()
                pytest.fail(f"`{self.command}` exited ({code}) before a line {what}; its output:\n{self.output()}")
            self.lines.append(line)
            if self.url is None and (ready := self.ready.search(line)):
                self.url = ready["url"]
            if matches(line):
                return line

    def drain(self) -> None:
        """Take in the output that has come so far (without waiting)."""
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.lines.append(line)

    def interrupt(self, timeout: float = 20) -> int:
        """Ctrl-C: SIGINT to the process group; SIGKILL (and a failure) if it does not stop."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail(f"`{self.command}` did not stop on Ctrl-C within {timeout} s:\n{self.output()}")
        self._reader.join(timeout=5)  # the rest of its output
        self.drain()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Terminal:
    name: str
    cwd: Path
    env: dict[str, str]
    server: Background | None = None


@dataclass
class Ran:
    """A command as it ran: where, what (after the substitutions), its output, and the servers up then."""

    terminal: str
    command: str
    output: str
    servers_running: list[str]
    seconds: float = 0.0


@dataclass
class Shown:
    """A page as a browser showed it."""

    url: str
    texts: tuple[str, ...]
    dom: str | None  # None: no browser here
    reason: str = ""


@dataclass
class Walk:
    """Carries out a guide's steps in ``root``; what ran is kept for the tests."""

    root: Path
    wheelhouse: Path
    base_env: dict[str, str]
    port: int = field(default_factory=free_port)
    vite_port: int = field(default_factory=free_port)
    terminals: dict[str, Terminal] = field(default_factory=dict)
    ran: list[Ran] = field(default_factory=list)
    pages: list[Shown] = field(default_factory=list)
    stopped: list[tuple[str, int, str]] = field(default_factory=list)  # (command, exit code, output)
    reload_lines: list[str] = field(default_factory=list)

    # -- substitutions --------------------------------------------------------------------------

    def text(self, text: str) -> str:
        """A file's text or a command as the test uses it: the guide's port is a free one."""
        return text.replace(GUIDE_PORT, f"127.0.0.1:{self.port}")

    def shown(self, line: str) -> str:
        """A line of shown output as this run prints it."""
        return self.text(line).replace(PLACEHOLDER_ROOT, str(self.root))

    def command(self, text: str) -> str:
        command = self.text(text)
        if re.match(r"^pip install\b", command):
            assert "--find-links" in command, f"`{text}`: without --find-links pip takes another project's 0.14"
            command += f" --no-index --find-links {self.wheelhouse}"
        if re.match(r"^pyrpc (dev|serve)\b", command):
            assert "--port" not in command, f"`{text}`: the test gives the port"
            command += f" --port {self.port}"
        if command == "npx vite":
            command += f" --port {self.vite_port} --strictPort"
        return command

    # -- steps ----------------------------------------------------------------------------------

    def run(self, steps: list[Step]) -> None:
        try:
            for step in steps:
                if isinstance(step, File):
                    self.write(step)
                elif isinstance(step, ExpectFile):
                    self.expect_file(step)
                elif isinstance(step, Run):
                    for command in step.commands:
                        self.type(self.terminal(step.terminal), command, step.line)
                elif isinstance(step, Stop):
                    self.stop(self.terminal(step.terminal), step.line)
                elif isinstance(step, Page):
                    self.look(self.terminal(step.terminal), step)
        finally:
            self.close()

    def terminal(self, name: str) -> Terminal:
        if name not in self.terminals:
            folder = self.root / folder_of(name)
            if name.endswith(CLONE):
                folder = clone(folder, self.root / f"{folder.name}-clone", self.base_env)
            folder.mkdir(parents=True, exist_ok=True)
            self.terminals[name] = Terminal(name, folder, dict(self.base_env))
        return self.terminals[name]

    def write(self, step: File) -> None:
        path = self.root / step.path
        path.parent.mkdir(parents=True, exist_ok=True)
        text = self.text(step.text)
        if step.append:
            assert path.exists(), f"line {step.line}: {step.path} (continued) before the file was written"
            existing = path.read_text()
            path.write_text(existing + ("" if existing.endswith("\n") else "\n") + text)
        else:
            path.write_text(text)
        # A running `pyrpc dev` of that folder reloads a saved Python file: wait for it to say so.
        if path.suffix == ".py":
            for terminal in self.terminals.values():
                server = terminal.server
                if server and server.command.startswith("pyrpc dev") and terminal.cwd == path.parent:
                    line = server.wait_for(lambda line: line.startswith("pyrpc dev: reloaded"), "saying it reloaded")
                    self.reload_lines.append(line)

    def expect_file(self, step: ExpectFile) -> None:
        path = self.root / step.path
        assert path.exists(), f"line {step.line}: the guide shows {step.path}, which nothing wrote"
        assert path.read_text() == self.text(step.text), f"line {step.line}: {step.path} is not what the guide shows"

    def type(self, terminal: Terminal, command: Command, line: int) -> None:
        if terminal.server is not None:
            pytest.fail(
                f"line {line}: the guide types `{command.text}` in the {terminal.name} terminal, where"
                f" `{terminal.server.command}` still runs: stop it first (<!-- stop: {terminal.name} -->)"
            )
        text = self.command(command.text)
        running = [t.server.command for t in self.terminals.values() if t.server and t.server.process.poll() is None]
        if text.startswith("source "):
            terminal.env = sourced(text, terminal)
            self.ran.append(Ran(terminal.name, text, "", running))
            return
        server = next((server for server in SERVERS if server.command.search(command.text)), None)
        if server is not None:
            background = Background(text, terminal.cwd, terminal.env, server.ready)
            terminal.server = background
            for shown in command.output:
                expected = self.shown(shown)
                background.wait_for(lambda out, expected=expected: out == expected, f"{expected!r} (line {line})")
            if background.url is None:
                background.wait_for(lambda out: background.url is not None, "saying it serves")
            self.ran.append(Ran(terminal.name, text, background.output(), running))
            return
        started = time.monotonic()
        completed = subprocess.run(
            ["bash", "-c", text],
            cwd=terminal.cwd,
            env=terminal.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        output = ANSI.sub("", completed.stdout)
        self.ran.append(Ran(terminal.name, text, output, running, time.monotonic() - started))
        if completed.returncode != 0:
            pytest.fail(f"line {line}, in {terminal.name}: `{text}` exited {completed.returncode}:\n{output}")
        expected = [self.shown(shown) for shown in command.output]
        actual = [out.rstrip() for out in output.splitlines()]
        assert is_subsequence(expected, actual), (
            f"line {line}, in {terminal.name}: `{text}` should print\n"
            + "\n".join(expected)
            + "\nbut printed\n"
            + output
        )

    def stop(self, terminal: Terminal, line: int) -> None:
        server = terminal.server
        assert server is not None, f"line {line}: nothing runs in the {terminal.name} terminal to stop"
        code = server.interrupt()
        self.stopped.append((server.command, code, server.output()))
        terminal.server = None

    def look(self, terminal: Terminal, step: Page) -> None:
        server = terminal.server
        url = server.url if server is not None else None
        assert url, f"line {step.line}: no page is served in the {terminal.name} terminal"
        if not CHROMIUM.exists():
            self.pages.append(Shown(url, step.texts, None, f"no browser at {CHROMIUM} (apt-get install chromium)"))
            return
        dom = ""
        for _ in range(4):  # Vite's first visit optimizes the dependencies and reloads the page once
            dom = dump_dom(url, self.root / "chromium")
            if all(f">{text}<" in dom for text in step.texts):
                break
            time.sleep(1)
        self.pages.append(Shown(url, step.texts, dom))

    def close(self) -> None:
        """Whatever still runs is stopped (SIGINT, then SIGKILL)."""
        for terminal in self.terminals.values():
            if terminal.server is not None:
                try:
                    code = terminal.server.interrupt()
                except BaseException:
                    terminal.server.kill()
                    raise
                self.stopped.append((terminal.server.command, code, terminal.server.output()))
                terminal.server = None


def is_subsequence(expected: list[str], actual: list[str]) -> bool:
    remaining = iter(actual)
    return all(any(line == out for out in remaining) for line in expected)


def sourced(command: str, terminal: Terminal) -> dict[str, str]:
    """The terminal's environment after ``source ...`` (the script really runs, in bash)."""
    completed = subprocess.run(
        ["bash", "-c", f"{command} >/dev/null && env -0"],
        cwd=terminal.cwd,
        env=terminal.env,
        capture_output=True,
        check=False,
    )
    assert completed.returncode == 0, f"`{command}` failed in {terminal.name}: {completed.stderr.decode()}"
    pairs = (entry.split("=", 1) for entry in completed.stdout.decode().split("\0") if "=" in entry)
    env = dict(pairs)
    env.pop("_", None)
    env.pop("SHLVL", None)
    env.pop("PWD", None)
    env.pop("OLDPWD", None)
    return env


def clone(source: Path, destination: Path, env: dict[str, str]) -> Path:
    """A fresh clone of ``source``: what ``git add -A`` there commits (its .gitignore applies)."""
    git = ["git", "-c", "user.name=quickstart", "-c", "user.email=quickstart@example.invalid"]
    git += ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main"]
    git_env = {**env, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    for args, cwd in (
        (["init", "-q"], source),
        (["add", "-A"], source),
        (["commit", "-q", "-m", "as the guide leaves it"], source),
        (["clone", "-q", str(source), str(destination)], source.parent),
    ):
        completed = subprocess.run([*git, *args], cwd=cwd, env=git_env, capture_output=True, text=True, check=False)
        assert completed.returncode == 0, f"git {' '.join(args)} in {cwd}: {completed.stdout}{completed.stderr}"
    return destination


def dump_dom(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran, from headless Chromium."""
    completed = subprocess.run(
        [
            str(CHROMIUM),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    return html.unescape(completed.stdout)


def python_on_path(folder: Path) -> Path:
    """A folder with ``python``: the interpreter running the tests (so ``python -m venv`` works here)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "python"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    script.chmod(0o755)
    return folder


def reader_environment(bin_folder: Path) -> dict[str, str]:
    """The environment of a reader's new terminal: no virtual environment active, no colours."""
    development_bin = str(Path(sys.executable).parent)
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    path = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry and entry != development_bin]
    env["PATH"] = os.pathsep.join([str(bin_folder), *path])
    env.update(
        {
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
            "npm_config_prefer_offline": "true",  # the npm cache first: fewer trips to the registry
        }
    )
    return env


def copy_repository(repository: Path, destination: Path) -> Path:
    """The repository's files as a clone would have them (tracked, and new files not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repository,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = repository / name
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    return destination
