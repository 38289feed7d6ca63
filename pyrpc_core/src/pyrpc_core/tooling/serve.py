"""Running an app on the embedded default servers: uvicorn for ASGI, waitress for WSGI.

The servers come with the adapters that need them (pyrpc-asgi brings uvicorn, pyrpc-flask
waitress), so they are imported only here, when an app is served.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any, Literal
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

Interface = Literal["asgi", "wsgi"]


class ServeError(Exception):
    """The server cannot start (the port is taken, the address is wrong)."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or ``ServeError`` saying what to do when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP said explicitly: asyncio turns Nagle's algorithm off (TCP_NODELAY) only for
    # sockets whose proto says TCP; with proto 0 every kept-alive response waits ~40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is already in use; stop the other server or pick another with --port"
            ) from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run_asgi(app: Any, sock: socket.socket, *, workers: int = 1, app_factory: str | None = None) -> None:
    """Serve ``app`` with uvicorn on ``sock`` until interrupted.

    With several workers uvicorn starts its own worker processes, each importing
    ``app_factory`` (an import string of a function that returns the app).
    """
    try:
        import uvicorn
        from uvicorn.supervisors import Multiprocess
    except ImportError:
        raise ServeError("serving an ASGI app needs uvicorn: pip install pyrpc-asgi (it brings uvicorn)") from None
    if workers > 1:
        if app_factory is None:
            raise ServeError("several workers need an importable app factory")
        config = uvicorn.Config(
            app_factory, factory=True, workers=workers, interface="asgi3", log_level="info", lifespan="auto"
        )
        Multiprocess(config, sockets=[sock]).run()
        return
    # Every pyRPC app is ASGI 3; saying so keeps uvicorn from guessing wrong on wrappers.
    config = uvicorn.Config(app, interface="asgi3", log_level="info", lifespan="auto")
    uvicorn.Server(config).run(sockets=[sock])


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def run_wsgi(app: Callable[..., Iterable[bytes]], sock: socket.socket, *, threads: int = 8) -> None:
    """Serve a WSGI ``app`` on ``sock`` with worker threads until interrupted.

    waitress (a production server) is used when it is installed; otherwise the standard
    library's server with a thread per request, which is right for development.
    """
    try:
        import waitress  # type: ignore[import-untyped]
    except ImportError:
        server = _ThreadingWSGIServer(sock.getsockname()[:2], WSGIRequestHandler, bind_and_activate=False)
        server.socket.close()
        server.socket = sock
        server.server_address = sock.getsockname()[:2]
        server.setup_environ()
        server.set_app(app)
        try:
            server.serve_forever()
        finally:
            server.server_close()
        return
    waitress.serve(app, sockets=[sock], threads=threads)


def url_of(sock: socket.socket, path: str = "/rpc") -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"
