"""``"framework": "django"`` through the real ``pyrpc`` command: ``serve`` and ``dev`` (with a
reload), for a module of procedures (pyRPC builds the Django app) and for a user's own Django
project (its routes and middleware served beside pyRPC); and that project under uvicorn
(``get_asgi_application()``). Each runs in its own process, as Django's settings can be
configured once a process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pyrpc_command import Running

from pyrpc_core import RPCClient
from pyrpc_core.testing import http_request

PROCEDURES = """
from pyrpc_core import rpc


@rpc
def add(a: int, b: int) -> int:
    return a + b


@rpc
async def shout(text: str) -> str:
    return text.upper()
"""

PROJECT = """
from django.conf import settings

if not settings.configured:  # pyrpc dev imports this module again after each save
    settings.configure(
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        MIDDLEWARE=["django.middleware.common.CommonMiddleware", "main.Stamp"],
        SECRET_KEY="only-for-this-test",
    )

from django.core.wsgi import get_wsgi_application
from django.http import JsonResponse
from django.urls import path

import pyrpc_django
from pyrpc_core import rpc


class Stamp:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Project-Middleware"] = "ran"
        return response


def health(request):
    return JsonResponse({"status": "ok"})


@rpc
def add(a: int, b: int) -> int:
    return a + b


urlpatterns = [path("health", health), pyrpc_django.path("rpc")]
application = get_wsgi_application()
"""

MUL = """

@rpc(name="math.mul")
def mul(a: int, b: int) -> int:
    return a * b
"""


def backend(tmp_path: Path, source: str) -> Path:
    root = tmp_path / "backend"
    root.mkdir()
    (root / "main.py").write_text(textwrap.dedent(source))
    config = {"version": 1, "framework": "django", "entrypoint": "main", "client_root": "../frontend"}
    (root / "pyrpc.json").write_text(json.dumps({**config, "distribution": "server"}))
    return root


def test_serve_builds_a_django_app_for_a_module_of_procedures(tmp_path: Path, start: type[Running]) -> None:
    server = start(["serve", "--port", "0"], backend(tmp_path, PROCEDURES))
    url = server.wait_for(r"pyrpc serve: django at (http://\S+)").group(1)
    with RPCClient(url) as client:
        assert client.add(2, 3) == 5
        assert client.shout("hi") == "HI"
        assert sorted(client.schema()["procedures"]) == ["add", "shout"]
    missing = http_request(url, "GET", path="/elsewhere")
    assert (missing.status, missing.json()) == (404, {"detail": "Not Found"})


def test_serve_serves_a_users_django_project(tmp_path: Path, start: type[Running]) -> None:
    server = start(["serve", "--port", "0"], backend(tmp_path, PROJECT))
    url = server.wait_for(r"pyrpc serve: django at (http://\S+)").group(1)
    health = http_request(url, "GET", path="/health")
    call = http_request(url, "POST", b'{"jsonrpc": "2.0", "method": "add", "params": [2, 3], "id": 1}')
    assert (health.status, health.json()) == (200, {"status": "ok"})
    assert (call.status, call.body) == (200, b'{"jsonrpc":"2.0","result":5,"id":1}')
    assert health.headers["x-project-middleware"] == call.headers["x-project-middleware"] == "ran"


@pytest.mark.parametrize("source", [PROCEDURES, PROJECT], ids=["module", "project"])
def test_dev_serves_and_reloads(tmp_path: Path, start: type[Running], source: str) -> None:
    root = backend(tmp_path, source)
    dev = start(["dev", "--port", "0"], root)
    url = dev.wait_for(r"serving \d+ procedures? at (http://\S+)").group(1)
    with RPCClient(url) as client:
        assert client.add(20, 22) == 42
    edit = MUL + ('urlpatterns.append(path("ready", health))\n' if source == PROJECT else "")
    (root / "main.py").write_text(textwrap.dedent(source) + edit)
    dev.wait_for(r"reloaded: \+ math\.mul")
    with RPCClient(url) as client:
        assert client.math.mul(6, 7) == 42
        assert client.add(1, 1) == 2
    if source == PROJECT:  # the project's urlconf is read afresh too
        assert http_request(url, "GET", path="/ready").status == 200


UVICORN = """
import socket, sys, uvicorn
sys.path.insert(0, sys.argv[1])
from django.core.asgi import get_asgi_application
import main

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(128)
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(get_asgi_application(), log_level="warning", lifespan="off")).run(sockets=[sock])
"""

WHERE = """

import threading


@rpc
async def where() -> str:
    return threading.current_thread().name
"""


def test_a_users_project_under_uvicorn_runs_async_procedures_on_the_servers_loop(tmp_path: Path) -> None:
    root = backend(tmp_path, PROJECT + WHERE)
    server = subprocess.Popen([sys.executable, "-c", UVICORN, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/rpc"
        with RPCClient(url) as client:
            assert client.add(2, 3) == 5
            assert client.where() == "MainThread"  # the async view: uvicorn's loop, in its main thread
        health = http_request(url, "GET", path="/health")
        assert (health.status, health.headers["x-project-middleware"]) == (200, "ran")
    finally:
        server.terminate()
        server.wait(10)


def test_the_plugin_and_the_package_import_no_django() -> None:
    check = (
        "import sys, pyrpc_django, pyrpc_django.plugin\n"
        "from pyrpc_core import get_plugin_manager\n"
        "adapter = get_plugin_manager().get_adapter('django')\n"
        "assert adapter.interface == 'wsgi', adapter\n"
        "assert not [name for name in sys.modules if name.split('.')[0] == 'django'], 'django imported'\n"
        "pyrpc_django.path\n"
        "assert 'django' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
