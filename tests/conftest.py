"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from pyrpc_core.testing import serve_asgi as serve_app


@pytest.fixture
def serve_asgi() -> Iterator[Callable[[Any], str]]:
    """Start ASGI apps under a real uvicorn on 127.0.0.1 (an ephemeral port); returns the base URL."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serve_app(app))
