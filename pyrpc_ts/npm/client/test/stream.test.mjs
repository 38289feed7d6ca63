// Streaming procedures with a fake fetch: the SSE parser (chunk boundaries, CRLF and CR,
// comments, multi-line data, ids), items, error events, refusals, break/return/abort/timeout
// closing the request, reconnection with Last-Event-ID, 503 with Retry-After, middleware.
// tests/npm/toolkit/stream.test.ts runs the same against a live server.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createClient, ErrorCodes, RpcError, TransportError } from "../dist/esm/index.js";
import { SseParser } from "../dist/esm/sse.js";
import { fakeFetch, jsonRpc } from "./helpers.mjs";

const URL_ = "http://api.test/rpc";
const meta = { streams: ["progress", "jobs.watch"], idempotent: [] };
const fast = { attempts: 3, baseDelay: 1, maxDelay: 50 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const encoder = new TextEncoder();

/** All events of `text` fed to a parser in pieces of `size` characters. */
function parseAll(text, size = text.length) {
  const parser = new SseParser();
  const events = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
  events.push(...parser.push("", true));
  return { events, lastId: parser.lastId };
}

/**
 * An event-stream Response for a request: `parts` are strings (sent as they are), numbers
 * (milliseconds to wait) or Uint8Arrays; then the body ends, stays open (`hold`), or fails
 * (`fail`: an error). Tied to the request's signal as fetch's bodies are; `state.cancelled`
 * tells whether the client let go of it.
 */
function sse(request, parts, { hold = false, fail, status = 200 } = {}) {
  const state = { cancelled: false };
  const signal = request.init.signal;
  const body = new ReadableStream({
    async start(controller) {
      signal?.addEventListener("abort", () => {
        state.cancelled = true;
        try {
          controller.error(signal.reason);
        } catch {}
      });
      for (const part of parts) {
        if (signal?.aborted) return;
        if (typeof part === "number") await sleep(part);
        else controller.enqueue(typeof part === "string" ? encoder.encode(part) : part);
      }
      if (fail) controller.error(fail);
      else if (!hold) controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  request.state = state;
  return new Response(body, { status, headers: { "content-type": "text/event-stream; charset=utf-8" } });
}

const item = (id, value) => `id: ${id}\ndata: ${JSON.stringify(value)}\n\n`;
const DONE = "event: done\ndata: null\n\n";

describe("the SSE parser", () => {
  const text =
    ": ping\n\n" +
    "id: 0\ndata: {\"a\":1}\n\n" +
    "event: error\ndata: {\"jsonrpc\":\"2.0\",\n" +
    "data: \"error\":{}}\n\n" +
    "data:no space\r\n\r\n" +
    "data\rdata:  two spaces\r\r" +
    "id: 7\nretry: 10\nunknown: x\n\n" +
    "id: a\0b\ndata: nul\n\n" +
    "event: done\ndata: null\n\n" +
    "data: never finished\n";
  const expected = [
    { type: "message", data: '{"a":1}' },
    { type: "error", data: '{"jsonrpc":"2.0",\n"error":{}}' },
    { type: "message", data: "no space" },
    { type: "message", data: "\n two spaces" },
    { type: "message", data: "nul" },
    { type: "done", data: "null" },
  ];

  test("follows the standard: comments, fields, multi-line data, CRLF and CR, ids, no dispatch without data", () => {
    const { events, lastId } = parseAll(text);
    assert.deepEqual(events, expected);
    assert.equal(lastId, "7"); // an id with NUL is ignored; an event without data still sets the id
  });

  test("gives the same events whatever the chunk boundaries (every size, CR and LF apart)", () => {
    for (let size = 1; size <= 12; size++) assert.deepEqual(parseAll(text, size).events, expected, `pieces of ${size}`);
    const parser = new SseParser();
    assert.deepEqual(parser.push("data: x\r"), []); // an LF may follow
    assert.deepEqual(parser.push("\n"), []); // ...it did: one line end, not two
    assert.deepEqual(parser.push("\r"), []);
    assert.deepEqual(parser.push("", true), [{ type: "message", data: "x" }]); // a CR at the end is a line end
  });

  test("keeps the id it resumed from until the server sends another", () => {
    const parser = new SseParser("41");
    parser.push("data: 1\n\n");
    assert.equal(parser.lastId, "41");
    parser.push("id: 42\ndata: 2\n\nid\n\n");
    assert.equal(parser.lastId, ""); // an empty id resets it
  });
});

describe("streams", () => {
  test("meta.streams makes client.progress(job) an AsyncIterable of parsed items; the request asks for SSE", async () => {
    const { fetch, requests } = fakeFetch((body, request) => sse(request, [": ping\n\n", item(0, { done: 1, of: 2 }), 'id: 1\ndata: {"done":2,"of":2,"big":1e400}\n\n', DONE]));
    const client = createClient({ url: URL_, fetch, meta });
    const steps = client.progress("job-1", undefined);
    assert.equal(requests.length, 0, "nothing is sent before the iteration starts");
    const seen = [];
    for await (const step of steps) seen.push(step);
    assert.deepEqual(seen, [{ done: 1, of: 2 }, { done: 2, of: 2, big: Infinity }]);
    assert.equal(requests.length, 1);
    const [request] = requests;
    assert.deepEqual(request.body, { jsonrpc: "2.0", method: "progress", params: ["job-1"], id: 1 });
    assert.equal(request.headers.get("accept"), "text/event-stream");
    assert.equal(request.headers.get("content-type"), "application/json");
    assert.equal(request.headers.get("last-event-id"), null);
    assert.equal(request.init.method, "POST");
    // Each iteration is a request of its own.
    for await (const _ of steps) break;
    assert.equal(requests.length, 2);
    assert.equal(requests[1].body.id, 2);
  });

  test("items split anywhere, multi-byte characters included, arrive whole", async () => {
    const bytes = encoder.encode(`: ping\r\n\r\nid: 0\r\ndata: "été 🎉"\r\n\r\n${item(1, ["a", "ü"])}${DONE}`);
    const parts = [...bytes].map((byte) => new Uint8Array([byte]));
    const { fetch } = fakeFetch((body, request) => sse(request, parts));
    const seen = [];
    for await (const value of createClient({ url: URL_, fetch }).$stream("words", ["x"])) seen.push(value);
    assert.deepEqual(seen, ["été 🎉", ["a", "ü"]]);
  });

  test("$stream works without meta, by name or by position, with options", async () => {
    const { fetch, requests } = fakeFetch((body, request) => sse(request, [item(0, 1), DONE]));
    const client = createClient({ url: URL_, fetch, headers: { authorization: "Bearer t" } });
    const seen = [];
    for await (const n of client.$stream("jobs.watch", { since: 3 }, { timeout: 1000 })) seen.push(n);
    for await (const n of client.$with({ retry: false }).$stream("ticks")) seen.push(n);
    assert.deepEqual(seen, [1, 1]);
    assert.deepEqual(requests[0].body.params, { since: 3 });
    assert.deepEqual(requests[1].body.params, []);
    assert.equal(requests[0].headers.get("authorization"), "Bearer t");
  });

  test("an error event ends the loop with a typed RpcError, after the items before it", async () => {
    const failure = { jsonrpc: "2.0", error: { code: 4013, message: "unlucky", data: { of: 13 } }, id: 1 };
    const { fetch, requests } = fakeFetch((body, request) => sse(request, [item(0, "a"), `event: error\ndata: ${JSON.stringify(failure)}\n\n`]));
    const seen = [];
    const error = await (async () => {
      for await (const x of createClient({ url: URL_, fetch, meta, retry: fast }).progress("j")) seen.push(x);
    })().catch((e) => e);
    assert.deepEqual(seen, ["a"]);
    assert.ok(error instanceof RpcError);
    assert.deepEqual([error.code, error.message, error.data, error.method], [4013, "unlucky", { of: 13 }, "progress"]);
    assert.equal(requests.length, 1, "the procedure's own error is never retried");
  });

  test("a refusal before the stream starts is the call's error: invalid params, -32003, never retried", async () => {
    const { fetch, requests } = fakeFetch((body) => ({ jsonrpc: "2.0", error: { code: -32602, message: "Invalid params", data: [{ loc: ["job"] }] }, id: body.id }));
    const client = createClient({ url: URL_, fetch, meta, retry: fast });
    await assert.rejects(async () => {
      for await (const _ of client.progress(1));
    }, (e) => e instanceof RpcError && e.isValidationError && e.method === "progress");
    assert.equal(requests.length, 1);
    const plain = fakeFetch(jsonRpc({ progress: () => 1 }));
    await assert.rejects(async () => {
      for await (const _ of createClient({ url: URL_, fetch: plain.fetch }).$stream("progress")); // answered as a call
    }, { kind: "protocol" });
  });

  test("break aborts the request and lets go of the body", async () => {
    const { fetch, requests } = fakeFetch((body, request) => sse(request, [item(0, 0), item(1, 1), 5, item(2, 2)], { hold: true }));
    for await (const n of createClient({ url: URL_, fetch, meta }).progress("j")) if (n === 1) break;
    assert.equal(requests[0].init.signal.aborted, true);
    assert.equal(requests[0].state.cancelled, true);
    assert.equal(requests.length, 1);
  });

  test("return() during a next() that waits on an idle stream ends both at once", async () => {
    const { fetch, requests } = fakeFetch((body, request) => sse(request, [item(0, 0), ": ping\n\n"], { hold: true }));
    const iterator = createClient({ url: URL_, fetch, meta }).progress("j")[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { value: 0, done: false });
    const waiting = iterator.next();
    await sleep(5);
    const started = Date.now();
    assert.deepEqual(await iterator.return(), { value: undefined, done: true });
    assert.deepEqual(await waiting, { value: undefined, done: true });
    assert.ok(Date.now() - started < 100);
    assert.equal(requests[0].init.signal.aborted, true);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
    // return() before any next(): nothing was ever sent.
    const unused = createClient({ url: URL_, fetch, meta }).progress("j")[Symbol.asyncIterator]();
    await unused.return();
    assert.equal(requests.length, 1);
  });

  test("an AbortSignal stops the loop with its reason and aborts the request; an aborted one sends nothing", async () => {
    const { fetch, requests } = fakeFetch((body, request) => sse(request, [item(0, 0)], { hold: true }));
    const controller = new AbortController();
    const client = createClient({ url: URL_, fetch, meta }).$with({ signal: controller.signal });
    const seen = [];
    await assert.rejects(async () => {
      for await (const n of client.progress("j")) {
        seen.push(n);
        setTimeout(() => controller.abort(), 5);
      }
    }, { name: "AbortError" });
    assert.deepEqual(seen, [0]);
    assert.equal(requests[0].init.signal.aborted, true);
    await assert.rejects(async () => {
      for await (const _ of client.progress("j"));
    }, { name: "AbortError" });
    assert.equal(requests.length, 1);
  });

  test("a timeout given for the stream ends it with a TransportError; the client's call timeout does not apply", async () => {
    const { fetch, requests } = fakeFetch((body, request) => sse(request, [item(0, 0), 40, item(1, 1), DONE]));
    const client = createClient({ url: URL_, fetch, meta, timeout: 10 });
    const seen = [];
    for await (const n of client.progress("j")) seen.push(n); // outlives the client's 10 ms
    assert.deepEqual(seen, [0, 1]);
    await assert.rejects(async () => {
      for await (const _ of client.$with({ timeout: 20 }).progress("j"));
    }, (e) => e instanceof TransportError && e.kind === "timeout" && /progress timed out after 20 ms/.test(e.message));
    assert.equal(requests[1].init.signal.aborted, true);
  });

  test("a dropped stream reconnects with Last-Event-ID and goes on (by default, through the middleware)", async () => {
    const attempts = [];
    const { fetch, requests } = fakeFetch((body, request) => {
      const last = request.headers.get("last-event-id");
      if (last === null) return sse(request, [item(0, "a"), item(1, "b")]); // ends without done
      if (last === "1") return sse(request, [item(2, "c"), 5], { fail: new TypeError("terminated") }); // breaks off
      return sse(request, [item(3, "d"), DONE]);
    });
    const client = createClient({ url: URL_, fetch, meta, middleware: [(r, next) => (attempts.push(r.attempt), next(r))] });
    const seen = [];
    for await (const x of client.progress("j")) seen.push(x);
    assert.deepEqual(seen, ["a", "b", "c", "d"]);
    assert.deepEqual(requests.map((r) => r.headers.get("last-event-id")), [null, "1", "2"]);
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.ok(requests.every((r) => r.body.id === requests[0].body.id), "the same request each time");
  });

  test("reconnection gives up after the tries in a row that bring nothing; retry: false never reconnects", async () => {
    const { fetch, requests } = fakeFetch((body, request) => sse(request, request.headers.get("last-event-id") ? [] : [item(0, "a")]));
    const seen = [];
    const error = await (async () => {
      for await (const x of createClient({ url: URL_, fetch, meta, retry: fast }).progress("j")) seen.push(x);
    })().catch((e) => e);
    assert.deepEqual(seen, ["a"]);
    assert.ok(error instanceof TransportError && error.kind === "network", String(error));
    assert.match(error.message, /ended before its end event/);
    assert.equal(requests.length, 3); // 3 tries in a row without an item: the first (its item came before), 2 more
    const once = fakeFetch((body, request) => sse(request, [item(0, "a")]));
    await assert.rejects(async () => {
      for await (const _ of createClient({ url: URL_, fetch: once.fetch, meta }).$with({ retry: false }).progress("j"));
    }, { kind: "network" });
    assert.equal(once.requests.length, 1);
  });

  test("503 with Retry-After is waited for; a longer one than maxDelay fails at once; a 500 is never retried", async () => {
    let busy = 1;
    const { fetch, requests } = fakeFetch((body, request) =>
      busy-- > 0
        ? new Response(JSON.stringify({ jsonrpc: "2.0", error: { code: -32002, message: "Server overloaded" }, id: null }), {
            status: 503,
            headers: { "content-type": "application/json", "retry-after": "0" },
          })
        : sse(request, [item(0, 1), DONE]),
    );
    const seen = [];
    for await (const n of createClient({ url: URL_, fetch, meta }).progress("j")) seen.push(n);
    assert.deepEqual(seen, [1]);
    assert.equal(requests.length, 2);
    const later = fakeFetch(() => new Response("{}", { status: 503, headers: { "retry-after": "120" } }));
    const started = Date.now();
    await assert.rejects(async () => {
      for await (const _ of createClient({ url: URL_, fetch: later.fetch, meta }).progress("j"));
    }, (e) => e instanceof TransportError && e.status === 503 && e.retryAfter === 120000);
    assert.ok(Date.now() - started < 1000);
    const broken = fakeFetch(() => new Response("oops", { status: 500 }));
    await assert.rejects(async () => {
      for await (const _ of createClient({ url: URL_, fetch: broken.fetch, meta }).progress("j"));
    }, { kind: "http", status: 500 });
    assert.equal(broken.requests.length, 1);
  });

  test("a connection refused is tried again; the abort of a wait between tries is at once", async () => {
    let refusals = 1;
    const refused = () => Promise.reject(new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }));
    const { fetch, requests } = fakeFetch((body, request) => (refusals-- > 0 ? refused() : sse(request, [item(0, 1), DONE])));
    const seen = [];
    for await (const n of createClient({ url: URL_, fetch, meta }).progress("j")) seen.push(n);
    assert.deepEqual(seen, [1]);
    assert.equal(requests.length, 2);
    const never = fakeFetch(() => refused());
    const controller = new AbortController();
    const patient = createClient({ url: URL_, fetch: never.fetch, meta, retry: { attempts: 10, baseDelay: 5000, maxDelay: 5000 } });
    setTimeout(() => controller.abort(), 30);
    const started = Date.now();
    await assert.rejects(async () => {
      for await (const _ of patient.$with({ signal: controller.signal }).progress("j"));
    }, { name: "AbortError" });
    assert.ok(Date.now() - started < 1000);
  });

  test("middleware sees the stream's request and its response (stream set, body undefined), and may refresh and resend", async () => {
    let token = "stale";
    const { fetch, requests } = fakeFetch((body, request) =>
      request.headers.get("authorization") === "Bearer fresh"
        ? sse(request, [item(0, "in"), DONE])
        : { jsonrpc: "2.0", error: { code: 4001, message: "token expired" }, id: body.id },
    );
    const seen = [];
    const look = (request, response) =>
      seen.push([request.body.method, request.headers.get("accept"), response.stream instanceof ReadableStream, response.body?.error?.code]);
    const auth = async (request, next) => {
      request.headers.set("authorization", `Bearer ${token}`);
      const response = await next(request);
      look(request, response);
      if (response.body?.error?.code !== 4001) return response;
      token = "fresh";
      request.headers.set("authorization", `Bearer ${token}`);
      const again = await next(request);
      look(request, again);
      return again;
    };
    const items = [];
    for await (const x of createClient({ url: URL_, fetch, meta, middleware: [auth] }).progress("j")) items.push(x);
    assert.deepEqual(items, ["in"]);
    assert.deepEqual(seen, [
      ["progress", "text/event-stream", false, 4001],
      ["progress", "text/event-stream", true, undefined],
    ]);
    assert.equal(requests.length, 2);
    // A middleware may answer with a stream of its own (a mock).
    const mock = async () => ({ status: 200, headers: new Headers(), body: undefined, stream: new Response(`${item(0, 42)}${DONE}`).body });
    const mocked = [];
    for await (const x of createClient({ url: URL_, fetch, meta, middleware: [mock] }).progress("j")) mocked.push(x);
    assert.deepEqual(mocked, [42]);
  });

  test("an item that is not JSON fails the loop with a parse error; streams are never batched", async () => {
    const { fetch, requests } = fakeFetch((body, request) => (Array.isArray(body) ? jsonRpc({ add: (a, b) => a + b })(body) : sse(request, ["data: {oops\n\n"])));
    const client = createClient({ url: URL_, fetch, meta, batch: true });
    await assert.rejects(async () => {
      for await (const _ of client.progress("j"));
    }, { kind: "parse" });
    const [sum] = await Promise.all([client.add(1, 2), client.add(3, 4)]);
    assert.equal(sum, 3);
    assert.deepEqual(requests.map((r) => Array.isArray(r.body)), [false, true]);
  });

  test("without meta, iterating a stream's plain call says what to do, and its rejection is handled", async () => {
    const unhandled = [];
    const onUnhandled = (reason) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const { fetch } = fakeFetch((body) => ({ jsonrpc: "2.0", error: { code: -32003, message: "progress streams: call it with Accept: text/event-stream" }, id: body.id }));
      const client = createClient({ url: URL_, fetch });
      await assert.rejects(async () => {
        for await (const _ of client.progress("j"));
      }, (e) => e instanceof TypeError && /meta of @pyrpc\/types, or use client\.\$stream\("progress", params\)/.test(e.message));
      await sleep(20);
      assert.deepEqual(unhandled, []);
      // Awaited as a call, it is the server's -32003.
      await assert.rejects(client.progress("j"), { code: -32003 });
      assert.equal(ErrorCodes.STREAM_ONLY, -32003);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
