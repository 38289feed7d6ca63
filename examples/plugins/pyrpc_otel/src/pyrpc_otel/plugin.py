"""A span around every procedure call, through the ``pyrpc_call`` hook (entry point ``otel``).

Each call gets a SERVER span named after the procedure, as a child of whatever span is current
when the call runs (the HTTP server span, when the app has OpenTelemetry's ASGI or WSGI
middleware); the calls of a batch are siblings. The attributes are those of OpenTelemetry's
semantic conventions for JSON-RPC. The span's status is ERROR when the procedure raises (an
``RpcError`` adds its code and message, any other exception is recorded), OK otherwise.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from pyrpc_core.errors import RpcError
from pyrpc_core.plugins import hookimpl

if TYPE_CHECKING:
    from pyrpc_core import Procedure

from . import __version__

# A proxy until the application sets its TracerProvider; then that provider's tracer.
tracer = trace.get_tracer("pyrpc_otel", __version__)


@hookimpl(wrapper=True)
def pyrpc_call(procedure: Procedure) -> Generator[None, Any, Any]:
    """Run the call inside its span: pyRPC runs the procedure at the ``yield``."""
    attributes = {"rpc.system": "jsonrpc", "rpc.method": procedure.name, "rpc.jsonrpc.version": "2.0"}
    with tracer.start_as_current_span(
        procedure.name,
        kind=SpanKind.SERVER,
        attributes=attributes,
        record_exception=False,  # recorded below, once, and not for an RpcError
        set_status_on_exception=False,
    ) as span:
        try:
            result = yield
        except RpcError as error:  # the procedure's own answer: the client gets this code
            span.set_attributes({"rpc.jsonrpc.error_code": error.code, "rpc.jsonrpc.error_message": error.message})
            span.set_status(StatusCode.ERROR, error.message)
            raise
        except Exception as error:  # a crash: the client gets -32603 Internal error
            span.record_exception(error)
            span.set_status(StatusCode.ERROR, f"{type(error).__name__}: {error}")
            raise
        span.set_status(StatusCode.OK)
        return result
