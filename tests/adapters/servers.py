"""Real HTTP servers on 127.0.0.1 for the adapter tests: uvicorn (ASGI) and waitress (WSGI)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from pyrpc_core import Adapter
from pyrpc_core.testing import serve_asgi


@contextmanager
def serve_wsgi(app: Any, threads: int = 32, **adjustments: Any) -> Iterator[str]:
    """Run ``app`` with waitress (threaded) on an ephemeral port; yields ``http://127.0.0.1:port``.

    ``adjustments`` are waitress's other settings (``channel_request_lookahead=1``, say).
    """
    server: Any = create_server(
        app, host="127.0.0.1", port=0, threads=threads, clear_untrusted_proxy_headers=True, **adjustments
    )
    thread = threading.Thread(target=server.run, name="test-waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        # Empty the map and wake the loop, so that it ends by itself; closing the sockets under
        # a running select() would make it fail with EBADF in the server's thread.
        sockets = dict(server._map)
        server._map.clear()
        server.pull_trigger()
        thread.join(10)
        wasyncore.close_all(sockets)


@contextmanager
def serve(adapter: Adapter, app: Any) -> Iterator[str]:
    """Serve ``app`` the way its adapter's ``interface`` says."""
    runner = serve_asgi if adapter.interface == "asgi" else serve_wsgi
    with runner(app) as base_url:
        yield base_url
