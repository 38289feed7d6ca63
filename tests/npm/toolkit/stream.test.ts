// Streaming procedures against live servers (tests/npm/test_toolkit.py starts them and compiles
// this with tsc --strict against the types it generated): for await over generators, typed items,
// an error mid-way, the server stopping the generator (its finally) within a second of break,
// an abort or a timeout, resumption with Last-Event-ID after a dropped connection, refusals and
// middleware, and a server with too many streams (503, Retry-After).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient, ErrorCodes, RpcError, TransportError, type Middleware } from "@pyrpc/client";
import type { Procedures, Tick, Types } from "@pyrpc/types";
import { meta } from "@pyrpc/types";

const url = process.env["PYRPC_URL"] as string;
const droppingUrl = process.env["PYRPC_DROPPING_URL"] as string; // cuts a first connection after x-drop-after events
const oneStreamUrl = process.env["PYRPC_ONE_STREAM_URL"] as string; // Limits(max_streams=1)
const key = (name: string): string => `${name}-${Math.random().toString(36).slice(2)}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const client = createClient<Types, Procedures>({ url, meta });

/** Milliseconds until the server says `streams.forever` for `name` ran its finally (fails after 3 s). */
async function stoppedWithin(name: string, since: number): Promise<number> {
  while (!(await client.streams.stopped(name))) {
    if (Date.now() - since > 3000) assert.fail(`the generator ${name} was not stopped`);
    await sleep(10);
  }
  return Date.now() - since;
}

test("the generated meta lists the streams", () => {
  assert.deepEqual(meta.streams, ["streams.count", "streams.fail", "streams.forever", "streams.guarded", "streams.resumable", "streams.words"]);
});

test("for await over a generator: typed items, as JSON gives them", async () => {
  const ticks: Tick[] = [];
  for await (const tick of client.streams.count(3)) ticks.push(tick);
  assert.deepEqual(ticks, [
    { n: 0, of: 3, at: "2024-01-02T03:04:05Z" },
    { n: 1, of: 3, at: "2024-01-02T03:04:06Z" },
    { n: 2, of: 3, at: "2024-01-02T03:04:07Z" },
  ]);
  const words: string[] = [];
  for await (const word of client.$stream("streams.words", ["to be or"])) words.push(word);
  assert.deepEqual(words, ["to", "be", "or"]);
  const none: number[] = [];
  for await (const tick of client.streams.count(0)) none.push(tick.n);
  assert.deepEqual(none, []);
});

test("an error raised mid-way ends the loop with the RpcError, after the items before it", async () => {
  const seen: number[] = [];
  const error = await (async () => {
    for await (const n of client.streams.fail(2)) seen.push(n);
  })().catch((e: unknown) => e);
  assert.deepEqual(seen, [0, 1]);
  assert.ok(error instanceof RpcError, String(error));
  assert.deepEqual([error.code, error.message, error.data, error.method], [4090, "failed mid-way", { after: 2 }, "streams.fail"]);
});

test("break: the server stops the generator (its finally runs) within a second", async () => {
  const name = key("break");
  let left = 0;
  for await (const n of client.streams.forever(name)) {
    if (n === 3) {
      left = Date.now();
      break;
    }
  }
  const took = await stoppedWithin(name, left);
  assert.ok(took < 1000, `stopped after ${took} ms`);
});

test("an AbortSignal, or a timeout, stops the loop and the generator within a second", async () => {
  const name = key("abort");
  const controller = new AbortController();
  let aborted = 0;
  await assert.rejects(async () => {
    for await (const n of client.$with({ signal: controller.signal }).streams.forever(name)) {
      if (n === 2) {
        aborted = Date.now();
        controller.abort();
      }
    }
  }, { name: "AbortError" });
  assert.ok((await stoppedWithin(name, aborted)) < 1000);
  const timed = key("timeout");
  const started = Date.now();
  await assert.rejects(async () => {
    for await (const _ of client.$with({ timeout: 150 }).streams.forever(timed));
  }, (e: unknown) => e instanceof TransportError && e.kind === "timeout");
  assert.ok((await stoppedWithin(timed, started + 150)) < 1000);
});

test("a dropped connection: the client reconnects with Last-Event-ID and the procedure resumes after it", async () => {
  const name = key("resume");
  const attempts: string[] = [];
  const drop: Middleware = (request, next) => {
    request.headers.set("x-drop-after", "3"); // the server cuts the first connection after 3 events
    attempts.push(`${request.attempt} ${request.headers.get("last-event-id")}`);
    return next(request);
  };
  const resuming = createClient<Types, Procedures>({ url: droppingUrl, meta, middleware: [drop] });
  const seen: number[] = [];
  for await (const n of resuming.streams.resumable(name, 8)) seen.push(n);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(attempts, ["1 null", "2 2"]);
  assert.deepEqual(await client.streams.resumes(name), [null, "2"]);
  // retry: false: no reconnection, the drop is the error.
  const seenOnce: number[] = [];
  await assert.rejects(async () => {
    for await (const n of resuming.$with({ retry: false }).streams.resumable(key("once"), 8)) seenOnce.push(n);
  }, { kind: "network" });
  assert.deepEqual(seenOnce, [0, 1, 2]);
});

test("refusals before the stream starts: invalid params, a guard's error (refreshed by middleware), -32003", async () => {
  await assert.rejects(async () => {
    // @ts-expect-error: a string where a number goes
    for await (const _ of client.streams.count("three"));
  }, (e: unknown) => e instanceof RpcError && e.isValidationError && e.method === "streams.count");
  let token = "stale";
  const auth: Middleware = async (request, next) => {
    request.headers.set("authorization", `Bearer ${token}`);
    const response = await next(request);
    if (![response.body].flat().some((answer) => answer?.error?.code === 4001)) return response;
    token = "fresh";
    request.headers.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  const authed = createClient<Types, Procedures>({ url, meta, middleware: [auth] });
  const inside: string[] = [];
  for await (const who of authed.streams.guarded()) inside.push(who);
  assert.deepEqual(inside, ["Bearer fresh"]);
  // Called as a plain call (a client without meta, awaited), the server says it streams; nothing ran.
  const plain = createClient<Types>({ url });
  await assert.rejects(plain.$call("streams.count", [1]), { code: ErrorCodes.STREAM_ONLY });
  await assert.rejects(async () => {
    for await (const _ of plain.streams.count(1));
  }, (e: unknown) => e instanceof TypeError && /client\.\$stream\("streams\.count", params\)/.test(e.message));
  const items: Tick[] = [];
  for await (const tick of plain.$stream<Tick>("streams.count", [1])) items.push(tick);
  assert.equal(items.length, 1);
});

test("too many streams: 503 with Retry-After, waited for before the stream opens again", async () => {
  const busy = createClient<Types, Procedures>({ url: oneStreamUrl, meta });
  const first = busy.streams.forever(key("slot"))[Symbol.asyncIterator]();
  assert.equal((await first.next()).value, 0); // holds the only slot
  const refused = await (async () => {
    for await (const _ of busy.$with({ retry: false }).streams.count(1));
  })().catch((e: unknown) => e);
  assert.ok(refused instanceof TransportError && refused.status === 503 && refused.retryAfter === 1000, String(refused));
  setTimeout(() => void first.return?.(), 300); // the slot frees while the second waits
  const started = Date.now();
  const ticks: number[] = [];
  for await (const tick of busy.$with({ retry: { attempts: 3, baseDelay: 5, maxDelay: 2000 } }).streams.count(2)) ticks.push(tick.n);
  assert.deepEqual(ticks, [0, 1]);
  assert.ok(Date.now() - started >= 900, "waited for Retry-After");
});
