"""Run the full-stack example: the backend (`pyrpc dev`) and the frontend (Vite) together.

    python dev.py [--backend-port 8000] [--frontend-port 5173]

The backend starts first; once it serves (and has written the types, frontend/pyrpc/types),
Vite's dev server starts with /rpc proxied to it. Every line either prints is shown with
its name. Ctrl-C stops both; so does either one exiting. Port 0 picks a free port.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVING = re.compile(r"serving \d+ procedures at (http://\S+?)/rpc\b")
ANSI = re.compile(r"\x1b\[[0-9;]*m")

Lines = queue.Queue[tuple[str, str | None]]


def pyrpc_command() -> str:
    """The `pyrpc` of the Python running this script (its venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("pyrpc")
    found = str(beside) if beside.exists() else shutil.which("pyrpc")
    if found is None:
        sys.exit("dev.py: no `pyrpc` command: run `make setup` first (or pip install pyrpc-core pyrpc-fastapi)")
    return found


def start(
    name: str, args: list[str], cwd: Path, lines: Lines, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``args`` in a process group of its own, its output going to ``lines``."""
    process = subprocess.Popen(
        args,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        start_new_session=True,
    )

    def forward() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put((name, line.rstrip("\n")))
        lines.put((name, None))

    threading.Thread(target=forward, daemon=True).start()
    return process


def stop(process: subprocess.Popen[str]) -> None:
    """Stop ``process`` and whatever it started (npm starts node, for one)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend-port", type=int, default=8000)
    parser.add_argument("--frontend-port", type=int, default=5173)
    parser.add_argument("--host", default="127.0.0.1")
    options = parser.parse_args()
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("dev.py: no `npm` command: install Node.js 20 or newer")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop both, as on Ctrl-C
    lines: Lines = queue.Queue()
    processes: dict[str, subprocess.Popen[str]] = {}
    try:
        backend_args = [pyrpc_command(), "dev", "--host", options.host, "--port", str(options.backend_port)]
        processes["backend"] = start("backend", backend_args, HERE / "backend", lines)
        while True:
            name, line = lines.get()
            if line is None:
                code = processes[name].wait()
                print(f"dev.py: the {name} exited with status {code}; stopping", flush=True)
                return code or 1
            print(f"{name:8} | {line}", flush=True)
            served = SERVING.search(ANSI.sub("", line)) if name == "backend" else None
            if served and "frontend" not in processes:
                frontend_args = [npm, "run", "dev", "--", "--host", options.host, "--port", str(options.frontend_port)]
                frontend_args.append("--strictPort")
                env = {"PYRPC_BACKEND": served.group(1)}
                processes["frontend"] = start("frontend", frontend_args, HERE / "frontend", lines, env)
    except KeyboardInterrupt:
        return 0
    finally:
        # A second signal (Ctrl-C again, or `timeout` signalling the whole group) must not cut
        # the shutdown short and leave a server behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process in reversed(processes.values()):
            stop(process)


if __name__ == "__main__":
    sys.exit(main())
