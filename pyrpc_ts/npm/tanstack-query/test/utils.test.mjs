// The query utils with TanStack Query's own QueryClient (query-core) and a client over a fake
// fetch: keys, options, invalidation by namespace, mutations, infinite queries, errors.
// tests/npm/test_toolkit.py runs them against a live server as well.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createClient, RpcError } from "@pyrpc/client";
import { InfiniteQueryObserver, MutationObserver, QueryClient, QueryObserver } from "@tanstack/query-core";
import { createQueryUtils } from "../dist/esm/index.js";
import { fakeFetch, jsonRpc, never } from "./helpers.mjs";

const URL_ = "http://api.test/rpc";
const PAGES = { "": ["a", "b"], b: ["c", "d"], d: ["e"] };

function setup(extra = {}) {
  let created = 0;
  const server = jsonRpc({
    add: (a, b = 10) => a + b,
    "users.get": (id) => {
      if (id === 404) throw Object.assign(new Error("user not found"), { code: 4004, data: { id } });
      return { id, name: `user ${id}` };
    },
    "users.create": (name) => ({ id: 100 + ++created, name }),
    users: () => "root",
    "users.page": (params) => {
      const cursor = params.cursor ?? "";
      const items = PAGES[cursor];
      const last = items[items.length - 1];
      return { items, next: PAGES[last] ? last : null, limit: params.limit };
    },
    ping: () => "pong",
    ...extra,
  });
  const { fetch, requests } = fakeFetch(server);
  const client = createClient({ url: URL_, fetch });
  return { client, requests, rpc: createQueryUtils(client), queryClient: new QueryClient() };
}

describe("keys", () => {
  test("[prefix, ...segments, params]; pathKey of a namespace prefixes every key below it", () => {
    const { rpc } = setup();
    assert.deepEqual(rpc.users.get.queryKey([1]), ["pyrpc", "users", "get", [1]]);
    assert.deepEqual(rpc.users.get.queryKey(), ["pyrpc", "users", "get"]);
    assert.deepEqual(rpc.add.queryKey([1, undefined]), ["pyrpc", "add", [1]]);
    assert.deepEqual(rpc.ping.queryKey([]), ["pyrpc", "ping", []]);
    assert.deepEqual(rpc.users.pathKey(), ["pyrpc", "users"]);
    assert.deepEqual(rpc.pathKey(), ["pyrpc"]);
    assert.deepEqual(rpc.users.page.infiniteQueryKey({ limit: 2 }), ["pyrpc", "users", "page", { infinite: { limit: 2 } }]);
    assert.deepEqual(rpc.users.page.infiniteQueryKey(), ["pyrpc", "users", "page"]);
    assert.deepEqual(createQueryUtils(setup().client, { prefix: "billing" }).users.get.queryKey([1]), ["billing", "users", "get", [1]]);
  });

  test("the proxy is stable and harmless", async () => {
    const { rpc, requests } = setup();
    assert.equal(rpc.users, rpc.users);
    assert.equal(rpc.then, undefined);
    assert.equal(rpc.queryOptions, undefined); // the root is no procedure
    assert.equal(await rpc, rpc);
    assert.equal(requests.length, 0);
  });
});

describe("queries", () => {
  test("queryOptions fetch through the client, with the query's signal", async () => {
    const { rpc, queryClient, requests } = setup();
    const user = await queryClient.fetchQuery(rpc.users.get.queryOptions([1]));
    assert.deepEqual(user, { id: 1, name: "user 1" });
    assert.deepEqual(requests[0].body, { jsonrpc: "2.0", method: "users.get", params: [1], id: 1 });
    assert.ok(requests[0].init.signal instanceof AbortSignal);
    assert.deepEqual(queryClient.getQueryData(rpc.users.get.queryKey([1])), user);
    assert.equal(await queryClient.fetchQuery(rpc.add.queryOptions([1])), 11);
    assert.equal(await queryClient.fetchQuery(rpc.ping.queryOptions()), "pong");
    assert.deepEqual(requests.at(-1).body.params, []);
  });

  test("extra options pass through; an observer sees data, then typed errors", async () => {
    const { rpc, queryClient } = setup();
    const options = rpc.users.get.queryOptions([2], { staleTime: 60_000, select: (u) => u.name });
    assert.equal(options.staleTime, 60_000);
    const observer = new QueryObserver(queryClient, options);
    const names = [];
    const unsubscribe = observer.subscribe((result) => result.data && names.push(result.data));
    await waitFor(() => names.length > 0);
    unsubscribe();
    assert.deepEqual(names, ["user 2"]);
    const error = await queryClient.fetchQuery({ ...rpc.users.get.queryOptions([404]), retry: false }).catch((e) => e);
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, 4004);
    assert.equal(queryClient.getQueryState(rpc.users.get.queryKey([404])).error, error);
  });

  test("invalidation by namespace: users invalidates users.* (and users itself), nothing else", async () => {
    const { rpc, queryClient } = setup();
    await queryClient.fetchQuery(rpc.users.get.queryOptions([1]));
    await queryClient.fetchQuery(rpc.users.get.queryOptions([2]));
    await queryClient.fetchQuery(rpc.users.queryOptions());
    await queryClient.fetchQuery(rpc.add.queryOptions([1, 2]));
    await queryClient.invalidateQueries({ queryKey: rpc.users.pathKey() });
    const invalid = queryClient
      .getQueryCache()
      .getAll()
      .filter((q) => q.state.isInvalidated)
      .map((q) => q.queryKey);
    assert.deepEqual(invalid, [["pyrpc", "users", "get", [1]], ["pyrpc", "users", "get", [2]], ["pyrpc", "users", []]]);
    await queryClient.invalidateQueries({ queryKey: rpc.users.get.queryKey([2]) });
    await queryClient.invalidateQueries({ queryKey: rpc.pathKey() });
    assert.ok(queryClient.getQueryCache().getAll().every((q) => q.state.isInvalidated));
  });

  test("cancelling a query aborts its call", async () => {
    const { fetch, requests } = fakeFetch(never);
    const rpc = createQueryUtils(createClient({ url: URL_, fetch }));
    const queryClient = new QueryClient();
    const pending = queryClient.fetchQuery(rpc.users.get.queryOptions([1])).catch((e) => e);
    await waitFor(() => requests.length === 1);
    await queryClient.cancelQueries({ queryKey: rpc.users.pathKey() });
    await pending;
    await waitFor(() => requests[0].init.signal.aborted);
  });
});

describe("mutations", () => {
  test("mutationOptions call the procedure with the params by position; callbacks run", async () => {
    const { rpc, queryClient, requests } = setup();
    const seen = [];
    const observer = new MutationObserver(queryClient, rpc.users.create.mutationOptions({ onSuccess: (user) => seen.push(user.id) }));
    assert.deepEqual(await observer.mutate(["Ann"]), { id: 101, name: "Ann" });
    assert.deepEqual(seen, [101]);
    assert.deepEqual(requests[0].body.params, ["Ann"]);
    assert.deepEqual(rpc.users.create.mutationOptions().mutationKey, ["pyrpc", "users", "create"]);
    const failing = new MutationObserver(queryClient, rpc.users.get.mutationOptions());
    await assert.rejects(failing.mutate([404]), (e) => e instanceof RpcError && e.code === 4004);
  });
});

describe("infinite queries", () => {
  test("pages by cursor: params by name, cursor from the previous page's next", async () => {
    const { rpc, queryClient, requests } = setup();
    const options = rpc.users.page.infiniteQueryOptions({ limit: 2 });
    const observer = new InfiniteQueryObserver(queryClient, options);
    const unsubscribe = observer.subscribe(() => {});
    await waitFor(() => observer.getCurrentResult().data?.pages.length === 1);
    await observer.fetchNextPage();
    await observer.fetchNextPage();
    const result = observer.getCurrentResult();
    unsubscribe();
    assert.deepEqual(result.data.pages.map((p) => p.items), [["a", "b"], ["c", "d"], ["e"]]);
    assert.deepEqual(result.data.pageParams, [null, "b", "d"]);
    assert.equal(result.hasNextPage, false);
    assert.deepEqual(requests.map((r) => r.body.params), [{ limit: 2, cursor: null }, { limit: 2, cursor: "b" }, { limit: 2, cursor: "d" }]);
  });

  test("initialPageParam and getNextPageParam may be given", async () => {
    const { rpc, queryClient } = setup();
    const data = await queryClient.fetchInfiniteQuery(
      rpc.users.page.infiniteQueryOptions({ limit: 1 }, { initialPageParam: "b", getNextPageParam: () => null }),
    );
    assert.deepEqual(data.pages[0].items, ["c", "d"]);
  });
});

async function waitFor(condition, ms = 2000) {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("streams", () => {
  const event = (id, value) => `id: ${id}\ndata: ${JSON.stringify(value)}\n\n`;
  function streaming(items, { gap = 5, hold = false } = {}) {
    const { fetch, requests } = fakeFetch(async (body, request) => {
      const encoder = new TextEncoder();
      const signal = request.init.signal;
      const stream = new ReadableStream({
        async start(controller) {
          signal.addEventListener("abort", () => controller.error(signal.reason));
          for (const [index, item] of items.entries()) {
            await new Promise((r) => setTimeout(r, gap));
            if (signal.aborted) return;
            controller.enqueue(encoder.encode(event(index, item)));
          }
          if (!hold) {
            controller.enqueue(encoder.encode("event: done\ndata: null\n\n"));
            controller.close();
          }
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    });
    const client = createClient({ url: URL_, fetch, meta: { streams: ["progress"] } });
    return { requests, rpc: createQueryUtils(client), queryClient: new QueryClient() };
  }

  test("streamedQueryOptions: the data is the items so far, growing as they arrive, then all of them", async () => {
    const { rpc, queryClient, requests } = streaming(["a", "b", "c"], { gap: 15 });
    const options = rpc.progress.streamedQueryOptions(["job"]);
    assert.deepEqual(options.queryKey, ["pyrpc", "progress", ["job"]]);
    const observer = new QueryObserver(queryClient, options);
    const seen = [];
    const unsubscribe = observer.subscribe((result) => {
      if (result.data && JSON.stringify(result.data) !== JSON.stringify(seen.at(-1))) seen.push(result.data);
    });
    for (let waited = 0; observer.getCurrentResult().fetchStatus !== "idle" && waited < 2000; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    unsubscribe();
    // Partial data first (the query is a success from the first item), all of it at the end.
    assert.ok(seen.length >= 2, JSON.stringify(seen));
    assert.deepEqual(seen.at(-1), ["a", "b", "c"]);
    for (const [index, data] of seen.entries()) assert.deepEqual(data, ["a", "b", "c"].slice(0, data.length), `state ${index}`);
    assert.deepEqual(queryClient.getQueryData(rpc.progress.queryKey(["job"])), ["a", "b", "c"]);
    assert.equal(requests[0].headers.get("accept"), "text/event-stream");
    assert.deepEqual(await queryClient.fetchQuery(rpc.progress.streamedQueryOptions(["other"])), ["a", "b", "c"]);
  });

  test("cancelling the query stops the stream", async () => {
    const { rpc, queryClient, requests } = streaming([1, 2], { hold: true });
    const fetching = queryClient.fetchQuery(rpc.progress.streamedQueryOptions(["job"]));
    await new Promise((r) => setTimeout(r, 30));
    await queryClient.cancelQueries({ queryKey: rpc.progress.pathKey() });
    await fetching.catch(() => {}); // TanStack settles it as it reverts the cancelled fetch
    assert.equal(requests[0].init.signal.aborted, true);
    assert.equal(requests.length, 1);
  });
});
