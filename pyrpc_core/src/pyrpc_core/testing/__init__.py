"""Test kits for plugin authors: prove that an adapter or an emitter behaves exactly like ours.

- ``adapters``: ``AdapterConformance`` and the ``conformance_registry()`` it calls;
- ``hardening``: ``HardeningConformance``, the limits, CORS, introspection and load, deadlines,
  backpressure, faults and disconnects, with the ``production_registry()`` they call;
- ``streaming``: ``StreamingConformance``, streaming procedures on the wire (items, errors,
  resuming, refusals, limits, clients that leave), with the ``streaming_registry()`` it calls;
- ``emitters``: ``EmitterHarness``, ``check_emitter`` and the ``schema_corpus()``;
- ``wire``: the HTTP helpers they use (``http_request``, ``post``, ``EventReader``, ``serve_asgi``).

The adapter conformance kit:

An adapter author serves ``conformance_registry()`` at ``/rpc`` with their adapter on a real
HTTP server, and subclasses ``AdapterConformance`` with a ``rpc_url`` fixture giving that
endpoint's URL::

    import pytest
    from pyrpc_core.testing import AdapterConformance, conformance_registry, serve_asgi

    class TestMyAdapter(AdapterConformance):
        @pytest.fixture(scope="class")
        @classmethod
        def rpc_url(cls):
            with serve_asgi(my_adapter.create_app(conformance_registry(), "/rpc")) as base_url:
                yield base_url + "/rpc"

Every test makes real HTTP requests with the standard library and compares the answers
byte for byte with what the core dispatcher itself gives for the same request, and with the
examples of section 7 of the JSON-RPC 2.0 specification. The kit imports no web framework;
pytest is imported here only, so it never becomes a dependency of pyrpc-core.
"""

from .adapters import FORBIDDEN, SECRET, AdapterConformance, conformance_registry
from .emitters import (
    UPDATE_SNAPSHOTS,
    EmitterCheckError,
    EmitterHarness,
    check_emitter,
    generate_checked,
    generate_in_fresh_process,
    reordered,
    schema_corpus,
)
from .hardening import (
    BACKPRESSURE_LIMITS,
    DEADLINE,
    DEADLINE_LIMITS,
    FAULTS,
    HARDENED_CORS,
    HARDENED_LIMITS,
    HARDENED_ORIGIN,
    INTROSPECTION_TOKEN,
    MAX_IN_FLIGHT,
    WAITING_LIMITS,
    AsgiHardeningConformance,
    HardeningConformance,
    concurrent_posts,
    hang_up,
    hardened_registry,
    production_registry,
    raw_request,
    recording_logs,
    timed_posts,
)
from .streaming import (
    LIMITED_STREAM_LIMITS,
    STREAM_HEARTBEAT,
    STREAM_LIMITS,
    STREAM_SECONDS,
    StreamingConformance,
    streaming_registry,
)
from .wire import Event, EventReader, HttpResponse, http_request, parse_events, post, read_events, serve_asgi

__all__ = [
    "BACKPRESSURE_LIMITS",
    "DEADLINE",
    "DEADLINE_LIMITS",
    "FAULTS",
    "FORBIDDEN",
    "HARDENED_CORS",
    "HARDENED_LIMITS",
    "HARDENED_ORIGIN",
    "INTROSPECTION_TOKEN",
    "LIMITED_STREAM_LIMITS",
    "MAX_IN_FLIGHT",
    "SECRET",
    "STREAM_HEARTBEAT",
    "STREAM_LIMITS",
    "STREAM_SECONDS",
    "UPDATE_SNAPSHOTS",
    "WAITING_LIMITS",
    "AdapterConformance",
    "EmitterCheckError",
    "Event",
    "EventReader",
    "EmitterHarness",
    "AsgiHardeningConformance",
    "HardeningConformance",
    "HttpResponse",
    "StreamingConformance",
    "check_emitter",
    "concurrent_posts",
    "conformance_registry",
    "generate_checked",
    "generate_in_fresh_process",
    "hang_up",
    "hardened_registry",
    "http_request",
    "parse_events",
    "post",
    "production_registry",
    "raw_request",
    "read_events",
    "recording_logs",
    "reordered",
    "schema_corpus",
    "serve_asgi",
    "streaming_registry",
    "timed_posts",
]
