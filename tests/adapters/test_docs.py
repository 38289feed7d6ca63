"""The example of each adapter's page runs as written, chosen through the page's pyrpc.json.

Each example is saved as ``main.py`` beside the page's pyrpc.json and served in a subprocess
(so its ``@rpc`` procedures stay out of this process's default registry), then called.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pyrpc_core import RPCClient, RpcError

DOCS = Path(__file__).resolve().parents[2] / "docs"

SERVER = """
import socket, sys
from pyrpc_core.tooling.config import load_config
from pyrpc_core.tooling.loading import load_app

loaded = load_app(load_config(sys.argv[1]))
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(128)
print(sock.getsockname()[1], flush=True)
if loaded.adapter.interface == "asgi":
    import uvicorn
    uvicorn.Server(uvicorn.Config(loaded.app, log_level="warning")).run(sockets=[sock])
else:
    import waitress
    waitress.serve(loaded.app, sockets=[sock], threads=8, _quiet=True)
"""


def blocks(page: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL)


@contextmanager
def served(page: Path, tmp_path: Path) -> Iterator[str]:
    (tmp_path / "main.py").write_text(blocks(page, "python")[0], encoding="utf-8")
    (tmp_path / "pyrpc.json").write_text(blocks(page, "json")[0], encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp_path / "pyrpc.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.strip().isdigit(), server.communicate(timeout=10)
        base_url = f"http://127.0.0.1:{int(line)}"
        with RPCClient(base_url) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    client.schema()
                    break
                except Exception:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.05)
        yield base_url
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.parametrize("framework", ["asgi", "fastapi", "flask"])
def test_adapter_page_example_runs(tmp_path: Path, framework: str) -> None:
    page = DOCS / "adapters" / f"{framework}.md"
    assert json.loads(blocks(page, "json")[0])["framework"] == framework
    with (
        served(page, tmp_path) as base_url,
        RPCClient(base_url, headers={"Authorization": "Bearer s3cret"}) as client,
        RPCClient(base_url) as anonymous,
    ):
        assert client.add(1, 2) == 3
        assert client.users.me()["user"] == "ada"
        assert {"add", "users.me"} <= set(client.schema()["procedures"])
        with pytest.raises(RpcError) as refused:
            anonymous.users.me()
        assert (refused.value.code, refused.value.message) == (4001, "unauthorized")


def test_writing_an_adapter_page_shows_the_kit_and_the_entry_point() -> None:
    page = (DOCS / "writing-an-adapter.md").read_text(encoding="utf-8")
    assert "class TestMyFramework(AdapterConformance)" in page
    assert "[project.entry-points.pyrpc]" in page
    from pyrpc_core import testing

    kit = ("AdapterConformance", "conformance_registry", "serve_asgi", "StreamingConformance", "streaming_registry")
    for name in kit:
        assert hasattr(testing, name), name
    assert "### Streaming" in page
    for name in ("reply.stream", "reply.stream_sync", "direct_passthrough=True", "StreamingHttpResponse"):
        assert name in page, name
