// Big integers (pyrpc_core.BigInt): results arrive as the exact strings the server wrote, and a
// bigint given to the client (JSON.stringify refuses them) is sent as its decimal string.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createClient } from "../dist/esm/index.js";
import { fakeFetch, jsonRpc } from "./helpers.mjs";

const URL_ = "http://api.test/rpc";
const BIG = 2n ** 63n + 1n; // 9223372036854775809: as a JavaScript number it would read ...808

describe("big integers", () => {
  test("a BigInt result is the exact string the server wrote; BigInt() reads it exactly", async () => {
    const text = `{"jsonrpc":"2.0","result":{"id":"${BIG}","history":["${BIG}","-1"]},"id":1}`;
    const { fetch } = fakeFetch(() => new Response(text, { headers: { "content-type": "application/json" } }));
    const client = createClient({ url: URL_, fetch });
    const ledger = await client.big.ledger(`${BIG}`);
    assert.equal(ledger.id, "9223372036854775809");
    assert.equal(BigInt(ledger.id), BIG);
    assert.deepEqual(ledger.history.map(BigInt), [BIG, -1n]);
  });

  test("bigint params are sent as decimal strings, by position, by name, nested and in batches", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc({ "big.add": (a, b) => `${BigInt(a) + BigInt(b ?? "1")}`, echo: (x) => x }));
    const client = createClient({ url: URL_, fetch, batch: { stream: false } });
    assert.equal(await client.big.add(BIG, -2n), "9223372036854775807");
    await client.$call("echo", { ledger: { id: BIG, history: [BIG, 0n], limit: null }, n: 1 });
    const [one, two] = await Promise.all([client.echo(BIG), client.echo([-BIG])]);
    assert.equal(one, `${BIG}`);
    assert.deepEqual(two, [`-${BIG}`]);
    assert.equal(requests[0].init.body, `{"jsonrpc":"2.0","method":"big.add","params":["${BIG}","-2"],"id":1}`);
    assert.deepEqual(requests[1].body.params, { ledger: { id: `${BIG}`, history: [`${BIG}`, "0"], limit: null }, n: 1 });
    assert.deepEqual(
      requests[2].body.map((r) => r.params),
      [[`${BIG}`], [[`-${BIG}`]]],
    );
  });

  test("requests without a bigint are written exactly as JSON.stringify writes them", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc({ echo: (x) => x }));
    const client = createClient({ url: URL_, fetch });
    const value = { a: [1, 2.5, "x", null, true], b: { c: "\u2028" } };
    await client.echo(value);
    assert.equal(requests[0].init.body, JSON.stringify({ jsonrpc: "2.0", method: "echo", params: [value], id: 1 }));
  });

  test("what JSON.stringify refuses for another reason still fails the call", async () => {
    const { fetch, requests } = fakeFetch(jsonRpc({ echo: (x) => x }));
    const client = createClient({ url: URL_, fetch });
    const cycle = { n: 1n };
    cycle.self = cycle;
    await assert.rejects(client.echo(cycle));
    assert.equal(requests.length, 0);
  });
});
