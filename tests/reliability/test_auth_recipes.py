"""The auth recipes of docs/security.md, run as written against live servers.

Each recipe is the ``python`` block after its ``<!-- recipe: NAME -->`` marker. The bearer token
recipe and the permissions recipe that continues it are executed into one namespace and its
``api`` is served by each adapter of this repository; the cookie recipe is a whole FastAPI app.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask
import pytest
from adapters.servers import serve_wsgi

import pyrpc_asgi
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import RPCClient, RpcError
from pyrpc_core.testing import HttpResponse, http_request, post, serve_asgi

PAGE = Path(__file__).resolve().parents[2] / "docs" / "security.md"

ADA, BOB = "ada-token-1c9f", "bob-token-77e2"
"""The tokens whose hashes the bearer recipe keeps."""


def recipe(name: str) -> str:
    found = re.findall(rf"<!-- recipe: {name} -->\n```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    assert len(found) == 1, f"docs/security.md has {len(found)} recipes named {name!r}"
    return str(found[0])


def run_recipes(*names: str) -> dict[str, Any]:
    """The recipes' code, run one after the other in one fresh namespace, as a reader would paste them."""
    namespace: dict[str, Any] = {"__name__": f"recipe_{'_'.join(names)}"}
    for name in names:
        exec(compile(recipe(name), f"docs/security.md (recipe: {name})", "exec"), namespace)
    return namespace


@contextmanager
def served(adapter: str, namespace: dict[str, Any]) -> Iterator[str]:
    """The recipe's ``api`` served by ``adapter``; yields the endpoint's URL."""
    api = namespace["api"]
    if adapter == "flask":
        app = flask.Flask("recipe")
        pyrpc_flask.mount(app, api)
        with serve_wsgi(app) as base_url:
            yield base_url + "/rpc"
        return
    if adapter == "fastapi":
        from fastapi import FastAPI

        asgi_app: Any = FastAPI()
        pyrpc_fastapi.mount(asgi_app, api)
    else:
        asgi_app = pyrpc_asgi.create_app(api)
    with serve_asgi(asgi_app) as base_url:
        yield base_url + "/rpc"


def refusal(client: RPCClient, method: str, *params: Any) -> tuple[int, str, Any]:
    with pytest.raises(RpcError) as refused:
        client.call(method, *params)
    return refused.value.code, refused.value.message, refused.value.data


ADAPTERS = ["asgi", "fastapi", "flask"]


# -- a bearer token -----------------------------------------------------------------------------


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_bearer_token_recipe(adapter: str) -> None:
    namespace = run_recipes("bearer")
    with (
        served(adapter, namespace) as url,
        RPCClient(url, headers={"Authorization": f"Bearer {ADA}"}) as ada,
        RPCClient(url, headers={"Authorization": f"bearer {BOB}"}) as bob,
        RPCClient(url) as anonymous,
        RPCClient(url, headers={"Authorization": "Bearer not-a-token"}) as forger,
        RPCClient(url, headers={"Authorization": f"Basic {ADA}"}) as wrong_scheme,
    ):
        assert ada.whoami() == "ada"
        assert bob.whoami() == "bob"
        assert anonymous.health() == "ok"
        for client in (anonymous, forger, wrong_scheme):
            assert refusal(client, "whoami") == (4001, "unauthorized", None)
        # Introspection is not public: 403 without a token, the schema with one.
        assert http_request(url, "GET").status == 403
        schema = http_request(url, "GET", headers={"Authorization": f"Bearer {ADA}"})
        assert schema.status == 200
        assert {"health", "whoami"} <= set(schema.json()["procedures"])
        # A batch: the guard refuses only its calls.
        body = [
            {"jsonrpc": "2.0", "method": "health", "id": 1},
            {"jsonrpc": "2.0", "method": "whoami", "id": 2},
        ]
        answers = post(url, body).json()
        assert answers[0]["result"] == "ok"
        assert answers[1]["error"]["code"] == 4001


# -- permissions per procedure ------------------------------------------------------------------


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_permissions_recipe(adapter: str) -> None:
    namespace = run_recipes("bearer", "permissions")
    assert namespace["PERMISSIONS"]["reports.list"] == frozenset({"reports:read"})
    with (
        served(adapter, namespace) as url,
        RPCClient(url, headers={"Authorization": f"Bearer {ADA}"}) as ada,
        RPCClient(url, headers={"Authorization": f"Bearer {BOB}"}) as bob,
        RPCClient(url) as anonymous,
    ):
        assert ada.reports.list() == ["2026-q3", "2026-q4"]
        assert bob.reports.list() == ["2026-q3", "2026-q4"]
        assert ada.users.delete("bob") is True
        assert refusal(bob, "users.delete", "ada") == (
            4003,
            "forbidden",
            {"procedure": "users.delete", "missing": ["users:delete"]},
        )
        assert bob.me() == {"user": "bob", "permissions": ["reports:read"]}
        assert ada.me()["permissions"] == ["reports:read", "schema:read", "users:delete"]
        # Authentication comes first: no token, no permission check.
        assert refusal(anonymous, "reports.list") == (4001, "unauthorized", None)
        assert anonymous.health() == "ok"
        # Registered without @secured: refused to everyone (fails closed).
        assert refusal(ada, "whoami") == (4003, "forbidden", {"procedure": "whoami"})
        # The schema needs schema:read.
        assert http_request(url, "GET", headers={"Authorization": f"Bearer {ADA}"}).status == 200
        refused = http_request(url, "GET", headers={"Authorization": f"Bearer {BOB}"})
        assert refused.status == 403
        assert refused.json()["error"]["data"] == {"procedure": "rpc.discover", "missing": ["schema:read"]}


# -- a cookie session, and CSRF -----------------------------------------------------------------

FORGED = {"jsonrpc": "2.0", "method": "transfer", "params": ["mallory", 1000], "id": 1}


def rpc_post(url: str, body: bytes, headers: dict[str, str]) -> HttpResponse:
    return http_request(url, "POST", body, headers)


@pytest.fixture
def cookie_app() -> Iterator[tuple[str, dict[str, Any]]]:
    namespace = run_recipes("cookie")
    with serve_asgi(namespace["app"]) as base_url:
        yield base_url, namespace


def log_in(base_url: str, user: str = "ada", password: str = "correct horse") -> HttpResponse:
    return http_request(base_url + "/login", "POST", json.dumps({"user": user, "password": password}).encode())


def test_cookie_session_recipe(cookie_app: tuple[str, dict[str, Any]]) -> None:
    base_url, namespace = cookie_app
    url = base_url + "/rpc"
    assert log_in(base_url, password="wrong").status == 401
    response = log_in(base_url)
    assert response.status == 200
    set_cookie = response.headers["set-cookie"]
    assert "HttpOnly" in set_cookie
    assert "Secure" in set_cookie
    assert "samesite=lax" in set_cookie.lower()
    session = set_cookie.split(";", 1)[0]  # "session=<id>"
    assert namespace["SESSIONS"][session.partition("=")[2]] == "ada"

    same_site = {"Content-Type": "application/json", "Cookie": f"theme=dark; {session}", "Origin": base_url}
    # The page's own fetch, JSON with the cookie: served.
    answer = rpc_post(url, json.dumps({**FORGED, "params": ["bob", 5]}).encode(), same_site)
    assert (answer.status, answer.json()) == (200, {"jsonrpc": "2.0", "result": 1, "id": 1})
    assert namespace["LEDGER"] == [("ada", "bob", 5)]
    # No cookie, a wrong one, a header the standard library's cookie parser would choke on: refused.
    for cookies in ("", "session=forged", "session=<(@)>; x={y}"):
        answer = rpc_post(url, json.dumps(FORGED).encode(), {**same_site, "Cookie": cookies})
        assert answer.json()["error"] == {"code": 4001, "message": "unauthorized"}, cookies


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        # <form method=post action=".../rpc"> with one field whose name is the JSON text
        (
            "application/x-www-form-urlencoded",
            json.dumps(FORGED).encode() + b"=",
        ),
        # <form enctype="text/plain">: the body is the JSON text itself, '=' and all
        ("text/plain", json.dumps({**FORGED, "pad": "="}).encode()),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n{}\r\n--x--\r\n'),
    ],
    ids=["form", "text-plain-form", "multipart-form"],
)
def test_cookie_recipe_refuses_a_cross_site_form_post(
    cookie_app: tuple[str, dict[str, Any]], content_type: str, body: bytes
) -> None:
    base_url, namespace = cookie_app
    session = log_in(base_url).headers["set-cookie"].split(";", 1)[0]
    # What a browser sends for a form on evil.example posting to the API, with the user's cookie.
    cross_site = {"Content-Type": content_type, "Cookie": session, "Origin": "https://evil.example"}
    answer = rpc_post(base_url + "/rpc", body, cross_site)
    assert answer.status == 415
    assert answer.json()["error"]["code"] == -32600
    assert not any(name.startswith("access-control-") for name in answer.headers)
    assert namespace["LEDGER"] == []  # transfer never ran


def test_cookie_recipe_gives_a_cross_site_fetch_no_preflight(cookie_app: tuple[str, dict[str, Any]]) -> None:
    base_url, namespace = cookie_app
    # A fetch with a JSON body from evil.example: the browser asks first, and is not told yes.
    preflight = http_request(
        base_url + "/rpc",
        "OPTIONS",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-credentials" not in preflight.headers
    assert namespace["LEDGER"] == []


def test_the_bearer_recipe_keeps_hashes_of_the_tokens_these_tests_use() -> None:
    hashes = {hashlib.sha256(token.encode()).hexdigest(): user for token, user in ((ADA, "ada"), (BOB, "bob"))}
    assert run_recipes("bearer")["TOKENS"] == hashes
