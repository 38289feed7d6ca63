// `npx pyrpc sync` and `npx pyrpc generate` with the emitter option calls: from --calls, else
// "calls" in pyrpc.client.json, else positional; the packages are the corpus cases calls and
// calls-named byte for byte (what the Python emitter writes with emitter_options).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../dist/esm/cli.js";
import { readConfig, writeConfig } from "../dist/esm/config.js";

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../tests/corpus");
const schema = fs.readFileSync(path.join(corpus, "calls/schema.json"), "utf8");
const expected = (name) => fs.readFileSync(path.join(corpus, name, "expected/index.d.ts"), "utf8");
const scratch = fs.mkdtempSync(path.join(tmpdir(), "pyrpc-calls-cli-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let server;
let url;
before(async () => {
  server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(schema));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${server.address().port}/rpc`;
});
after(() => server.close());

function project(config) {
  const root = fs.mkdtempSync(path.join(scratch, "app-"));
  fs.writeFileSync(path.join(root, "package.json"), '{"name": "app", "private": true}\n');
  if (config !== undefined) fs.writeFileSync(path.join(root, "pyrpc.client.json"), JSON.stringify(config));
  return root;
}

async function run(argv, cwd) {
  const out = [];
  const err = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), cwd });
  return { code, out, err };
}

const types = (root) => fs.readFileSync(path.join(root, "pyrpc/types/index.d.ts"), "utf8");

test("calls named from pyrpc.client.json, for sync and for generate; --calls overrides it", async () => {
  const root = project({ url, distribution: "server", calls: "named" });
  assert.equal((await run(["sync"], root)).code, 0);
  assert.equal(types(root), expected("calls-named"));
  assert.equal((await run(["generate", "--calls", "positional"], root)).code, 0);
  assert.equal(types(root), expected("calls"));
  assert.equal((await run(["generate"], root)).code, 0);
  assert.equal(types(root), expected("calls-named"));
});

test("positional without a config or a flag; --calls named alone", async () => {
  const root = project();
  assert.equal((await run(["sync", "--url", url], root)).code, 0);
  assert.equal(types(root), expected("calls"));
  assert.equal((await run(["generate", "--calls", "named"], root)).code, 0);
  assert.equal(types(root), expected("calls-named"));
});

test("a wrong value is refused naming the flag or the file's field; nothing is written", async () => {
  const flagged = project();
  const bad = await run(["sync", "--url", url, "--calls", "keyword"], flagged);
  assert.equal(bad.code, 2);
  assert.equal(bad.err[0], 'pyrpc: --calls takes "positional" or "named", not "keyword"');
  const configured = project({ url, distribution: "server", calls: "by-name" });
  const refused = await run(["sync"], configured);
  assert.equal(refused.code, 1);
  assert.match(refused.err[0], /pyrpc\.client\.json: "calls" must be "positional" or "named" \(got "by-name"\)/);
  for (const root of [flagged, configured]) assert.equal(fs.existsSync(path.join(root, "pyrpc")), false);
});

test("pyrpc.client.json keeps calls when it is written again, and leaves it out when unset", () => {
  const root = project();
  writeConfig(root, { url, distribution: "workspace", calls: "named" });
  assert.deepEqual(readConfig(root), { url, distribution: "workspace", calls: "named" });
  writeConfig(root, { url, distribution: "workspace" });
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(root, "pyrpc.client.json"), "utf8")), { url, distribution: "workspace" });
});
