// The built package: ESM and CommonJS give the same API; the runtime entry needs nothing from node.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";

const require = createRequire(import.meta.url);

test("ESM and CommonJS builds export the same names", async () => {
  const esm = await import("../dist/esm/index.js");
  const cjs = require("../dist/cjs/index.js");
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
  for (const name of ["createClient", "RpcError", "TransportError", "RpcTransportError", "ErrorCodes"]) {
    assert.ok(name in esm, name);
  }
  const emitter = require("../dist/cjs/emitter/index.js");
  assert.equal(typeof emitter.generate, "function");
});

test("the browser-safe entry points import no node: modules", () => {
  const runtime = ["index", "client", "errors"].map((n) => `dist/esm/${n}.js`);
  const emitter = fs.readdirSync(new URL("../dist/esm/emitter/", import.meta.url)).filter((f) => f.endsWith(".js")).map((f) => `dist/esm/emitter/${f}`);
  for (const file of [...runtime, ...emitter]) {
    const text = fs.readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
    assert.doesNotMatch(text, /from "node:|require\("node:|process\./, file);
  }
});

test("no runtime dependencies", () => {
  const manifest = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  assert.equal(manifest.dependencies, undefined);
  assert.equal(manifest.bin.pyrpc, "./bin/pyrpc.cjs");
});
