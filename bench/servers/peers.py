"""The peers: fastapi-jsonrpc, a plain FastAPI route and a plain Flask route doing the same work."""

from __future__ import annotations

from typing import Any

import fastapi_jsonrpc as jsonrpc
from fastapi import FastAPI
from flask import Flask, jsonify, request
from pydantic import BaseModel

from .api import Order, add, add_async, echo_order, echo_order_async, wait_20ms, wait_ms

# -- fastapi-jsonrpc: JSON-RPC 2.0 on FastAPI, validated by pydantic ----------------------

fastapi_jsonrpc = jsonrpc.API()
_entrypoint = jsonrpc.Entrypoint("/rpc")


@_entrypoint.method(name="add")
async def add_method(a: int, b: int) -> int:
    return await add_async(a, b)


@_entrypoint.method(name="echo_order")
async def echo_order_method(order: Order) -> Order:
    return await echo_order_async(order)


@_entrypoint.method(name="wait_20ms")
async def wait_method(n: int) -> int:
    return await wait_20ms(n)


@_entrypoint.method(name="wait_ms")
async def wait_ms_method(ms: int) -> int:
    return await wait_ms(ms)


fastapi_jsonrpc.bind_entrypoint(_entrypoint)

# -- plain FastAPI: one POST route per call, with a pydantic body -------------------------


class AddBody(BaseModel):
    a: int
    b: int


class OrderBody(BaseModel):
    order: Order


fastapi_plain = FastAPI()


@fastapi_plain.post("/add")
async def add_route(body: AddBody) -> int:
    return await add_async(body.a, body.b)


@fastapi_plain.post("/echo_order")
async def echo_order_route(body: OrderBody) -> Order:
    return await echo_order_async(body.order)


# -- plain Flask: one JSON route per call, validated by pydantic --------------------------

flask_plain = Flask(__name__)


@flask_plain.post("/add")
def flask_add() -> Any:
    body = AddBody.model_validate(request.get_json())
    return jsonify(add(body.a, body.b))


@flask_plain.post("/echo_order")
def flask_echo_order() -> Any:
    body = OrderBody.model_validate(request.get_json())
    return flask_plain.response_class(echo_order(body.order).model_dump_json(), mimetype="application/json")
