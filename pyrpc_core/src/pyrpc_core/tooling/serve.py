"""Running an app on the embedded default servers: uvicorn for ASGI, waitress for WSGI.

The servers come with the adapters that need them (pyrpc-asgi brings uvicorn, pyrpc-flask
waitress), so they are imported only here, when an app is served.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
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


GRACE_SECONDS = 10.0
"""How long a server stopped by SIGTERM (or Ctrl-C) lets the calls in flight finish."""


def run_asgi(
    app: Any, sock: socket.socket, *, workers: int = 1, app_factory: str | None = None, grace: float = GRACE_SECONDS
) -> None:
    """Serve ``app`` with uvicorn on ``sock`` until SIGTERM or Ctrl-C.

    Then it stops accepting, lets the calls in flight finish for up to ``grace`` seconds, and
    returns. With several workers uvicorn starts its own worker processes, each importing
    ``app_factory`` (an import string of a function that returns the app), and stops each so.
    """
    try:
        import uvicorn
        from uvicorn.supervisors import Multiprocess
    except ImportError:
        raise ServeError("serving an ASGI app needs uvicorn: pip install pyrpc-asgi (it brings uvicorn)") from None
    # Every pyRPC app is ASGI 3; saying so keeps uvicorn from guessing wrong on wrappers.
    options: dict[str, Any] = {
        "interface": "asgi3",
        "log_level": "info",
        "lifespan": "auto",
        "timeout_graceful_shutdown": grace,
    }
    if workers > 1:
        if app_factory is None:
            raise ServeError("several workers need an importable app factory")
        supervisor = _draining_supervisor(Multiprocess)
        supervisor(uvicorn.Config(app_factory, factory=True, workers=workers, **options), sockets=[sock]).run()
        return
    _graceful_server_class()(uvicorn.Config(app, **options)).run(sockets=[sock])


def _draining_supervisor(multiprocess: type[Any]) -> type[Any]:
    class DrainingSupervisor(multiprocess):  # type: ignore[misc]
        """uvicorn's supervisor, closing its own copy of the listening socket before the workers drain.

        Otherwise the kernel keeps accepting connections that no worker will ever answer.
        """

        def terminate_all(self) -> None:
            for sock in self.sockets:
                sock.close()
            super().terminate_all()

    return DrainingSupervisor


def _graceful_server_class() -> type[Any]:
    import uvicorn

    class GracefulServer(uvicorn.Server):
        """uvicorn's server, exiting with 0 after a graceful stop (uvicorn raises the signal again: 143)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {number: signal.signal(number, self.handle_exit) for number in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for number, handler in previous.items():
                    signal.signal(number, handler)

    return GracefulServer


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def run_wsgi(
    app: Callable[..., Iterable[bytes]], sock: socket.socket, *, threads: int = 8, grace: float = GRACE_SECONDS
) -> None:
    """Serve a WSGI ``app`` on ``sock`` with worker threads until SIGTERM or Ctrl-C.

    waitress (a production server, which the WSGI adapters bring) is used when it is
    installed; on SIGTERM it stops accepting, lets the calls in flight finish and their
    answers go out for up to ``grace`` seconds, and returns. Without waitress, the standard
    library's server with a thread per request serves, which is right for development only.
    """
    try:
        import waitress.server  # type: ignore[import-untyped]
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
    # Lookahead: waitress reads on while a request runs, so it knows at once when a client has
    # gone (waitress.client_disconnected), and a stream it was sent stops within a second.
    server = waitress.server.create_server(app, sockets=[sock], threads=threads, channel_request_lookahead=1)
    _serve_waitress(server, grace)


def _serve_waitress(server: Any, grace: float) -> None:
    """waitress's loop, with a graceful stop: waitress itself drops the calls in flight on SIGTERM."""
    import waitress.server
    import waitress.wasyncore  # type: ignore[import-untyped]

    stopping = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    sockets = server.map if hasattr(server, "map") else server._map  # one socket: waitress keeps it private

    def turn() -> None:
        server.asyncore.loop(timeout=0.2, map=sockets, use_poll=server.adj.asyncore_use_poll, count=1)

    try:
        while not stopping.is_set():
            turn()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    # No new connections; the requests in hand run to the end and their answers are sent.
    for listener in [obj for obj in sockets.values() if isinstance(obj, waitress.server.BaseWSGIServer)]:
        # The dispatcher's own close: the server's close would also close the trigger that
        # wakes the loop when a worker thread has an answer ready.
        waitress.wasyncore.dispatcher.close(listener)
    deadline = time.monotonic() + grace
    tasks = server.task_dispatcher
    while time.monotonic() < deadline and (
        tasks.active_count
        or tasks.queue
        or any(
            getattr(channel, "requests", None) or getattr(channel, "total_outbufs_len", 0)
            for channel in sockets.values()
        )
    ):
        turn()
    for channel in list(sockets.values()):
        channel.close()
    tasks.shutdown(cancel_pending=True, timeout=1)


def url_of(sock: socket.socket, path: str = "/rpc") -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"
