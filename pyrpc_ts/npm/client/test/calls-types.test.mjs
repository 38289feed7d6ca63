// The types of calls under tsc --strict, against the generated packages of the corpus cases
// calls (positional) and calls-named (emitter option calls "named"): what compiles is what
// the client sends and the server takes (test/calls.test.mjs has the sending). Each line that
// must not compile carries @ts-expect-error, which tsc reports when the line compiles.
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { corpusPackage, typecheck } from "./helpers.mjs";

const scratch = fs.realpathSync(fs.mkdtempSync(path.join(tmpdir(), "pyrpc-calls-types-")));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const POSITIONAL = `
import { createClient, type Client } from "@pyrpc/client";
import type { Procedures, Types } from "@pyrpc/types";
import { meta } from "@pyrpc/types";

const client = createClient<Types, Procedures>({ url: "/rpc", meta });
const bare = createClient<Types>({ url: "/rpc" }); // positional types need no meta

export async function gaps(): Promise<void> {
  const text: string = await client.opt_middle(undefined, "y");
  await client.users.search("q", undefined, 5);
  await client.$call("opt_middle", [undefined, "y"]);
  await client.$notify.opt_middle(undefined, "y");
  for await (const n of client.watch(undefined, 1)) void n;
  void [text, bare];
}

export async function names(): Promise<void> {
  const results: string[] = [
    await client.constructor(1, 2),
    await client.toString(1),
    await client.valueOf(),
    await client.__proto__(undefined, 2),
    await client.prototype(),
    await client.hasOwnProperty(1),
    await client.users.call(1),
    await client.users.apply(1, 2),
    await client.users.bind(),
  ];
  void results;
}

// Returning the client from an async function: it is not a thenable (no TS1058).
export async function handOut(): Promise<Client<Types, Procedures>> {
  return client;
}

export async function refused(): Promise<void> {
  // @ts-expect-error: a required parameter cannot be left undefined
  await client.add(undefined, 2);
  // @ts-expect-error: the $calls marker is for named types only
  const marker: "named" | undefined = client.$calls;
  // @ts-expect-error: the meta of named calls does not fit positional types
  createClient<Types>({ url: "/rpc", meta: { ...meta, calls: "named" as const } });
  void marker;
}
`;

const NAMED = `
import { createClient, type Client } from "@pyrpc/client";
import { createQueryUtils } from "@pyrpc/tanstack-query";
import type { Procedures, Types } from "@pyrpc/types";
import { meta } from "@pyrpc/types";

const client = createClient<Types, Procedures>({ url: "/rpc", meta });
const rpc = createQueryUtils(client);

export async function named(): Promise<void> {
  const sum: number = await client.add({ a: 1, b: 2 });
  const text: string = await client.opt_middle({ b: "y" });
  await client.opt_middle();
  await client.ping();
  await client.users.search({ query: "q", size: 5 });
  await client.$call("add", { a: 1, b: 2 });
  await client.$call("add", [{ a: 1, b: 2 }]);
  await client.$call("ping");
  await client.$notify.add({ a: 1, b: 2 });
  for await (const n of client.watch({ since: 1 })) void n;
  const options = rpc.add.queryOptions([{ a: 1, b: 2 }]);
  const fetched: number = await options.queryFn({} as never);
  void [sum, text, fetched];
}

export async function handOut(): Promise<Client<Types, Procedures>> {
  return client;
}

export async function refused(): Promise<void> {
  // @ts-expect-error: named calls take one object, not arguments by position
  await client.add(1, 2);
  // @ts-expect-error: b is required
  await client.add({ a: 1 });
  // @ts-expect-error: no such parameter
  await client.add({ a: 1, b: 2, c: 3 });
  // @ts-expect-error: swapped names are still checked by name: a string is no number
  await client.users.search({ query: 1, size: "q" });
  // @ts-expect-error: by wire name too: no arguments by position
  await client.$call("add", [1, 2]);
  // @ts-expect-error: named calls need meta: without it their object would go by position
  createClient<Types>({ url: "/rpc" });
  // @ts-expect-error: nor does the meta of positional calls do
  createClient<Types>({ url: "/rpc", meta: { ...meta, calls: "positional" as const } });
}
`;

function check(name, corpusCase, source) {
  typecheck(path.join(scratch, name), {
    files: corpusPackage(corpusCase),
    source,
    links: { "@pyrpc/tanstack-query": "pyrpc_ts/npm/tanstack-query", "@tanstack/query-core": "node_modules/@tanstack/query-core" },
  });
}

test("positional calls: gaps, names the proxy serves, the client returned from an async function", () => {
  check("positional", "calls", POSITIONAL);
});

test("named calls: one object, checked by name; createClient asks for their meta; TanStack Query takes the call's arguments", () => {
  check("named", "calls-named", NAMED);
});
