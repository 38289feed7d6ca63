"""The example of docs/adapters/django.md runs as written, chosen through the page's pyrpc.json
(saved as ``main.py`` and served by ``load_app`` and waitress in a subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adapters.test_docs import DOCS, blocks, served

from pyrpc_core import RPCClient, RpcError
from pyrpc_core.testing import http_request


def test_django_page_example_runs(tmp_path: Path) -> None:
    page = DOCS / "adapters" / "django.md"
    assert json.loads(blocks(page, "json")[0])["framework"] == "django"
    with (
        served(page, tmp_path) as base_url,
        RPCClient(base_url, headers={"Authorization": "Bearer s3cret"}) as client,
        RPCClient(base_url) as anonymous,
    ):
        assert client.add(1, 2) == 3
        assert client.slow_hello("you") == "hello you"
        assert client.users.me()["user"] == "ada"
        assert {"add", "users.me"} <= set(client.schema()["procedures"])
        with pytest.raises(RpcError) as refused:
            anonymous.users.me()
        assert (refused.value.code, refused.value.message) == (4001, "unauthorized")
        health = http_request(base_url, "GET", path="/health")
        assert (health.status, health.json()) == (200, {"status": "ok"})
