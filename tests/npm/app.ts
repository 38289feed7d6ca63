// The end-to-end program: the real @pyrpc/client against a live pyRPC server, typed by the
// generated @pyrpc/types. It must compile with `tsc --strict` and exit 0; any failed check
// prints it and sets a non-zero exit code. Usage: node app.js <url>
import { createClient, ErrorCodes, RpcError, TransportError, type FetchLike } from "@pyrpc/client";
import type { Cat, Tick, Types, User, UserInput } from "@pyrpc/types";
import { Color, Priority, meta, procedures } from "@pyrpc/types";

declare const process: { argv: string[]; exitCode?: number };

const url = process.argv[2] ?? "http://127.0.0.1:8000/rpc";
let checks = 0;
const failures: string[] = [];

function check(condition: boolean, what: string): void {
  checks++;
  if (!condition) failures.push(what);
}

function same(actual: unknown, expected: unknown, what: string): void {
  check(JSON.stringify(actual) === JSON.stringify(expected), `${what}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

let requests = 0;
const countingFetch: FetchLike = (input, init) => {
  requests++;
  return fetch(input, init);
};

const client = createClient<Types>({ url, fetch: countingFetch, headers: async () => ({ authorization: "Bearer t0k3n" }) });

async function main(): Promise<void> {
  // Plain values, by position; an optional trailing parameter left out.
  const sum: number = await client.add(1, 2);
  same(sum, 3, "add(1, 2)");
  same(await client.add(5), 15, "add(5) uses the server's default");

  // Models: the output shape, datetimes as ISO strings, enums as values.
  const user: User = await client.users.get(7);
  same(user, { id: 7, name: "user 7", email: null, created: "2024-01-02T03:04:05Z", color: "red", tags: ["a"] }, "users.get");
  check(user.color === Color.RED, "Color.RED is the wire value");
  check(new Date(user.created).getUTCFullYear() === 2024, "created parses as a date");

  // The input shape: fields with defaults may be left out.
  const input: UserInput = { id: 1, name: "Ann", created: "2024-05-06T07:08:09Z" };
  const created = await client.users.create(input);
  same(created, { id: 1001, name: "Ann", email: null, created: "2024-05-06T07:08:09Z", color: "red", tags: [] }, "users.create");

  // A discriminated union narrows on its tag.
  const pet = await client.adopt("cat");
  if (pet.kind === "cat") {
    const cat: Cat = pet;
    same(cat.lives, 9, "adopt('cat').lives");
  } else {
    check(false, "adopt('cat') gave a dog");
  }
  same(await client.describe({ kind: "dog", good: true }), "a good dog", "describe(dog)");

  // Dates and durations, as on the wire.
  same(await client.later("2024-01-30T00:00:00Z", 3), "2024-02-02T00:00:00Z", "later");
  same(await client.span("2024-01-01", "2024-03-01"), "P60D", "span");

  // Enums and nullable values.
  same(await client.paint(Color.DARK_BLUE, Priority.HIGH), { color: "dark-blue", priority: 2 }, "paint");
  same(await client.maybe(), null, "maybe()");
  same(await client.maybe(null), null, "maybe(null)");
  same(await client.maybe(5), "5", "maybe(5)");

  // Errors raised by procedures arrive as RpcError with code, message and data.
  const notFound = await failure(client.users.get(404));
  check(notFound instanceof RpcError, "users.get(404) rejects with RpcError");
  if (notFound instanceof RpcError) {
    same([notFound.code, notFound.message, notFound.data], [4004, "user not found", { id: 404 }], "RpcError fields");
  }
  const divide = await failure(client.math.divide(1, 0));
  check(divide instanceof RpcError && divide.code === 4000, "math.divide(1, 0) is RpcError 4000");

  // Validation errors carry pydantic's details.
  // @ts-expect-error -- a string where a number is expected: refused by tsc, and by the server
  const invalid = await failure(client.add("x", 1));
  check(invalid instanceof RpcError && invalid.isValidationError, "add('x', 1) is a validation error");
  if (invalid instanceof RpcError) {
    check(invalid.code === ErrorCodes.INVALID_PARAMS, "code -32602");
    const details = invalid.data as { loc: unknown[]; type: string }[];
    check(Array.isArray(details) && details.some((d) => d.loc.includes("a")), "data names the parameter");
  }
  const missing = await failure(client.$call("nope"));
  check(missing instanceof RpcError && missing.code === ErrorCodes.METHOD_NOT_FOUND, "unknown method is -32601");

  // Context: the headers function is called for each request.
  same(await client.whoami(), "Bearer t0k3n", "whoami");

  // Notifications: nothing comes back, but the server ran them.
  const run = Math.random().toString(36).slice(2); // the server outlives one run of this program
  await client.$notify.audit.log(`hello ${run}`);

  // One batch for the calls of one tick, answers matched by id.
  const batched = createClient<Types>({ url, fetch: countingFetch, batch: true });
  const before = requests;
  const results = await Promise.allSettled([
    batched.add(2, 3),
    batched.users.get(404),
    batched.$notify.audit.log(`batched ${run}`),
    batched.maybe(8),
    batched.math.divide(9, 3),
  ]);
  same(requests - before, 1, "one HTTP request for the batch");
  same(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"], "batch outcomes");
  same(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as RpcError).code)), [5, 4004, undefined, "8", 3], "batch values");
  const entries = await client.audit.entries();
  same(entries.filter((e) => e.endsWith(run)), [`hello ${run}`, `batched ${run}`], "the notifications ran");

  // Timeouts, aborts and unreachable servers are transport errors, not RpcErrors.
  const timedOut = await failure(client.$with({ timeout: 100 }).slow(3000));
  check(timedOut instanceof TransportError && timedOut.kind === "timeout", "slow(3000) times out after 100 ms");
  const controller = new AbortController();
  const aborted = client.$with({ signal: controller.signal }).slow(3000);
  setTimeout(() => controller.abort(), 50);
  const abortError = await failure(aborted);
  check(abortError instanceof Error && abortError.name === "AbortError", "an aborted call rejects with AbortError");
  const nowhere = createClient<Types>({ url: "http://127.0.0.1:9/rpc" });
  const unreachable = await failure(nowhere.add(1, 2));
  check(unreachable instanceof TransportError && unreachable.kind === "network", "an unreachable server is a network error");

  // Streaming procedures (generators): for await over their items, with the generated meta.
  const streaming = createClient<Types>({ url, meta });
  const ticks: Tick[] = [];
  for await (const tick of streaming.streams.count(3)) ticks.push(tick);
  same(ticks.map((t) => [t.n, t.at]), [[0, "2024-01-02T03:04:05Z"], [1, "2024-01-02T03:04:06Z"], [2, "2024-01-02T03:04:07Z"]], "streams.count");
  const streamed: number[] = [];
  const midway = await failure(
    (async () => {
      for await (const n of streaming.streams.fail(1)) streamed.push(n);
    })(),
  );
  check(midway instanceof RpcError && midway.code === 4090 && streamed.length === 1, "an error mid-stream is an RpcError after the items");
  for await (const n of streaming.streams.forever(`e2e-${run}`)) if (n === 1) break;
  const words: string[] = [];
  for await (const word of client.$stream<string>("streams.words", ["without meta"])) words.push(word);
  same(words, ["without", "meta"], "$stream without meta");

  // Awaiting the client itself is harmless: the proxy is not a thenable.
  const awaited = await client;
  check(awaited === client, "await client gives the client");
  check(procedures.includes("users.get"), "procedures lists the wire names");

  // Type-level checks: each line below must be an error for tsc --strict.
  if (checks < 0) {
    // @ts-expect-error -- too few arguments
    await client.users.get();
    // @ts-expect-error -- no such procedure
    await client.nope();
    // @ts-expect-error -- the result is a number
    const wrong: string = await client.add(1, 2);
    // @ts-expect-error -- not a colour
    await client.paint("purple");
    void wrong;
  }
}

main()
  .catch((error: unknown) => failures.push(`unexpected: ${String(error)}`))
  .finally(() => {
    if (failures.length) {
      console.error(`e2e: ${failures.length} of ${checks} checks failed:\n  ${failures.join("\n  ")}`);
      process.exitCode = 1;
    } else {
      console.log(`e2e: all ${checks} checks passed`);
    }
  });
