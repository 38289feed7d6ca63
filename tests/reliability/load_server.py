"""A pyRPC server for the load test, in a process of its own so that its memory can be watched.

    python tests/reliability/load_server.py asgi|fastapi|flask

prints the port it listens on (127.0.0.1), then serves until killed.
"""

from __future__ import annotations

import asyncio
import sys
import time

from pyrpc_core import Registry
from pyrpc_core.tooling.serve import bind


def registry() -> Registry:
    api = Registry()

    @api.rpc
    def echo(text: str) -> str:
        return text

    @api.rpc
    async def echo_async(text: str) -> str:
        await asyncio.sleep(0)
        return text

    @api.rpc
    def add(a: int, b: int) -> int:
        return a + b

    @api.rpc
    def crash() -> int:
        raise RuntimeError("expected")

    return api


def main(adapter: str) -> None:
    sock = bind("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    if adapter == "flask":
        import flask
        from waitress import serve

        import pyrpc_flask

        app = flask.Flask("load")
        pyrpc_flask.mount(app, registry())
        serve(app, sockets=[sock], threads=8, _quiet=True)
    else:
        import uvicorn
        from fastapi import FastAPI

        import pyrpc_asgi
        import pyrpc_fastapi

        if adapter == "fastapi":
            asgi_app = FastAPI()
            pyrpc_fastapi.mount(asgi_app, registry())
        else:
            asgi_app = pyrpc_asgi.create_app(registry())
        uvicorn.Server(uvicorn.Config(asgi_app, log_level="critical", access_log=False)).run(sockets=[sock])
    time.sleep(0)


if __name__ == "__main__":
    main(sys.argv[1])
