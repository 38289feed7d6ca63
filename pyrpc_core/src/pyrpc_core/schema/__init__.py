"""The Introspection Engine: a registry as one JSON document, the format ``GET /rpc`` serves.

::

    {"version": 1,
     "procedures": {"<name>": {"name", "doc", "params": <JSON Schema object>, "result": <JSON Schema>}},
     "$defs": {"<Model>": <JSON Schema>}}

Every model appears once, in the top-level ``$defs``, and ``$ref``s point there. Parameters
are described as pydantic validates them (input shape), results as it serializes them
(output shape: a field with a default is always present). The document is deterministic:
procedures and ``$defs`` are sorted by name, properties keep their declaration order (which is
also the order of by-position params).

Documents are built from cached pieces (``schema_cache``), so in a long-lived process a
rebuild after a small change costs little, and unchanged parts of successive documents are
the same objects: treat a document as read-only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .cache import SchemaCache
from .generator import SchemaGenerator
from .snapshot import dump_snapshot

if TYPE_CHECKING:
    import pluggy

    from ..registry import Registry

__all__ = ["SCHEMA_VERSION", "SchemaGenerator", "build_schema", "def_origins", "dump_schema", "dump_snapshot"]

SCHEMA_VERSION = 1

_cache = SchemaCache()


def build_schema(registry: Registry, plugins: pluggy.PluginManager | None = None) -> dict[str, Any]:
    """The introspection document of ``registry``, amended by the plugins' ``pyrpc_amend_schema``.

    ``plugins`` defaults to the installed plugins (``pyrpc_core.plugins.get_plugin_manager()``).
    """
    procedures, defs = _cache.build(list(registry))
    document: dict[str, Any] = {"version": SCHEMA_VERSION, "procedures": procedures, "$defs": defs}

    if plugins is None:
        from ..plugins import get_plugin_manager

        plugins = get_plugin_manager()
    if plugins.hook.pyrpc_amend_schema.get_hookimpls():
        # Amended in place: a copy of its own, so that the cached pieces stay as generated.
        document = json.loads(json.dumps(document))
        plugins.hook.pyrpc_amend_schema(schema=document, registry=registry)
    return document


def def_origins(registry: Registry) -> dict[str, str]:
    """What each ``$defs`` name of ``registry``'s document denotes: the class's module and
    qualname, with `` (input)`` for an input shape (``{"PkgA_User": "pkg_a.models.User"}``).
    Free right after ``build_schema`` of the same registry."""
    return _cache.origins(list(registry))


def dump_schema(schema: dict[str, Any]) -> bytes:
    """The document as compact UTF-8 JSON; the same document always gives the same bytes."""
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":")).encode()
