"""OpenTelemetry tracing for pyRPC: a span around every procedure call.

Installing the distribution is all it takes: its entry point (``otel = "pyrpc_otel.plugin"``
in the group ``pyrpc``) registers the ``pyrpc_call`` hook of ``pyrpc_otel.plugin``, and the
spans go to the TracerProvider the application sets up.
"""

__version__ = "2.0.0"
