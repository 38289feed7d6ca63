"""pyRPC on each of its adapters, serving the benchmark's procedures."""

from __future__ import annotations

from fastapi import FastAPI
from flask import Flask

import pyrpc_asgi
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import Registry
from pyrpc_core.plugins import PluginManager

from .api import add, add_async, echo_order, echo_order_async, wait_20ms, wait_ms

async_registry = Registry()
async_registry.rpc(name="add")(add_async)
async_registry.rpc(name="echo_order")(echo_order_async)
async_registry.rpc(wait_20ms)
async_registry.rpc(wait_ms)

sync_registry = Registry()
sync_registry.rpc(add)
sync_registry.rpc(echo_order)

# pyRPC itself, without the plugins installed where the bench runs (the development venv has the
# example plugins, pyrpc-otel's pyrpc_call wrapper among them).
plugins = PluginManager()

asgi = pyrpc_asgi.create_app(async_registry, plugins=plugins)
asgi_sync = pyrpc_asgi.create_app(sync_registry, plugins=plugins)

fastapi = FastAPI()
pyrpc_fastapi.mount(fastapi, async_registry, plugins=plugins)

# FastAPI (0.16x) asks OpenTelemetry on every request whether a provider is configured, before
# any middleware runs; without one, that costs about as much as a pyRPC call. An app that does
# not use FastAPI's telemetry can turn it off: the same mount, measured beside the default.
fastapi_quiet = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})
pyrpc_fastapi.mount(fastapi_quiet, async_registry, plugins=plugins)

flask = Flask(__name__)
pyrpc_flask.mount(flask, sync_registry, plugins=plugins)
