"""Starting servers in their own processes and putting load on them, for every benchmark."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(command: list[str], cpu: int) -> list[str]:
    """``command`` pinned to one CPU when ``taskset`` is there, so server and load do not fight."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *command]
    return command


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str


@contextmanager
def server(target: str, interface: str, threads: int = 8) -> Iterator[Server]:
    """Serve ``module:attr`` on 127.0.0.1 with one worker: uvicorn (ASGI) or waitress (WSGI)."""
    port = free_port()
    if interface == "asgi":
        command = [PYTHON, "-m", "uvicorn", target, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    else:
        command = [PYTHON, "-m", "waitress", f"--listen=127.0.0.1:{port}", f"--threads={threads}", target]
    # The server's output goes to a file: a pipe nobody reads would fill up and stall it.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(pinned(command, 0), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(port, process, log)
            yield Server(process, f"http://127.0.0.1:{port}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read().decode()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def post(url: str, body: bytes) -> bytes:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return bytes(response.read())


@dataclass
class Load:
    """What a load run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def load(url: str, body: bytes, seconds: float, connections: int = 32) -> Load:
    """POST ``body`` to ``url`` for ``seconds`` from another process: wrk, or the bundled Python client
    (also for a load shorter than the whole second wrk runs at least: a smoke run's)."""
    if shutil.which("wrk") and seconds >= 1:
        return _wrk(url, body, seconds, connections)
    return _python_load(url, body, seconds, connections)


def _wrk(url: str, body: bytes, seconds: float, connections: int) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = [==[{body.decode()}]==]\n"
        )
    try:
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            script.name,
            url,
        ]
        output = subprocess.run(pinned(command, 1), capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    if total is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    duration = float(total.group(2)) * {"s": 1.0, "ms": 0.001, "m": 60.0}[total.group(3)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Load(
        requests=int(total.group(1)),
        seconds=duration,
        p50_ms=_wrk_latency(output, "50%"),
        p99_ms=_wrk_latency(output, "99%"),
        errors=(int(errors.group(1)) if errors else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    )


def _wrk_latency(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no {percentile} latency in wrk's output:\n{output}")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def _python_load(url: str, body: bytes, seconds: float, connections: int) -> Load:
    command = [PYTHON, str(ROOT / "bench" / "loadgen.py"), url, str(seconds), str(connections)]
    completed = subprocess.run(pinned(command, 1), input=body, capture_output=True, check=True)
    return Load(**json.loads(completed.stdout))
