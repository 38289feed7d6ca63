// The client's types under tsc --strict, against the zoo's generated @pyrpc/types: $call and
// $notify typed by the Procedures map (params by position or by name, the result), wrong
// method names and params refused (each such line carries @ts-expect-error, which tsc
// reports when the line compiles), middleware and retry options, meta from the package.
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { generateFromText } from "../dist/esm/emitter/index.js";
import { repository, typecheck } from "./helpers.mjs";

const scratch = fs.realpathSync(fs.mkdtempSync(path.join(tmpdir(), "pyrpc-types-")));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const CHECK = `
import { createClient, RpcError, type Client, type ClientError, type Middleware, type RpcResponse } from "@pyrpc/client";
import type { Procedures, Step, Types, User } from "@pyrpc/types";
import { meta } from "@pyrpc/types";

const timing: Middleware = async (request, next) => {
  const started = Date.now();
  try {
    return await next(request);
  } finally {
    console.log(request.attempt, Date.now() - started);
  }
};
const auth: Middleware = async (request, next) => {
  request.headers.set("authorization", "Bearer x");
  const response: RpcResponse = await next(request);
  const expired = [response.body].flat().some((answer) => answer?.error?.code === 4001);
  return expired ? next(request) : response;
};

const client = createClient<Types, Procedures>({ url: "/rpc", meta, middleware: [timing, auth], retry: { attempts: 4 } });
const loose = createClient<Types>({ url: "/rpc", retry: true });
const withOptions: Client<Types, Procedures> = client.$with({ timeout: 10, retry: false });

export async function typed(): Promise<void> {
  const sum: number = await client.$call("add", [1, 2]);
  const named: number = await client.$call("add", { a: 1, b: 2 });
  const user: User = await client.$call("users.get", [1], { timeout: 5 });
  const purged: number = await client.$call("admin.users.purge", ["2024-01-01"]);
  await client.$call("admin.users.purge", { before: "2024-01-01", dry_run: false });
  const pong: null = await client.$call("ping");
  await client.$call("ping", []);
  await client.$notify("users.get", [1]);
  await client.$notify("ping");
  await client.$notify.users.get(2);
  await withOptions.$call("add", [1, 2]);
  void [sum, named, user, purged, pong];
}

export async function refused(): Promise<void> {
  // @ts-expect-error: no such procedure
  await client.$call("users.remove", [1]);
  // @ts-expect-error: a string where a number goes
  await client.$call("add", [1, "2"]);
  // @ts-expect-error: a parameter missing
  await client.$call("add", [1]);
  // @ts-expect-error: a parameter missing, by name
  await client.$call("add", { a: 1 });
  // @ts-expect-error: params are required when a parameter is
  await client.$call("users.get");
  // @ts-expect-error: the result is a User, not a number
  const wrong: number = await client.$call("users.get", [1]);
  // @ts-expect-error: no such procedure to notify
  await client.$notify("nope", []);
  // @ts-expect-error: wrong params for a notification
  await client.$notify("users.get", ["1"]);
  void wrong;
}

export async function untyped(): Promise<void> {
  // Without Procedures, $call takes any name, and a result type by hand.
  const anything: unknown = await loose.$call("users.remove", [1]);
  const user = await loose.$call<User>("users.get", { id: 1 });
  const id: number = user.id;
  await loose.$notify("whatever", { x: 1 });
  void [anything, id];
}

export async function streams(): Promise<void> {
  // A streaming procedure: AsyncIterable of its items, on the proxy and by wire name.
  for await (const step of client.progress("job")) {
    const done: number = step.done;
    if (done > 1) break;
  }
  for await (const step of client.$stream("progress", ["job", 0.5], { timeout: 1000 })) {
    const typed: Step = step;
    void typed;
  }
  for await (const user of client.$stream("users.watch")) {
    const name: string = user.name;
    void name;
  }
  const byName: AsyncIterable<Step> = client.$stream("progress", { job: "j" });
  const iterator = client.$with({ signal: new AbortController().signal }).progress("j")[Symbol.asyncIterator]();
  await iterator.return?.();
  // Without Procedures, $stream takes any name, and an item type by hand.
  for await (const item of loose.$stream<Step>("progress", ["j"])) {
    const of: number = item.of;
    void of;
  }
  const stepsOfMeta: readonly string[] = meta.streams;
  void [byName, stepsOfMeta];
}

export async function streamsRefused(): Promise<void> {
  // @ts-expect-error: a stream is not called
  await client.$call("progress", ["job"]);
  // @ts-expect-error: a call is not streamed
  client.$stream("add", [1, 2]);
  // @ts-expect-error: a string where a number goes
  client.$stream("progress", ["job", "fast"]);
  // @ts-expect-error: no such procedure to notify (a stream is not a notification)
  await client.$notify("progress", ["job"]);
  for await (const step of client.progress("job")) {
    // @ts-expect-error: an item is a Step, not a string
    const wrong: string = step;
    void wrong;
  }
}

export function errors(error: ClientError): number | string {
  return error instanceof RpcError ? error.code : error.kind;
}
`;

test("$call and $notify are typed by Procedures; wrong names and params do not compile", () => {
  const files = generateFromText(fs.readFileSync(path.join(repository, "tests/corpus/zoo/schema.json"), "utf8"));
  typecheck(path.join(scratch, "app"), { files, source: CHECK, compilerOptions: { exactOptionalPropertyTypes: true } });
});
