import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { createClient, ErrorCodes, RpcError, RpcTransportError, TransportError } from "../dist/esm/index.js";
import { fakeFetch, jsonRpc, never } from "./helpers.mjs";

const URL_ = "http://api.test/rpc";
const procedures = {
  add: (a, b = 10) => a + b,
  "users.get": (id) => ({ id, name: `user ${id}` }),
  users: (id) => `users(${id})`,
  echo: (...args) => args,
  fail: () => {
    throw Object.assign(new Error("user not found"), { code: 4004, data: { id: 9 } });
  },
};

describe("calls", () => {
  test("client.add(1, 2) POSTs a JSON-RPC 2.0 request with params by position", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch });
    assert.equal(await client.add(1, 2), 3);
    assert.equal(requests.length, 1);
    const [request] = requests;
    assert.equal(request.url, URL_);
    assert.equal(request.init.method, "POST");
    assert.deepEqual(request.body, { jsonrpc: "2.0", method: "add", params: [1, 2], id: 1 });
    assert.equal(request.headers.get("content-type"), "application/json");
    assert.equal(request.headers.get("accept"), "application/json");
  });

  test("ids increase; trailing undefined arguments are left out so server defaults apply", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch });
    assert.equal(await client.add(1, undefined), 11);
    assert.equal(await client.add(5), 15);
    assert.deepEqual(requests.map((r) => [r.body.id, r.body.params]), [[1, [1]], [2, [5]]]);
  });

  test("dotted names are nested namespaces; a procedure that is also a namespace is callable", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: new URL(URL_), fetch });
    assert.deepEqual(await client.users.get(7), { id: 7, name: "user 7" });
    assert.equal(await client.users(3), "users(3)");
    assert.deepEqual(requests.map((r) => r.body.method), ["users.get", "users"]);
  });

  test("$call by wire name, positional or by name", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch });
    assert.equal(await client.$call("add", [2, 3]), 5);
    await client.$call("echo", { a: 1 });
    assert.deepEqual(requests[1].body.params, { a: 1 });
    await client.$call("echo");
    assert.deepEqual(requests[2].body.params, []);
  });

  test("$notify sends a notification (no id) and resolves with nothing", async () => {
    const seen = [];
    const { fetch, requests } = fakeFetch(jsonRpc({ log: (m) => seen.push(m) }));
    const client = createClient({ url: URL_, fetch });
    assert.equal(await client.$notify.log("hello"), undefined);
    assert.deepEqual(requests[0].body, { jsonrpc: "2.0", method: "log", params: ["hello"] });
    assert.deepEqual(seen, ["hello"]);
  });

  test("the global fetch is used when none is given, looked up at call time", async (t) => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    t.mock.method(globalThis, "fetch", fetch);
    const client = createClient({ url: URL_ });
    assert.equal(await client.add(2, 2), 4);
    assert.equal(requests.length, 1);
  });
});

describe("headers", () => {
  test("an object, a Headers instance, or an (async) function called for every request", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    await createClient({ url: URL_, fetch, headers: { authorization: "Bearer a" } }).add(1, 1);
    await createClient({ url: URL_, fetch, headers: new Headers({ "x-one": "1" }) }).add(1, 1);
    let n = 0;
    const client = createClient({
      url: URL_,
      fetch,
      headers: async () => {
        await new Promise((r) => setTimeout(r, 1));
        return { authorization: `Bearer ${++n}` };
      },
    });
    await client.add(1, 1);
    await client.add(1, 1);
    assert.equal(requests[0].headers.get("authorization"), "Bearer a");
    assert.equal(requests[1].headers.get("x-one"), "1");
    assert.deepEqual([requests[2], requests[3]].map((r) => r.headers.get("authorization")), ["Bearer 1", "Bearer 2"]);
    // The body is JSON whatever the caller's headers say.
    const forced = fakeFetch(jsonRpc(procedures));
    await createClient({ url: URL_, fetch: forced.fetch, headers: [["content-type", "text/plain"]] }).add(1, 1);
    assert.equal(forced.requests[0].headers.get("content-type"), "application/json");
  });

  test("a headers function that throws rejects the call", async () => {
    const { fetch } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch, headers: () => { throw new Error("no token"); } });
    await assert.rejects(client.add(1, 1), /no token/);
  });
});

describe("errors", () => {
  test("a JSON-RPC error is an RpcError with code, message, data and method", async () => {
    const { fetch } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch });
    const error = await client.fail().then(() => assert.fail("resolved"), (e) => e);
    assert.ok(error instanceof RpcError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "RpcError");
    assert.equal(error.code, 4004);
    assert.equal(error.message, "user not found");
    assert.deepEqual(error.data, { id: 9 });
    assert.equal(error.method, "fail");
    assert.equal(error.isValidationError, false);
  });

  test("validation errors (-32602) carry pydantic's details in data", async () => {
    const details = [{ type: "int_parsing", loc: ["a"], msg: "Input should be a valid integer", input: "x" }];
    const { fetch } = fakeFetch((body) => ({
      jsonrpc: "2.0",
      error: { code: -32602, message: "Invalid params", data: details },
      id: body.id,
    }));
    const error = await createClient({ url: URL_, fetch }).add("x", 1).catch((e) => e);
    assert.equal(error.code, ErrorCodes.INVALID_PARAMS);
    assert.ok(error.isValidationError);
    assert.deepEqual(error.data, details);
  });

  test("an error about the whole request (id null) rejects the call", async () => {
    const { fetch } = fakeFetch(() => ({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null }));
    const error = await createClient({ url: URL_, fetch }).add(1, 2).catch((e) => e);
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, -32700);
    assert.equal(error.method, undefined);
  });

  test("transport failures are TransportErrors, never RpcErrors", async () => {
    const cases = [
      [() => Promise.reject(new TypeError("fetch failed")), "network", undefined],
      [() => new Response("<html>oops</html>", { status: 502 }), "http", 502],
      [() => new Response("not json", { status: 200 }), "parse", 200],
      [() => new Response("[1, 2]", { status: 200 }), "protocol", 200],
      [(body) => ({ jsonrpc: "2.0", result: 1, id: body.id + 100 }), "protocol", undefined],
      [(body) => ({ jsonrpc: "2.0", id: body.id }), "protocol", undefined],
      [() => undefined, "protocol", undefined], // 204 for a call that expects an answer
    ];
    for (const [handler, kind, status] of cases) {
      const { fetch } = fakeFetch(handler);
      const error = await createClient({ url: URL_, fetch }).add(1, 2).catch((e) => e);
      assert.ok(error instanceof TransportError, `${kind}: ${error}`);
      assert.ok(!(error instanceof RpcError));
      assert.equal(error.kind, kind);
      assert.equal(error.status, status);
    }
    assert.equal(RpcTransportError, TransportError);
  });

  test("an HTTP error keeps the start of the body", async () => {
    const { fetch } = fakeFetch(() => new Response("denied", { status: 401 }));
    const error = await createClient({ url: URL_, fetch }).add(1, 2).catch((e) => e);
    assert.equal(error.body, "denied");
    assert.match(error.message, /HTTP 401/);
  });
});

describe("the proxy", () => {
  test("never answers then or symbols: awaiting the client is harmless and sends nothing", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch });
    assert.equal(client.then, undefined);
    assert.equal(client.users.then, undefined);
    assert.equal(client[Symbol.iterator], undefined);
    assert.equal(`${client} ${client.users}`, "[pyRPC client] [pyRPC users]"); // Symbol.toPrimitive: no call of toString
    assert.equal(await client, client);
    assert.equal(client.users, client.users);
    assert.equal(await client.users, client.users);
    assert.equal(client.$notify, client.$notify);
    inspect(client);
    assert.equal(JSON.stringify({ client }), "{}");
    assert.equal(requests.length, 0);
  });

  test("the client itself is not a procedure", async () => {
    const { fetch } = fakeFetch(jsonRpc(procedures));
    await assert.rejects(createClient({ url: URL_, fetch })(), TypeError);
  });
});

describe("abort and timeout", () => {
  test("a signal aborted before the call rejects at once with its reason; nothing is sent", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const controller = new AbortController();
    controller.abort(new Error("changed my mind"));
    const client = createClient({ url: URL_, fetch });
    await assert.rejects(client.$with({ signal: controller.signal }).add(1, 2), /changed my mind/);
    assert.equal(requests.length, 0);
  });

  test("aborting during the call rejects with an AbortError and aborts the request", async () => {
    const { fetch, requests } = fakeFetch(never);
    const controller = new AbortController();
    const call = createClient({ url: URL_, fetch }).$with({ signal: controller.signal }).users.get(1);
    await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const error = await call.catch((e) => e);
    assert.equal(error.name, "AbortError");
    await new Promise((r) => setTimeout(r, 1));
    assert.ok(requests[0].init.signal.aborted, "the HTTP request is abandoned");
  });

  test("a timeout per call, or for every call, fails with TransportError kind timeout", async () => {
    const { fetch, requests } = fakeFetch(never);
    const started = Date.now();
    const perCall = await createClient({ url: URL_, fetch }).$with({ timeout: 30 }).add(1, 2).catch((e) => e);
    assert.ok(perCall instanceof TransportError);
    assert.equal(perCall.kind, "timeout");
    assert.match(perCall.message, /add timed out after 30 ms/);
    const byDefault = await createClient({ url: URL_, fetch, timeout: 20 }).add(1, 2).catch((e) => e);
    assert.equal(byDefault.kind, "timeout");
    assert.ok(Date.now() - started < 2000);
    await new Promise((r) => setTimeout(r, 1));
    assert.ok(requests.every((r) => r.init.signal.aborted));
  });

  test("$with options stack and do not leak into the plain client", async () => {
    const { fetch } = fakeFetch(async (body) => {
      await new Promise((r) => setTimeout(r, 40));
      return jsonRpc(procedures)(body);
    });
    const client = createClient({ url: URL_, fetch });
    const slow = client.$with({ timeout: 10 });
    await assert.rejects(slow.add(1, 1), { kind: "timeout" });
    assert.equal(await client.add(1, 1), 2);
    assert.equal(await slow.$with({ timeout: 1000 }).add(2, 2), 4);
  });
});

describe("batching", () => {
  test("calls in the same tick go as one batch; answers are matched by id, in any order", async () => {
    const server = jsonRpc(procedures);
    const { fetch, requests } = fakeFetch((body) => server(body).reverse());
    const client = createClient({ url: URL_, fetch, batch: true });
    const results = await Promise.allSettled([client.add(1, 2), client.users.get(5), client.fail(), client.add(10)]);
    assert.equal(requests.length, 1);
    assert.ok(Array.isArray(requests[0].body));
    assert.deepEqual(requests[0].body.map((r) => r.id), [1, 2, 3, 4]);
    assert.deepEqual(results[0], { status: "fulfilled", value: 3 });
    assert.deepEqual(results[1], { status: "fulfilled", value: { id: 5, name: "user 5" } });
    assert.equal(results[2].status, "rejected");
    assert.equal(results[2].reason.code, 4004);
    assert.deepEqual(results[3], { status: "fulfilled", value: 20 });
  });

  test("a lone call is sent as a single request; later ticks make new requests", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch, batch: true });
    assert.equal(await client.add(1, 1), 2);
    assert.equal(await client.add(2, 2), 4);
    assert.equal(requests.length, 2);
    assert.ok(!Array.isArray(requests[0].body));
  });

  test("maxSize splits a tick's calls; notifications ride along and are not expected back", async () => {
    const seen = [];
    const { fetch, requests } = fakeFetch(jsonRpc({ ...procedures, log: (m) => seen.push(m) }));
    const client = createClient({ url: URL_, fetch, batch: { maxSize: 2 } });
    const calls = [client.add(1, 1), client.$notify.log("a"), client.add(2, 2), client.add(3, 3), client.$notify.log("b")];
    assert.deepEqual(await Promise.all(calls), [2, undefined, 4, 6, undefined]);
    assert.deepEqual(requests.map((r) => r.body.length), [2, 2, undefined]);
    assert.deepEqual(seen, ["a", "b"]);
  });

  test("a missing answer rejects only its call; an error for the whole batch rejects all", async () => {
    const { fetch } = fakeFetch((body) => [{ jsonrpc: "2.0", result: "ok", id: body[0].id }]);
    const client = createClient({ url: URL_, fetch, batch: true });
    const [a, b] = await Promise.allSettled([client.echo(1), client.echo(2)]);
    assert.equal(a.value, "ok");
    assert.equal(b.reason.kind, "protocol");
    const refused = fakeFetch(() => ({ jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request" }, id: null }));
    const other = createClient({ url: URL_, fetch: refused.fetch, batch: true });
    const both = await Promise.allSettled([other.echo(1), other.echo(2)]);
    assert.deepEqual(both.map((r) => r.reason.code), [-32600, -32600]);
  });

  test("an aborted call leaves the batch; the others still get their answers", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch, batch: true });
    const controller = new AbortController();
    const first = client.add(1, 1);
    const second = client.$with({ signal: controller.signal }).add(2, 2);
    const third = client.add(3, 3);
    controller.abort();
    await assert.rejects(second, { name: "AbortError" });
    assert.deepEqual(await Promise.all([first, third]), [2, 6]);
    assert.deepEqual(requests[0].body.map((r) => r.params), [[1, 1], [3, 3]]);
  });
});

/** A response of Server-Sent Events whose body is written by `write(send, close, fail)`. */
function eventsResponse(write) {
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    start(controller) {
      write(
        (text) => controller.enqueue(encoder.encode(text)),
        () => controller.close(),
        (error) => controller.error(error),
      );
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" } });
}
const answerEvent = (n, answer) => `id: ${n}\ndata: ${JSON.stringify({ jsonrpc: "2.0", ...answer })}\n\n`;
const DONE_EVENT = "event: done\ndata: null\n\n";

describe("batches answered as their calls finish", () => {
  test("a batch asks for a stream and each call resolves on its own event, before the batch ends", async () => {
    let send;
    let close;
    const { fetch, requests } = fakeFetch(() => eventsResponse((s, c) => ((send = s), (close = c))));
    const client = createClient({ url: URL_, fetch, batch: true });
    const order = [];
    const slow = client.add(1, 1).then((v) => (order.push("slow"), v));
    const fast = client.add(2, 2).then((v) => (order.push("fast"), v));
    const notified = client.$notify.log("x").then(() => order.push("notification"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(requests[0].headers.get("accept"), "text/event-stream, application/json");
    send(answerEvent(0, { result: 4, id: 2 }));
    assert.equal(await fast, 4);
    await notified;
    assert.deepEqual(order, ["notification", "fast"]); // the slow call still waits, the batch still open
    send(answerEvent(1, { result: 2, id: 1 }) + DONE_EVENT);
    close();
    assert.equal(await slow, 2);
    assert.deepEqual(order, ["notification", "fast", "slow"]);
  });

  test("an error event is the answer of every call still waiting; a call done leaves unanswered is a protocol error", async () => {
    const timeout = { code: -32001, message: "Timeout: the stream ran past 30 s", data: { timeout: 30 } };
    const { fetch } = fakeFetch(() =>
      eventsResponse((send, close) => {
        send(answerEvent(0, { result: 2, id: 1 }));
        send(`event: error\ndata: ${JSON.stringify({ jsonrpc: "2.0", error: timeout, id: null })}\n\n`);
        close();
      }),
    );
    const client = createClient({ url: URL_, fetch, batch: true });
    const results = await Promise.allSettled([client.add(1, 1), client.add(2, 2), client.add(3, 3)]);
    assert.equal(results[0].value, 2);
    assert.deepEqual(results.slice(1).map((r) => r.reason.code), [-32001, -32001]);
    const { fetch: short } = fakeFetch(() => eventsResponse((send, close) => (send(answerEvent(0, { result: 2, id: 1 }) + DONE_EVENT), close())));
    const other = createClient({ url: URL_, fetch: short, batch: true });
    const [a, b] = await Promise.allSettled([other.add(1, 1), other.add(2, 2)]);
    assert.equal(a.value, 2);
    assert.equal(b.reason.kind, "protocol");
    assert.match(b.reason.message, /no answer for call 2 \(add\)/);
  });

  test("a stream that breaks off fails the calls still waiting with a network error, retried when they may be", async () => {
    let tries = 0;
    const { fetch, requests } = fakeFetch((body) => {
      tries++;
      if (tries === 1) {
        // The error comes after the first answer was read (an errored stream drops what it still queues).
        return eventsResponse((send, _close, fail) => (send(answerEvent(0, { result: "once", id: body[0].id })), setTimeout(() => fail(new Error("reset")), 20)));
      }
      return jsonRpc(procedures)(body);
    });
    const retry = { attempts: 3, baseDelay: 1, maxDelay: 5 };
    const client = createClient({ url: URL_, fetch, batch: true, retry, meta: { idempotent: ["users.get"] } });
    const results = await Promise.allSettled([client.echo("once"), client.users.get(5), client.add(1, 1)]);
    assert.equal(results[0].value, "once");
    assert.deepEqual(results[1].value, { id: 5, name: "user 5" }); // idempotent: sent again
    assert.equal(results[2].reason.kind, "network"); // may have run: not sent again
    assert.match(results[2].reason.message, /broke off: reset/);
    assert.deepEqual(requests.map((r) => (Array.isArray(r.body) ? r.body.map((c) => c.method) : r.body.method)), [["echo", "users.get", "add"], "users.get"]);
  });

  test("answers that end before their end event fail the calls still waiting with a network error", async () => {
    const { fetch } = fakeFetch(() => eventsResponse((send, close) => (send(answerEvent(0, { result: 2, id: 1 })), close())));
    const client = createClient({ url: URL_, fetch, batch: true });
    const [a, b] = await Promise.allSettled([client.add(1, 1), client.add(2, 2)]);
    assert.equal(a.value, 2);
    assert.equal(b.reason.kind, "network");
    assert.match(b.reason.message, /the answers of a batch ended before its end event/);
  });

  test("a server that answers the batch as JSON still settles it; stream: false asks for JSON", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch, batch: true });
    assert.deepEqual(await Promise.all([client.add(1, 1), client.add(2, 2)]), [2, 4]);
    const plain = createClient({ url: URL_, fetch, batch: { stream: false } });
    assert.deepEqual(await Promise.all([plain.add(1, 1), plain.add(2, 2)]), [2, 4]);
    assert.equal(requests[1].headers.get("accept"), "application/json");
    assert.equal(requests[0].headers.get("accept"), "text/event-stream, application/json");
  });

  test("an answer that is not JSON fails the calls still waiting with a parse error", async () => {
    const { fetch } = fakeFetch(() => eventsResponse((send, close) => (send(answerEvent(0, { result: 2, id: 1 }) + "data: {nope\n\n"), close())));
    const client = createClient({ url: URL_, fetch, batch: true });
    const [a, b] = await Promise.allSettled([client.add(1, 1), client.add(2, 2)]);
    assert.equal(a.value, 2);
    assert.equal(b.reason.kind, "parse");
  });
});
