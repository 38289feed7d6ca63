"""pyRPC on each of its adapters, serving the benchmark's procedures."""

from __future__ import annotations

from fastapi import FastAPI
from flask import Flask

import pyrpc_asgi
import pyrpc_fastapi
import pyrpc_flask
from pyrpc_core import Registry

from .api import add, add_async, echo_order, echo_order_async, wait_20ms

async_registry = Registry()
async_registry.rpc(name="add")(add_async)
async_registry.rpc(name="echo_order")(echo_order_async)
async_registry.rpc(wait_20ms)

sync_registry = Registry()
sync_registry.rpc(add)
sync_registry.rpc(echo_order)

asgi = pyrpc_asgi.create_app(async_registry)
asgi_sync = pyrpc_asgi.create_app(sync_registry)

fastapi = FastAPI()
pyrpc_fastapi.mount(fastapi, async_registry)

flask = Flask(__name__)
pyrpc_flask.mount(flask, sync_registry)
