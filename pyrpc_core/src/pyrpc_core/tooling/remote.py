"""A running server's schema, fetched and checked before anything is made of it.

``pyrpc codegen --url`` and ``pyrpc inspect --url`` read the introspection document with
``GET``. A wrong URL (a 404, a health check's JSON, an HTML page) must never become an empty
client written over good types: the answer's status, its body and its shape are checked
here, and every refusal is one line saying what came back and what to try.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

ENDPOINT_HINT = "is the URL the pyRPC endpoint (…/rpc)?"


class SchemaError(Exception):
    """No pyRPC schema at the URL (unreachable, an error status, not JSON, another document); one line."""


def endpoint_url(url: str) -> str:
    """``url`` with the default path ``/rpc`` when it has none, as ``RPCClient`` reads it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SchemaError(f"{url!r} is not an http:// or https:// URL (expected e.g. http://127.0.0.1:8000/rpc)")
    if parts.path in ("", "/"):
        parts = parts._replace(path="/rpc")
    return urllib.parse.urlunsplit(parts)


def fetch_schema(url: str, timeout: float = 30.0) -> dict[str, Any]:
    """``GET url`` and return the checked introspection document, or raise ``SchemaError``."""
    url = endpoint_url(url)
    parts = urllib.parse.urlsplit(url)
    factory = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = factory(parts.netloc, timeout=timeout)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("GET", target, headers={"Accept": "application/json"})
        response = connection.getresponse()
        status, reason, body = response.status, response.reason, response.read()
        content_type = response.getheader("Content-Type", "")
    except (OSError, http.client.HTTPException) as exc:
        raise SchemaError(f"cannot fetch the schema from {url}: {exc}") from None
    finally:
        connection.close()
    if status != 200:
        raise SchemaError(f"GET {url} answered HTTP {status} {reason}".rstrip() + f"; {ENDPOINT_HINT}")
    try:
        document = json.loads(body)
    except ValueError:
        what = f"a {content_type.split(';')[0].strip()} body" if content_type else "a body"
        raise SchemaError(f"GET {url} did not return JSON (it sent {what}); {ENDPOINT_HINT}") from None
    return check_schema(document, f"GET {url}")


def check_schema(document: Any, source: str) -> dict[str, Any]:
    """``document`` when it is a pyRPC schema (an object with an integer ``version`` and a
    ``procedures`` object), else ``SchemaError`` naming ``source`` (``GET http://…/rpc``)."""
    problem = schema_problem(document)
    if problem is not None:
        raise SchemaError(f"{source} did not return a pyRPC schema ({problem}); {ENDPOINT_HINT}")
    checked: dict[str, Any] = document
    return checked


def schema_problem(document: Any) -> str | None:
    """Why ``document`` is not a pyRPC schema, in a few words; None when it is one."""
    if not isinstance(document, dict):
        return 'not an object with "version" and "procedures"'
    if "version" not in document and "procedures" not in document:
        return 'no "version" and "procedures"'
    version = document.get("version")
    if type(version) is not int:  # bool is an int to isinstance
        return 'no integer "version"'
    if not isinstance(document.get("procedures"), dict):
        return 'no "procedures" object'
    return None
