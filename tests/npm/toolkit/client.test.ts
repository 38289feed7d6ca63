// The client toolkit against live servers (tests/npm/test_toolkit.py starts them and compiles
// this with tsc --strict against the types it generated): typed $call and $notify, retries with
// the generated meta, a real 503 with Retry-After, middleware (refresh-and-retry, timing, a
// flaky transport), and batches kept within the server's published limit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { createClient, ErrorCodes, RpcError, TransportError, type ClientMeta, type Middleware } from "@pyrpc/client";
import type { Procedures, Types, User } from "@pyrpc/types";
import { meta } from "@pyrpc/types";

const url = process.env["PYRPC_URL"] as string;
const busyUrl = process.env["PYRPC_BUSY_URL"] as string;
const limitedUrl = process.env["PYRPC_LIMITED_URL"] as string;
const closedUrl = process.env["PYRPC_CLOSED_URL"] as string; // a port nothing listens on
const fast = { attempts: 3, baseDelay: 5, maxDelay: 2000 };
const key = (name: string): string => `${name}-${Math.random().toString(36).slice(2)}`;

const client = createClient<Types, Procedures>({ url, meta });

test("the generated meta: the endpoint's limits and the idempotent procedures", () => {
  assert.equal(meta.maxBatch, 1000);
  assert.equal(meta.maxBodyBytes, 4 * 1024 * 1024);
  assert.deepEqual(meta.idempotent, ["flaky.read", "numbers.page"]);
});

test("$call and $notify by wire name, typed by Procedures", async () => {
  const user: User = await client.$call("users.get", [7]);
  assert.equal(user.name, "user 7");
  assert.equal(await client.$call("add", { a: 1 }), 11);
  assert.equal(await client.$call("maybe"), null);
  const run = key("notify");
  await client.$notify("audit.log", [run]);
  assert.ok((await client.$call("audit.entries")).includes(run));
});

test("big integers: a BigInt result is the exact string; a bigint argument goes as its decimal string", async () => {
  const big = 2n ** 63n + 1n; // as a number it would read 9223372036854775808
  const next = await client.big.next(`${big}`);
  assert.equal(next, "9223372036854775810");
  assert.equal(BigInt(next), big + 1n);
  // The types take `${bigint}` strings; an untyped caller's bigint is sent as its string too,
  // which a plain int parameter (step) reads as well.
  const untyped = client.$call as (name: string, params: unknown[]) => Promise<unknown>;
  assert.equal(await untyped("big.next", [big, 2n]), `${big + 2n}`);
});

test("an idempotent procedure is retried past its deadlines (-32001); one that is not, never", async () => {
  const retrying = createClient<Types, Procedures>({ url, meta, retry: fast });
  const read = key("read");
  assert.equal(await retrying.flaky.read(read, 2), 3); // ran 3 times: 2 deadlines, then the answer
  const write = key("write");
  const error = await retrying.flaky.write(write, 2).catch((e: unknown) => e);
  assert.ok(error instanceof RpcError && error.code === ErrorCodes.TIMEOUT, String(error));
  assert.equal(await client.flaky.runs(write), 1);
  // Without meta the client cannot know that flaky.read is idempotent.
  const unaware = createClient<Types>({ url, retry: fast });
  await assert.rejects(unaware.flaky.read(key("unaware"), 1), { code: ErrorCodes.TIMEOUT });
});

test("a flaky transport (a middleware losing the answer): idempotent calls are retried, others fail once", async () => {
  const flaky: Middleware = async (request, next) => {
    const response = await next(request); // the call ran on the server...
    if (request.attempt === 1) {
      const cause = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      throw new TransportError("network", "the answer was lost", { cause }); // ...but its answer is lost
    }
    return response;
  };
  const retrying = createClient<Types, Procedures>({ url, meta, retry: fast, middleware: [flaky] });
  const read = key("lost-read");
  assert.equal(await retrying.flaky.read(read, 0), 2);
  const write = key("lost-write");
  await assert.rejects(retrying.flaky.write(write, 0), { kind: "network" });
  assert.equal(await client.flaky.runs(write), 1);
});

test("an overloaded server answers 503 with Retry-After: retried after it, for any procedure", async () => {
  const busy = createClient<Types>({ url: busyUrl });
  const slow = busy.slow(600); // holds the only slot
  await new Promise((r) => setTimeout(r, 100));
  const refused = await busy.add(1, 2).catch((e: unknown) => e);
  assert.ok(refused instanceof TransportError && refused.status === 503, String(refused));
  assert.equal(refused.retryAfter, 1000);
  const attempts: number[] = [];
  const retrying = createClient<Types>({ url: busyUrl, retry: fast, middleware: [(r, next) => (attempts.push(r.attempt), next(r))] });
  const started = Date.now();
  assert.equal(await retrying.add(1, 2), 3);
  assert.ok(Date.now() - started >= 900, "waited for Retry-After");
  assert.deepEqual(attempts, [1, 2]);
  assert.equal(await slow, 600);
});

test("a refused connection is retried for any procedure, then fails; an abort stops the retries at once", async () => {
  let attempts = 0;
  const nowhere = createClient<Types>({ url: closedUrl, retry: fast, middleware: [(r, next) => (attempts++, next(r))] });
  await assert.rejects(nowhere.add(1, 2), { kind: "network" });
  assert.equal(attempts, 3);
  const patient = createClient<Types>({ url: closedUrl, retry: { attempts: 10, baseDelay: 5000, maxDelay: 5000 } });
  const controller = new AbortController();
  const started = Date.now();
  const call = patient.$with({ signal: controller.signal }).add(1, 2);
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(call, { name: "AbortError" });
  assert.ok(Date.now() - started < 2000);
});

test("middleware: refresh-and-retry on an auth error, headers, timing", async () => {
  let token = "stale";
  let refreshes = 0;
  const timings: string[] = [];
  const timing: Middleware = async (request, next) => {
    const started = performance.now();
    try {
      return await next(request);
    } finally {
      timings.push(`${[request.body].flat().map((c) => c.method).join(",")} ${Math.round(performance.now() - started)} ms`);
    }
  };
  const auth: Middleware = async (request, next) => {
    request.headers.set("authorization", `Bearer ${token}`);
    const response = await next(request);
    if (![response.body].flat().some((answer) => answer?.error?.code === 4001)) return response;
    refreshes++;
    token = "fresh"; // e.g. await refreshToken()
    request.headers.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  const authed = createClient<Types, Procedures>({ url, meta, middleware: [timing, auth] });
  assert.equal(await authed.secret(), "the secret");
  assert.equal(await authed.whoami(), "Bearer fresh");
  assert.equal(refreshes, 1);
  assert.equal(timings.length, 2);
  assert.match(timings[0] as string, /^secret \d+ ms$/);
});

test("batches stay within the server's published max_batch", async () => {
  const limited = (await import(pathToFileURL(process.env["PYRPC_LIMITED_META"] as string).href)) as { meta: ClientMeta & { readonly calls: "positional" } };
  assert.equal(limited.meta.maxBatch, 3);
  const calls = (c: ReturnType<typeof createClient<Types>>) => Promise.allSettled([1, 2, 3, 4, 5, 6, 7].map((n) => c.add(n, n)));
  // Without the limit, one batch of 7: the server refuses it whole.
  const refused = await calls(createClient<Types>({ url: limitedUrl, batch: true }));
  assert.ok(refused.every((r) => r.status === "rejected" && r.reason instanceof RpcError && r.reason.code === ErrorCodes.INVALID_REQUEST));
  // With the generated meta: batches of 3, 3 and 1, all answered.
  let requests = 0;
  const within = createClient<Types>({ url: limitedUrl, batch: { maxSize: 100 }, meta: limited.meta, middleware: [(r, next) => (requests++, next(r))] });
  const answered = await calls(within);
  assert.deepEqual(answered.map((r) => (r.status === "fulfilled" ? r.value : r.reason)), [2, 4, 6, 8, 10, 12, 14]);
  assert.equal(requests, 3);
});

test("in a batch, each call resolves as the server finishes it: a fast one is not held back by a slow one", async () => {
  const seen: string[] = [];
  let accept: string | null = null;
  const batching = createClient<Types, Procedures>({
    url,
    meta,
    batch: true,
    middleware: [(request, next) => ((accept = request.headers.get("accept")), next(request))],
  });
  const slow = batching.slow(800).then((ms) => (seen.push(`slow ${ms}`), ms));
  const fast = batching.slow(20).then((ms) => (seen.push(`fast ${ms}`), ms));
  const add = batching.add(1, 2);
  assert.equal(await fast, 20);
  assert.deepEqual(seen, ["fast 20"]); // the batch's slow call still runs on the server
  assert.equal(await add, 3);
  assert.equal(await slow, 800);
  assert.deepEqual(seen, ["fast 20", "slow 800"]);
  assert.equal(accept, "text/event-stream, application/json");
  // Asked for all at once, the same batch is answered when its slowest call is.
  const whole = createClient<Types, Procedures>({ url, meta, batch: { stream: false } });
  const order: string[] = [];
  await Promise.all([whole.slow(300).then(() => order.push("slow")), whole.slow(20).then(() => order.push("fast"))]);
  assert.deepEqual(order, ["slow", "fast"]);
});
