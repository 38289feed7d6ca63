// The client toolkit with a fake fetch: middleware, retries, the generated meta (batch
// limits, idempotent procedures), $notify by wire name. tests/npm/test_toolkit.py runs the
// same features against a live server.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createClient, ErrorCodes, RpcError, TransportError } from "../dist/esm/index.js";
import { mayRetry, parseRetryAfter, retryDelay, retryPolicy } from "../dist/esm/retry.js";
import { fakeFetch, jsonRpc, never } from "./helpers.mjs";

const URL_ = "http://api.test/rpc";
const procedures = { add: (a, b = 10) => a + b, "users.get": (id) => ({ id }), log: () => {} };
const fast = { attempts: 3, baseDelay: 1, maxDelay: 20 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const overloaded = () =>
  new Response(JSON.stringify({ jsonrpc: "2.0", error: { code: -32002, message: "Server overloaded" }, id: null }), {
    status: 503,
    headers: { "content-type": "application/json", "retry-after": "0" },
  });
const refused = () => Promise.reject(new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }));
const reset = () => Promise.reject(new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) }));

/** A handler that fails `times` times with `failure`, then answers as the JSON-RPC server. */
function flaky(times, failure) {
  let left = times;
  const server = jsonRpc(procedures);
  return (body, request) => (left-- > 0 ? failure(body, request) : server(body));
}

describe("middleware", () => {
  test("runs in order around each request (the first outermost) and sees the response", async () => {
    const trace = [];
    const tag = (name) => async (request, next) => {
      trace.push(`${name} before ${request.body.method}`);
      const response = await next(request);
      trace.push(`${name} after ${response.status} ${response.body.result}`);
      return response;
    };
    const { fetch } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch, middleware: [tag("a"), tag("b")] });
    assert.equal(await client.add(1, 2), 3);
    assert.deepEqual(trace, ["a before add", "b before add", "b after 200 3", "a after 200 3"]);
  });

  test("changes the URL, headers and body; the request carries the attempt and a signal", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    let seen;
    const client = createClient({
      url: URL_,
      fetch,
      headers: { "x-base": "1" },
      middleware: [
        async (request, next) => {
          seen = request;
          request.headers.set("authorization", "Bearer abc");
          return next({ ...request, url: `${request.url}?v=2`, body: { ...request.body, params: [40, 2] } });
        },
      ],
    });
    assert.equal(await client.add(1, 1), 42);
    assert.equal(requests[0].url, `${URL_}?v=2`);
    assert.equal(requests[0].headers.get("authorization"), "Bearer abc");
    assert.equal(requests[0].headers.get("x-base"), "1");
    assert.equal(seen.attempt, 1);
    assert.ok(seen.signal instanceof AbortSignal);
    assert.equal(seen.headers.get("content-type"), "application/json");
  });

  test("can answer without sending (a cache, a mock); a malformed answer is a protocol error", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const mock = async (request) => ({ status: 200, headers: new Headers(), body: { jsonrpc: "2.0", result: "mocked", id: request.body.id } });
    assert.equal(await createClient({ url: URL_, fetch, middleware: [mock] }).add(1, 1), "mocked");
    assert.equal(requests.length, 0);
    const junk = async () => ({ status: 200, headers: new Headers(), body: [1] });
    await assert.rejects(createClient({ url: URL_, fetch, middleware: [junk] }).add(1, 1), { kind: "protocol" });
  });

  test("refresh-and-retry: on an auth error, get a new token and call next again", async () => {
    let token = "stale";
    const { fetch, requests } = fakeFetch((body, request) =>
      request.headers.get("authorization") === "Bearer fresh"
        ? jsonRpc(procedures)(body)
        : { jsonrpc: "2.0", error: { code: 4001, message: "token expired" }, id: body.id },
    );
    const authError = (response) => [response.body].flat().some((answer) => answer?.error?.code === 4001);
    const auth = async (request, next) => {
      request.headers.set("authorization", `Bearer ${token}`);
      const response = await next(request);
      if (!authError(response)) return response;
      token = "fresh"; // e.g. await refreshToken()
      request.headers.set("authorization", `Bearer ${token}`);
      return next(request);
    };
    const client = createClient({ url: URL_, fetch, middleware: [auth] });
    assert.equal(await client.add(2, 2), 4);
    assert.equal(requests.length, 2);
    assert.equal(await client.add(3, 3), 6);
    assert.equal(requests.length, 3);
  });

  test("sees transport errors as rejections of next, and may turn them into answers", async () => {
    const { fetch } = fakeFetch(() => new Response("oops", { status: 500 }));
    const errors = [];
    const logging = async (request, next) => {
      try {
        return await next(request);
      } catch (error) {
        errors.push(`${error.kind} ${error.status}`);
        throw error;
      }
    };
    await assert.rejects(createClient({ url: URL_, fetch, middleware: [logging] }).add(1, 1), { kind: "http", status: 500 });
    assert.deepEqual(errors, ["http 500"]);
    const fallback = async (request, next) =>
      next(request).catch(() => ({ status: 200, headers: new Headers(), body: { jsonrpc: "2.0", result: 0, id: request.body.id } }));
    assert.equal(await createClient({ url: URL_, fetch, middleware: [fallback] }).add(1, 1), 0);
  });

  test("a batch goes through once, with every call in the body", async () => {
    const bodies = [];
    const { fetch } = fakeFetch(jsonRpc(procedures));
    const client = createClient({
      url: URL_,
      fetch,
      batch: true,
      middleware: [(request, next) => (bodies.push(request.body), next(request))],
    });
    assert.deepEqual(await Promise.all([client.add(1, 1), client.add(2, 2)]), [2, 4]);
    assert.equal(bodies.length, 1);
    assert.deepEqual(bodies[0].map((r) => r.method), ["add", "add"]);
  });
});

describe("retries", () => {
  test("off by default: one request, the error as it came", async () => {
    const { fetch, requests } = fakeFetch(overloaded);
    await assert.rejects(createClient({ url: URL_, fetch }).add(1, 1), { kind: "http", status: 503, retryAfter: 0 });
    assert.equal(requests.length, 1);
  });

  test("any procedure is retried when it surely did not run: overloaded (503, -32002), 429, connection refused", async () => {
    for (const failure of [overloaded, () => new Response("slow down", { status: 429 }), refused]) {
      const { fetch, requests } = fakeFetch(flaky(2, failure));
      const attempts = [];
      const client = createClient({ url: URL_, fetch, retry: fast, middleware: [(r, next) => (attempts.push(r.attempt), next(r))] });
      assert.equal(await client.add(1, 1), 2);
      assert.equal(requests.length, 3);
      assert.deepEqual(attempts, [1, 2, 3]);
    }
  });

  test("a procedure that is not idempotent is not retried after what may have run it", async () => {
    const failures = [reset, () => new Response("bad gateway", { status: 502 }), () => new Response("x", { status: 503 }), () => new Response("x", { status: 504 })];
    for (const failure of failures) {
      const { fetch, requests } = fakeFetch(flaky(1, failure));
      const client = createClient({ url: URL_, fetch, retry: fast, meta: { idempotent: ["users.get"] } });
      await assert.rejects(client.add(1, 1), TransportError);
      assert.equal(requests.length, 1);
    }
  });

  test("an idempotent procedure (meta.idempotent) is retried after network errors, 502/503/504 and -32001", async () => {
    const deadline = (body) => ({ jsonrpc: "2.0", error: { code: -32001, message: "deadline" }, id: body.id });
    const failures = [reset, () => new Response("x", { status: 502 }), () => new Response("x", { status: 504 }), deadline];
    for (const failure of failures) {
      const { fetch, requests } = fakeFetch(flaky(2, failure));
      const client = createClient({ url: URL_, fetch, retry: fast, meta: { idempotent: ["users.get"] } });
      assert.deepEqual(await client.users.get(7), { id: 7 });
      assert.equal(requests.length, 3);
      const again = fakeFetch(flaky(1, failure));
      await assert.rejects(createClient({ url: URL_, fetch: again.fetch, retry: fast }).users.get(7)); // no meta: not idempotent
      assert.equal(again.requests.length, 1);
    }
  });

  test("a procedure's own error is never retried, idempotent or not", async () => {
    const { fetch, requests } = fakeFetch((body) => ({ jsonrpc: "2.0", error: { code: 4004, message: "not found" }, id: body.id }));
    const client = createClient({ url: URL_, fetch, retry: fast, meta: { idempotent: ["users.get"] } });
    await assert.rejects(client.users.get(1), { code: 4004 });
    assert.equal(requests.length, 1);
  });

  test("stops after `attempts` tries with the last error; per call with $with, or off", async () => {
    const { fetch, requests } = fakeFetch(overloaded);
    const client = createClient({ url: URL_, fetch, retry: fast });
    await assert.rejects(client.add(1, 1), { status: 503 });
    assert.equal(requests.length, 3);
    await assert.rejects(client.$with({ retry: { ...fast, attempts: 5 } }).add(1, 1));
    assert.equal(requests.length, 8);
    await assert.rejects(client.$with({ retry: false }).add(1, 1));
    assert.equal(requests.length, 9);
  });

  test("Retry-After is honoured; above maxDelay the call fails at once", async () => {
    const later = () => new Response("busy", { status: 429, headers: { "retry-after": "1" } });
    const { fetch, requests } = fakeFetch(flaky(1, later));
    const started = Date.now();
    await assert.rejects(createClient({ url: URL_, fetch, retry: { maxDelay: 500 } }).add(1, 1), { status: 429, retryAfter: 1000 });
    assert.ok(Date.now() - started < 400);
    assert.equal(requests.length, 1);
  });

  test("an abort during the wait rejects at once and sends nothing more", async () => {
    const { fetch, requests } = fakeFetch(overloaded);
    const controller = new AbortController();
    const client = createClient({ url: URL_, fetch, retry: { attempts: 5, baseDelay: 10_000, maxDelay: 10_000 } });
    const started = Date.now();
    const call = client.$with({ signal: controller.signal }).add(1, 1);
    await sleep(20);
    controller.abort();
    await assert.rejects(call, { name: "AbortError" });
    assert.ok(Date.now() - started < 1000);
    await sleep(20);
    assert.equal(requests.length, 1);
  });

  test("the call's timeout covers its retries", async () => {
    const { fetch, requests } = fakeFetch(overloaded);
    const client = createClient({ url: URL_, fetch, timeout: 50, retry: { attempts: 100, baseDelay: 5, maxDelay: 5 } });
    await assert.rejects(client.add(1, 1), { kind: "timeout" });
    const sent = requests.length;
    assert.ok(sent > 1);
    await sleep(30);
    assert.equal(requests.length, sent);
  });

  test("in a batch, only the calls that may be retried are sent again", async () => {
    let first = true;
    const server = jsonRpc(procedures);
    const { fetch, requests } = fakeFetch((body, request) => {
      if (first) {
        first = false;
        return reset(body, request);
      }
      return server(body);
    });
    const client = createClient({ url: URL_, fetch, batch: true, retry: fast, meta: { idempotent: ["users.get"] } });
    const [get, add] = await Promise.allSettled([client.users.get(1), client.add(1, 1)]);
    assert.deepEqual(get.value, { id: 1 });
    assert.equal(add.reason.kind, "network");
    assert.equal(requests.length, 2);
    assert.equal(requests[1].body.method, "users.get"); // alone now: a single request
  });

  test("an overloaded answer inside a batch retries that call", async () => {
    let refusedOnce = false;
    const server = jsonRpc(procedures);
    const { fetch, requests } = fakeFetch((body) =>
      [body].flat().map((request) => {
        if (request.method === "add" && !refusedOnce) {
          refusedOnce = true;
          return { jsonrpc: "2.0", error: { code: ErrorCodes.OVERLOADED, message: "busy" }, id: request.id };
        }
        return server(request);
      }),
    );
    const client = createClient({ url: URL_, fetch, batch: true, retry: fast });
    assert.deepEqual(await Promise.all([client.add(1, 1), client.users.get(2)]), [2, { id: 2 }]);
    assert.equal(requests.length, 2);
  });

  test("the pure parts: policy, classification, delays, Retry-After", () => {
    assert.equal(retryPolicy(false), undefined);
    assert.equal(retryPolicy({ attempts: 1 }), undefined);
    assert.deepEqual(retryPolicy(true), { attempts: 3, baseDelay: 100, maxDelay: 5000 });
    const policy = retryPolicy({ baseDelay: 100, maxDelay: 1000, attempts: 10 });
    assert.equal(retryDelay(policy, 1, new Error(), () => 0.999), 99);
    assert.equal(retryDelay(policy, 3, new Error(), () => 0.999), 399);
    assert.equal(retryDelay(policy, 9, new Error(), () => 0.999), 999); // capped
    assert.equal(retryDelay(policy, 9, new Error(), () => 0), 0); // full jitter
    const busy = new TransportError("http", "busy", { status: 503, retryAfter: 700 });
    assert.equal(retryDelay(policy, 1, busy, () => 0), 700);
    assert.equal(retryDelay(policy, 1, new TransportError("http", "x", { status: 503, retryAfter: 2000 })), undefined);
    assert.equal(parseRetryAfter("2"), 2000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter("soon"), undefined);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 7_000), 3000);
    assert.equal(parseRetryAfter(new Date(0).toUTCString(), 7_000), 0);
    assert.equal(mayRetry(new RpcError(-32002, "busy"), false), true);
    assert.equal(mayRetry(new RpcError(-32001, "late"), false), false);
    assert.equal(mayRetry(new RpcError(-32001, "late"), true), true);
    assert.equal(mayRetry(new RpcError(-32603, "boom"), true), false);
    assert.equal(mayRetry(new TransportError("timeout", "t"), true), false);
    assert.equal(mayRetry(new TransportError("parse", "p"), true), false);
    assert.equal(mayRetry(new TransportError("http", "h", { status: 415 }), true), false);
    const aggregate = Object.assign(new AggregateError([{ code: "ECONNREFUSED" }, { code: "ECONNREFUSED" }]), { code: undefined });
    assert.equal(mayRetry(new TransportError("network", "n", { cause: new TypeError("fetch failed", { cause: aggregate }) }), false), true);
    assert.equal(mayRetry(new TransportError("network", "n", { cause: new TypeError("Failed to fetch") }), false), false);
    assert.equal(mayRetry(new DOMException("aborted", "AbortError"), true), false);
  });
});

describe("meta from @pyrpc/types", () => {
  test("maxBatch caps batches even when maxSize asks for more", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc(procedures));
    const client = createClient({ url: URL_, fetch, batch: { maxSize: 500 }, meta: { maxBatch: 2, maxBodyBytes: null, idempotent: [] } });
    assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map((n) => client.add(n, n))), [2, 4, 6, 8, 10]);
    assert.deepEqual(requests.map((r) => (Array.isArray(r.body) ? r.body.length : 1)), [2, 2, 1]);
  });

  test("maxBodyBytes splits a batch so that no body is larger", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc({ echo: (s) => s }));
    const limit = 300;
    const client = createClient({ url: URL_, fetch, batch: true, meta: { maxBodyBytes: limit } });
    const texts = Array.from({ length: 7 }, (_, i) => `${i}`.repeat(60) + "é");
    assert.deepEqual(await Promise.all(texts.map((t) => client.echo(t))), texts);
    assert.ok(requests.length > 1);
    for (const request of requests) assert.ok(Buffer.byteLength(request.init.body) <= limit, request.init.body);
    assert.deepEqual(requests.flatMap((r) => [r.body].flat().map((c) => c.params[0])), texts);
  });
});

describe("$notify by wire name", () => {
  test("client.$notify(method, params, options) sends a notification", async () => {
    const seen = [];
    const { fetch, requests } = fakeFetch(jsonRpc({ "audit.log": (m) => seen.push(m) }));
    const client = createClient({ url: URL_, fetch });
    assert.equal(await client.$notify("audit.log", ["hi"]), undefined);
    assert.deepEqual(requests[0].body, { jsonrpc: "2.0", method: "audit.log", params: ["hi"] });
    assert.deepEqual(seen, ["hi"]);
    await client.$notify("audit.log", { message: "named" }, { timeout: 1000 });
    assert.deepEqual(requests[1].body.params, { message: "named" });
    await assert.rejects(client.$notify(42), TypeError);
    const { fetch: hang } = fakeFetch(never);
    await assert.rejects(createClient({ url: URL_, fetch: hang }).$notify("x", [], { timeout: 10 }), { kind: "timeout" });
  });
});
