// @pyrpc/tanstack-query against a live server, with TanStack Query's own QueryClient: typed
// queries, invalidation by namespace, mutations, an infinite query over a cursor procedure, a
// streaming procedure's items as a query's data.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient, RpcError, type ClientError } from "@pyrpc/client";
import { createQueryUtils } from "@pyrpc/tanstack-query";
import type { NumberPage, Procedures, Tick, Types, User } from "@pyrpc/types";
import { meta } from "@pyrpc/types";
import { InfiniteQueryObserver, MutationObserver, QueryClient } from "@tanstack/query-core";

const client = createClient<Types, Procedures>({ url: process.env["PYRPC_URL"] as string, meta, retry: true });
const rpc = createQueryUtils(client);

test("queries: typed data, the cache by key, typed errors", async () => {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const user: User = await queryClient.fetchQuery(rpc.users.get.queryOptions([3]));
  assert.equal(user.name, "user 3");
  assert.deepEqual(rpc.users.get.queryKey([3]), ["pyrpc", "users", "get", [3]]);
  const cached: User | undefined = queryClient.getQueryData(rpc.users.get.queryKey([3]));
  assert.deepEqual(cached, user);
  const error: ClientError = await queryClient.fetchQuery(rpc.users.get.queryOptions([404])).then(
    () => assert.fail("resolved"),
    (e: ClientError) => e,
  );
  assert.ok(error instanceof RpcError && error.code === 4004);
  assert.deepEqual(error.data, { id: 404 });
});

test("invalidation by namespace: users.* only", async () => {
  const queryClient = new QueryClient();
  await queryClient.fetchQuery(rpc.users.get.queryOptions([1]));
  await queryClient.fetchQuery(rpc.users.get.queryOptions([2]));
  await queryClient.fetchQuery(rpc.add.queryOptions([1, 2]));
  await queryClient.invalidateQueries({ queryKey: rpc.users.pathKey() });
  const invalidated = queryClient.getQueryCache().getAll().filter((q) => q.state.isInvalidated).map((q) => q.queryKey);
  assert.deepEqual(invalidated, [rpc.users.get.queryKey([1]), rpc.users.get.queryKey([2])]);
});

test("mutations call by position and update the cache", async () => {
  const queryClient = new QueryClient();
  const input = { id: 5, name: "Eve", created: "2024-05-06T07:08:09Z" };
  const observer = new MutationObserver(
    queryClient,
    rpc.users.create.mutationOptions({ onSuccess: (created) => queryClient.setQueryData(rpc.users.get.queryKey([created.id]), created) }),
  );
  const created: User = await observer.mutate([input]);
  assert.equal(created.id, 1005);
  assert.equal(queryClient.getQueryData(rpc.users.get.queryKey([1005]))?.name, "Eve");
});

test("an infinite query pages through a cursor procedure", async () => {
  const queryClient = new QueryClient();
  const observer = new InfiniteQueryObserver(queryClient, rpc.numbers.page.infiniteQueryOptions({ limit: 3 }));
  const unsubscribe = observer.subscribe(() => {});
  try {
    await observer.refetch();
    while (observer.getCurrentResult().hasNextPage) await observer.fetchNextPage();
    const pages: NumberPage[] = observer.getCurrentResult().data?.pages ?? [];
    assert.deepEqual(pages.map((p) => p.items), [[0, 1, 2], [3, 4, 5], [6, 7]]);
    assert.deepEqual(observer.getCurrentResult().data?.pageParams, [null, "3", "6"]);
  } finally {
    unsubscribe();
  }
});

test("a streaming procedure's items as a query's data (streamedQueryOptions), growing as they arrive", async () => {
  const queryClient = new QueryClient();
  const sizes: number[] = [];
  const unsubscribe = queryClient.getQueryCache().subscribe((event) => {
    const data = event.query.state.data as Tick[] | undefined;
    if (data && sizes.at(-1) !== data.length) sizes.push(data.length);
  });
  const ticks: Tick[] = await queryClient.fetchQuery(rpc.streams.count.streamedQueryOptions([3, 20]));
  unsubscribe();
  assert.deepEqual(ticks.map((tick) => tick.n), [0, 1, 2]);
  assert.deepEqual(sizes, [1, 2, 3]);
  const cached: Tick[] | undefined = queryClient.getQueryData(rpc.streams.count.queryKey([3, 20]));
  assert.equal(cached?.length, 3);
});
