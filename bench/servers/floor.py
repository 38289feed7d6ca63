"""The floor: a hand-written minimal ASGI JSON-RPC handler, no validation at all."""

from __future__ import annotations

import json
from typing import Any

from .api import add


async def read_body(receive: Any) -> bytes:
    """The whole request body, as a hand-written ASGI handler reads it."""
    body = b""
    while True:
        message = await receive()
        chunk: bytes = message.get("body", b"")
        body += chunk
        if not message.get("more_body"):
            return body


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    request = json.loads(body)
    params = request["params"]
    if request["method"] == "add":
        result: Any = add(*params) if isinstance(params, list) else add(**params)
    else:
        result = params["order"] if isinstance(params, dict) else params[0]
    answer = json.dumps({"jsonrpc": "2.0", "result": result, "id": request["id"]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": answer})
