"""Which procedure names every client can serve.

A wire name's dotted segments become property paths in the clients (``users.get`` is
``client.users.get`` in TypeScript and in Python). The JSON-RPC name space and a few words
JavaScript calls on any object by itself are out of their reach, so the registry refuses them
at registration, where the name is written, rather than leaving every client to fail.
"""

from __future__ import annotations

# A segment JavaScript itself calls on an object, so that no client proxy can be that procedure.
_IMPLICIT = {
    "then": "await (and every async function returning the client) would call it: the client would be a thenable",
    "toJSON": "JSON.stringify calls it on any object, so logging the client would send a call",
}


def refusal(name: str) -> str | None:
    """Why no client can serve a procedure named ``name``, or None when every client can."""
    if name.startswith("rpc."):
        return "JSON-RPC reserves method names that start with 'rpc.'"
    for segment in name.split("."):
        why = _IMPLICIT.get(segment)
        if why is not None:
            return f"its segment {segment!r} is a name the TypeScript client cannot serve: {why}"
        if segment.startswith("$"):
            return (
                f"its segment {segment!r} starts with '$', which the clients keep for their own "
                "helpers ($call, $notify, $with, $stream)"
            )
    return None
