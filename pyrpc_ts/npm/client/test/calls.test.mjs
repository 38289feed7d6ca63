// Every call the generated types accept is one the server accepts: gaps in positional calls go
// by name (meta.params), names the proxy serves (constructor, toString, __proto__...), and named
// calls (meta.calls "named"). The meta used is the generated one of the corpus cases calls and
// calls-named (tests/corpus), which both emitters write byte for byte.
// tests/npm/toolkit/calls.test.ts runs the same against a live server.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createClient } from "../dist/esm/index.js";
import { fakeFetch } from "./helpers.mjs";

const corpus = new URL("../../../../tests/corpus/", import.meta.url);
const { meta } = await import(new URL("calls/expected/index.js", corpus).href);
const { meta: namedMeta } = await import(new URL("calls-named/expected/index.js", corpus).href);

const URL_ = "http://api.test/rpc";
const echo = (body) =>
  Array.isArray(body) ? body.map(echo) : { jsonrpc: "2.0", result: { method: body.method, params: body.params }, id: body.id };
const events = (body) =>
  new Response(`id: 0\ndata: ${JSON.stringify(body.params)}\n\nevent: done\ndata:\n\n`, { headers: { "content-type": "text/event-stream" } });

function client(options = {}) {
  const { fetch, requests } = fakeFetch((body) => (body.method === "watch" ? events(body) : echo(body)));
  return { client: createClient({ url: URL_, fetch, ...options }), requests, sent: () => requests.map((r) => r.body.params) };
}

describe("positional calls with a gap", () => {
  test("meta.params has the names of exactly the procedures with two optional trailing parameters", () => {
    assert.deepEqual(meta.params.opt_middle, ["a", "b"]);
    assert.deepEqual(meta.params["users.search"], ["query", "page", "size", "filter"]);
    assert.equal(Object.hasOwn(meta.params, "tail_of_one"), false);
    assert.equal(Object.hasOwn(meta.params, "add"), false);
    assert.deepEqual(meta.params.__proto__, ["x", "y"]); // an own key, not the prototype
    assert.equal(Object.getPrototypeOf(meta.params), Object.prototype);
  });

  test("an undefined before a given argument sends the call by name, leaving the undefined ones out", async () => {
    const { client: c, sent } = client({ meta });
    await c.opt_middle(undefined, "y");
    await c.users.search("q", undefined, 5);
    await c.users.search("q", undefined, undefined, { text: "t" });
    await c.reserved(undefined, "f");
    await c.__proto__(undefined, 2);
    await c.constructor(undefined, 3);
    assert.deepEqual(sent(), [{ b: "y" }, { query: "q", size: 5 }, { query: "q", filter: { text: "t" } }, { function: "f" }, { y: 2 }, { y: 3 }]);
  });

  test("without a gap the params stay positional; trailing undefineds are dropped", async () => {
    const { client: c, sent } = client({ meta });
    await c.opt_middle();
    await c.opt_middle(1);
    await c.opt_middle(1, undefined);
    await c.opt_middle(undefined, undefined);
    await c.opt_middle(1, "y");
    assert.deepEqual(sent(), [[], [1], [1], [], [1, "y"]]);
  });

  test("$call, $notify and $stream with an array fill the gap the same way; an object goes as it is", async () => {
    const { client: c, sent } = client({ meta });
    await c.$call("opt_middle", [undefined, "y"]);
    await c.$call("opt_middle", [, "hole"]); // eslint-disable-line no-sparse-arrays
    await c.$call("opt_middle", [1, undefined]);
    await c.$call("opt_middle", { b: "z" });
    await c.$notify("opt_middle", [undefined, "n"]);
    await c.$notify.opt_middle(undefined, "m");
    const items = [];
    for await (const item of c.watch(undefined, 7)) items.push(item);
    for await (const item of c.$stream("watch", [undefined, 8])) items.push(item);
    assert.deepEqual(sent(), [{ b: "y" }, { b: "hole" }, [1], { b: "z" }, { b: "n" }, { b: "m" }, { since: 7 }, { since: 8 }]);
    assert.deepEqual(items, [{ since: 7 }, { since: 8 }]);
  });

  test("a procedure meta does not list has no optional parameter to skip: an undefined is sent as JSON sends it (null)", async () => {
    const { client: c, sent } = client({ meta });
    await c.$call("anything", [undefined, 2]);
    assert.deepEqual(sent(), [[null, 2]]);
  });

  test("without meta.params a gap is refused before anything is sent, naming the procedure and the fix", async () => {
    for (const options of [{}, { meta: { maxBatch: 10, idempotent: [], streams: ["watch"] } }]) {
      const { client: c, requests } = client(options);
      const error = await c.opt_middle(undefined, "y").catch((e) => e);
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^opt_middle: argument 1 is undefined but a later one is given/);
      assert.match(error.message, /give createClient the meta of @pyrpc\/types/);
      assert.match(error.message, /\$call\("opt_middle", \{ \.\.\. \}\)/);
      await assert.rejects(c.$call("users.search", ["q", undefined, 5]), /^TypeError: users\.search: argument 2/);
      await assert.rejects(c.$notify.opt_middle(undefined, 1), TypeError);
      const loop = async () => {
        for await (const _ of c.$stream("watch", [undefined, 1])) assert.fail("no item");
      };
      await assert.rejects(loop(), /^TypeError: watch: argument 1/);
      assert.equal(requests.length, 0);
      assert.deepEqual(await c.opt_middle(1), { method: "opt_middle", params: [1] }); // no gap: sent as before
    }
  });

  test("a batch holds calls by name beside calls by position", async () => {
    const { client: c, requests } = client({ meta, batch: { stream: false } });
    const answers = await Promise.all([c.opt_middle(undefined, "y"), c.add(1, 2)]);
    assert.equal(requests.length, 1);
    assert.deepEqual(requests[0].body.map((r) => r.params), [{ b: "y" }, [1, 2]]);
    assert.deepEqual(answers.map((a) => a.params), [{ b: "y" }, [1, 2]]);
  });
});

describe("names the proxy serves", () => {
  const names = ["constructor", "toString", "valueOf", "__proto__", "prototype", "hasOwnProperty", "isPrototypeOf", "call", "apply", "bind", "length", "name", "arguments", "caller"];

  test("each is a procedure, at the root and in a namespace", async () => {
    const { client: c, requests } = client({ meta });
    for (const name of names) {
      assert.equal(typeof c[name], "function", name);
      assert.deepEqual(await c[name](1), { method: name, params: [1] });
      assert.deepEqual(await c.users[name](2), { method: `users.${name}`, params: [2] });
      assert.deepEqual(await c.$notify.users[name](3), undefined);
    }
    assert.deepEqual(await c.$call("constructor", [4]), { method: "constructor", params: [4] });
    assert.equal(requests.length, names.length * 3 + 1);
  });

  test("turning the client into a string, awaiting, inspecting or serializing it calls nothing", async () => {
    const { client: c, requests } = client({ meta });
    assert.equal(String(c), "[pyRPC client]");
    assert.equal(`${c.users.get}`, "[pyRPC users.get]");
    assert.equal(c.users + "!", "[pyRPC users]!");
    assert.ok(Number.isNaN(+c.users));
    assert.equal(await c.users, c.users);
    assert.equal(JSON.stringify([c.users]), "[null]");
    assert.equal(requests.length, 0);
  });

  test("then, toJSON and $ names are never procedures (the server refuses to register them)", () => {
    const { client: c } = client({ meta });
    for (const name of ["then", "toJSON", "$calls", "$x"]) {
      assert.equal(c[name], undefined, name);
      assert.equal(c.users[name], undefined, `users.${name}`);
      assert.equal(c.$notify[name], undefined, `$notify.${name}`);
    }
    assert.equal(typeof c.$call, "function");
    assert.equal(typeof c.$with({}).$stream, "function");
  });
});

describe("named calls (meta.calls \"named\")", () => {
  test("the generated meta says so, and carries no parameter names", () => {
    assert.equal(namedMeta.calls, "named");
    assert.deepEqual(namedMeta.params, {});
    assert.equal(meta.calls, "positional");
  });

  test("a call's one object is its params by name; no object, no params", async () => {
    const { client: c, sent } = client({ meta: namedMeta });
    await c.add({ a: 1, b: 2 });
    await c.opt_middle({ b: "y" });
    await c.opt_middle({ a: undefined, b: "y" }); // JSON leaves the undefined out: the default applies
    await c.opt_middle();
    await c.ping();
    await c.users.search({ query: "q", size: 5 });
    await c.spread([1, 2]); // params that are not an object schema: as given
    assert.deepEqual(sent(), [{ a: 1, b: 2 }, { b: "y" }, { b: "y" }, [], [], { query: "q", size: 5 }, [1, 2]]);
    assert.deepEqual(JSON.parse(JSON.stringify(sent()[2])), { b: "y" });
  });

  test("$call takes the params object, or the arguments of the call (what TanStack Query passes); streams and notifications too", async () => {
    const { client: c, sent } = client({ meta: namedMeta });
    await c.$call("add", { a: 1, b: 2 });
    await c.$call("add", [{ a: 3, b: 4 }]);
    await c.$call("ping");
    await c.$notify("add", [{ a: 5, b: 6 }]);
    await c.$notify.add({ a: 7, b: 8 });
    const items = [];
    for await (const item of c.watch({ since: 9 })) items.push(item);
    assert.deepEqual(sent(), [{ a: 1, b: 2 }, { a: 3, b: 4 }, [], { a: 5, b: 6 }, { a: 7, b: 8 }, { since: 9 }]);
    assert.deepEqual(items, [{ since: 9 }]);
  });

  test("arguments by position are refused before anything is sent, saying to pass one object", async () => {
    const { client: c, requests } = client({ meta: namedMeta });
    const error = await c.add(1, 2).catch((e) => e);
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, 'add: this client\'s procedures take their params by name (meta.calls is "named"): pass one object, as in client.add({ ... }), not 2 arguments');
    await assert.rejects(c.add(1), /not a number$/);
    await assert.rejects(c.add(null), /not null$/);
    await assert.rejects(c.$call("add", [1, 2]), TypeError);
    const loop = async () => {
      for await (const _ of c.watch("all", 1)) assert.fail("no item");
    };
    await assert.rejects(loop(), TypeError);
    assert.equal(requests.length, 0);
  });
});
