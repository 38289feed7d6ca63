// `npx pyrpc sync`: against a small HTTP server in this process, and through the real bin.
// The layout it writes: pyrpc/schema.json, pyrpc/types/, the package.json dependency and
// the node_modules/@pyrpc/types link (generate.test.mjs goes through its cases).
import assert from "node:assert/strict";
import { spawnSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main, VERSION } from "../dist/esm/cli.js";
import { generateFromText, parse } from "../dist/esm/emitter/index.js";
import { snapshotText } from "../dist/esm/project.js";
import { writeFiles, UnsafeWriteError } from "../dist/esm/files.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, "..");
const corpus = path.resolve(packageDir, "../../../tests/corpus");
const zooSchema = fs.readFileSync(path.join(corpus, "zoo/schema.json"), "utf8");

let server;
let base;
const routes = {
  "/rpc": (res) => res.writeHead(200, { "content-type": "application/json" }).end(zooSchema),
  "/api/rpc": (res) => res.writeHead(200, { "content-type": "application/json" }).end(fs.readFileSync(path.join(corpus, "numbers/schema.json"))),
  "/html": (res) => res.writeHead(200, { "content-type": "text/html" }).end("<html></html>"),
  "/other-json": (res) => res.writeHead(200).end('{"hello": "world"}'),
  "/missing": (res) => res.writeHead(404).end("not found"),
};

before(async () => {
  server = createServer((req, res) => {
    const route = routes[req.url];
    if (req.method !== "GET" || !route) return res.writeHead(405).end();
    route(res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

const scratch = fs.mkdtempSync(path.join(tmpdir(), "pyrpc-sync-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function project(manifest = '{"name": "app", "private": true}\n') {
  const root = fs.mkdtempSync(path.join(scratch, "app-"));
  fs.writeFileSync(path.join(root, "package.json"), manifest);
  return root;
}

async function run(argv, cwd) {
  const out = [];
  const err = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), cwd });
  return { code, out, err };
}

const typesDir = (root) => path.join(root, "pyrpc/types");
const snapshot = (root) => path.join(root, "pyrpc/schema.json");
const link = (root) => path.join(root, "node_modules/@pyrpc/types");
const mtimes = (files) => files.map((f) => fs.statSync(f).mtimeMs);

describe("pyrpc sync", () => {
  test("writes the snapshot, the three files, the dependency and the link; then leaves them alone", async () => {
    const root = project();
    const result = await run(["sync", "--url", `${base}/rpc`], root);
    assert.equal(result.code, 0, result.err.join("\n"));
    const real = fs.realpathSync(root);
    assert.equal(
      result.out[0],
      `pyrpc: 25 procedures from ${base}/rpc -> ${path.join(real, "pyrpc/types")} (3 files updated; schema snapshot pyrpc/schema.json updated)`,
    );
    assert.equal(
      result.out[1],
      `pyrpc: added "@pyrpc/types": "file:pyrpc/types" to the dependencies in ${path.join(real, "package.json")}; run 'npm install' once so package-lock.json records it ('npm ci' refuses a lock file out of step)`,
    );
    assert.equal(result.out.length, 2);
    // The snapshot: the document as Python's json.dumps(indent=2, ensure_ascii=False) writes it.
    assert.equal(fs.readFileSync(snapshot(root), "utf8"), snapshotText(parse(zooSchema)));
    const expected = generateFromText(zooSchema);
    for (const [name, text] of Object.entries(expected)) {
      assert.equal(fs.readFileSync(path.join(typesDir(root), name), "utf8"), text);
      assert.ok(fs.readFileSync(path.join(typesDir(root), name)).equals(fs.readFileSync(path.join(corpus, "zoo/expected", name))));
    }
    assert.deepEqual(fs.readdirSync(typesDir(root)).sort(), ["index.d.ts", "index.js", "package.json"]);
    assert.equal(fs.readFileSync(path.join(root, "package.json"), "utf8"), '{"name": "app", "private": true, "dependencies": {"@pyrpc/types": "file:pyrpc/types"}}\n');
    assert.equal(fs.readlinkSync(link(root)), "../../pyrpc/types");
    assert.equal(fs.readFileSync(path.join(link(root), "index.d.ts"), "utf8"), expected["index.d.ts"]);

    const files = [snapshot(root), path.join(typesDir(root), "index.d.ts"), path.join(root, "package.json")];
    const before = mtimes(files);
    await new Promise((r) => setTimeout(r, 20));
    const again = await run(["sync", "--url", `${base}/rpc`], root);
    assert.equal(again.code, 0);
    assert.deepEqual(again.out, [`pyrpc: 25 procedures from ${base}/rpc -> ${path.join(real, "pyrpc/types")} (already up to date)`]);
    assert.deepEqual(mtimes(files), before);
  });

  test("a new schema from the server: snapshot and types rewritten, visible through the link", async () => {
    const root = project();
    assert.equal((await run(["sync", "--url", `${base}/rpc`], root)).code, 0);
    const result = await run(["sync", "--url", `${base}/api/rpc`], root);
    assert.equal(result.code, 0, result.err.join("\n"));
    assert.match(result.out[0], /^pyrpc: 1 procedure from .* \(\d files updated; schema snapshot pyrpc\/schema\.json updated\)$/);
    assert.equal(result.out.length, 1);
    const expected = fs.readFileSync(path.join(corpus, "numbers/expected/index.d.ts"));
    assert.ok(fs.readFileSync(path.join(link(root), "index.d.ts")).equals(expected));
  });

  test("a bare origin means /rpc; the project is the nearest folder with a package.json", async () => {
    const root = project();
    const nested = path.join(root, "src", "deep");
    fs.mkdirSync(nested, { recursive: true });
    const result = await run(["sync", "--url", base], nested);
    assert.equal(result.code, 0, result.err.join("\n"));
    assert.ok(fs.existsSync(path.join(typesDir(root), "index.d.ts")));
    assert.ok(fs.existsSync(snapshot(root)));
    assert.deepEqual(fs.readdirSync(nested), []);
  });

  test("--root names the project (relative to the current folder)", async () => {
    const root = project();
    const result = await run(["sync", "--url", `${base}/rpc`, "--root", path.basename(root)], path.dirname(root));
    assert.equal(result.code, 0, result.err.join("\n"));
    assert.ok(fs.existsSync(path.join(typesDir(root), "index.d.ts")));
  });

  test("the URL comes from pyrpc.client.json when --url is not given", async () => {
    const root = project();
    fs.writeFileSync(path.join(root, "pyrpc.client.json"), JSON.stringify({ url: `${base}/api/rpc`, distribution: "server" }));
    const result = await run(["sync"], root);
    assert.equal(result.code, 0, result.err.join("\n"));
    const expected = fs.readFileSync(path.join(corpus, "numbers/expected/index.d.ts"));
    assert.ok(fs.readFileSync(path.join(typesDir(root), "index.d.ts")).equals(expected));
  });

  test("failures: one clear line on stderr, exit 1, nothing written (no snapshot, no types, package.json as it was)", async () => {
    const closed = createServer();
    await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    const cases = [
      [`http://127.0.0.1:${deadPort}/rpc`, /cannot reach the pyRPC server at .*ECONNREFUSED/],
      [`${base}/html`, /did not return JSON/],
      [`${base}/other-json`, /not a pyRPC schema/],
      [`${base}/missing`, /answered HTTP 404/],
      ["ftp://example.com/rpc", /not an http\(s\) URL/],
      ["not a url", /not a URL/],
    ];
    for (const [url, message] of cases) {
      const root = project();
      const result = await run(["sync", "--url", url], root);
      assert.equal(result.code, 1, url);
      assert.equal(result.err.length, 1, result.err.join("\n"));
      assert.match(result.err[0], /^pyrpc: /);
      assert.match(result.err[0], message);
      assert.deepEqual(fs.readdirSync(root), ["package.json"], url);
      assert.equal(fs.readFileSync(path.join(root, "package.json"), "utf8"), '{"name": "app", "private": true}\n');
    }
  });

  test("a failed sync leaves the earlier snapshot and types alone", async () => {
    const root = project();
    assert.equal((await run(["sync", "--url", `${base}/rpc`], root)).code, 0);
    const files = [snapshot(root), ...["index.d.ts", "index.js", "package.json"].map((n) => path.join(typesDir(root), n))];
    const before = files.map((f) => fs.readFileSync(f));
    for (const url of [`${base}/missing`, `${base}/other-json`]) {
      assert.equal((await run(["sync", "--url", url], root)).code, 1);
      assert.deepEqual(files.map((f) => fs.readFileSync(f)), before);
    }
  });

  test("a broken pyrpc.client.json is reported", async () => {
    const root = project();
    fs.writeFileSync(path.join(root, "pyrpc.client.json"), "{ nope");
    const result = await run(["sync"], root);
    assert.equal(result.code, 1);
    assert.match(result.err[0], /pyrpc\.client\.json is not valid JSON/);
  });

  test("a symlink on the way is refused and nothing is written, through it or anywhere", async () => {
    const root = project();
    const elsewhere = fs.mkdtempSync(path.join(scratch, "elsewhere-"));
    fs.mkdirSync(path.join(root, "node_modules"));
    fs.symlinkSync(elsewhere, path.join(root, "node_modules", "@pyrpc"));
    const result = await run(["sync", "--url", `${base}/rpc`], root);
    assert.equal(result.code, 1);
    assert.match(result.err[0], /node_modules\/@pyrpc is a symlink; refusing to write through it/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
    assert.deepEqual(fs.readdirSync(root).sort(), ["node_modules", "package.json"]);

    const other = project();
    fs.symlinkSync(elsewhere, path.join(other, "pyrpc"));
    const second = await run(["sync", "--url", `${base}/rpc`], other);
    assert.equal(second.code, 1);
    assert.match(second.err[0], /pyrpc is a symlink; refusing to write through it/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  });

  test("usage: help lists both commands; version; unknown commands and options", async () => {
    const help = await run(["--help"], tmpdir());
    assert.equal(help.code, 0);
    assert.match(help.out[0], /pyrpc sync \[--url URL\] \[--root DIR\]/);
    assert.match(help.out[0], /pyrpc generate \[--root DIR\]/);
    assert.deepEqual((await run(["--version"], tmpdir())).out, [VERSION]);
    assert.equal(VERSION, "2.0.0");
    assert.equal(VERSION, JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")).version);
    assert.equal((await run([], tmpdir())).code, 2);
    const unknown = await run(["build"], tmpdir());
    assert.equal(unknown.code, 2);
    assert.match(unknown.err[0], /unknown command "build" \(the commands are "sync" and "generate"/);
    assert.equal((await run(["sync", "--frobnicate"], tmpdir())).code, 2);
    assert.equal((await run(["sync", "extra"], tmpdir())).code, 2);
    const url = await run(["generate", "--url", base], tmpdir());
    assert.equal(url.code, 2);
    assert.match(url.err[0], /generate takes no --url/);
  });

  test("the bin: node bin/pyrpc.cjs sync --url ...", async () => {
    const root = project();
    const child = spawn(process.execPath, [path.join(packageDir, "bin/pyrpc.cjs"), "sync", "--url", `${base}/rpc`], { cwd: root });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(code, 0);
    assert.match(stdout, /pyrpc: \d+ procedures?/);
    assert.ok(fs.existsSync(path.join(typesDir(root), "index.js")));
    const failed = spawnSync(process.execPath, [path.join(packageDir, "bin/pyrpc.cjs"), "sync", "--url", "http://127.0.0.1:1/rpc"], { cwd: root, encoding: "utf8" });
    assert.equal(failed.status, 1);
    assert.equal(failed.stderr.trim().split("\n").length, 1);
    const version = spawnSync(process.execPath, [path.join(packageDir, "bin/pyrpc.cjs"), "--version"], { encoding: "utf8" });
    assert.equal(version.stdout, "2.0.0\n");
  });
});

describe("writeFiles", () => {
  test("refuses escapes and non-files, before writing anything", () => {
    const root = fs.mkdtempSync(path.join(scratch, "write-"));
    for (const bad of ["../x", "a/../../x", "/abs", "a//b", "a\\b", "./a"]) {
      assert.throws(() => writeFiles(root, { "ok.txt": "1", [bad]: "x" }), UnsafeWriteError, bad);
    }
    fs.mkdirSync(path.join(root, "dir"));
    assert.throws(() => writeFiles(root, { "a.txt": "1", dir: "x" }), UnsafeWriteError);
    assert.deepEqual(fs.readdirSync(root), ["dir"]);
  });

  test("keeps the mode of a file it replaces and leaves no temporary files", () => {
    const root = fs.mkdtempSync(path.join(scratch, "write-"));
    fs.writeFileSync(path.join(root, "a.txt"), "old");
    fs.chmodSync(path.join(root, "a.txt"), 0o640);
    assert.deepEqual(writeFiles(root, { "a.txt": "new", "b/c.txt": "c" }).map((p) => path.relative(fs.realpathSync(root), p)), ["a.txt", "b/c.txt"]);
    assert.equal(fs.statSync(path.join(root, "a.txt")).mode & 0o777, 0o640);
    assert.equal(fs.statSync(path.join(root, "b/c.txt")).mode & 0o777, 0o644);
    assert.deepEqual(fs.readdirSync(root).sort(), ["a.txt", "b"]);
    assert.deepEqual(writeFiles(root, { "a.txt": "new" }), []);
  });
});
