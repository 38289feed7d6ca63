// The postinstall step never blocks and never fails an install; when it may ask, it saves the answer.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { readConfig, writeConfig } from "../dist/esm/config.js";
import { ask, decide, nextSteps } from "../dist/esm/postinstall.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const scratch = fs.mkdtempSync(path.join(tmpdir(), "pyrpc-postinstall-"));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A client project with @pyrpc/client copied into its node_modules, as an install leaves it. */
function installedProject() {
  const root = fs.mkdtempSync(path.join(scratch, "app-"));
  fs.writeFileSync(path.join(root, "package.json"), '{"name": "app", "private": true}\n');
  const installed = path.join(root, "node_modules", "@pyrpc", "client");
  fs.mkdirSync(installed, { recursive: true });
  for (const item of ["package.json", "postinstall.cjs", "dist"]) {
    fs.cpSync(path.join(packageDir, item), path.join(installed, item), { recursive: true });
  }
  return { root, installed };
}

function runPostinstall(installed, env, options = {}) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [path.join(installed, "postinstall.cjs")], {
    cwd: installed,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 20_000,
    encoding: "utf8",
    ...options,
  });
  return { ...result, elapsed: Date.now() - started };
}

describe("never blocks, never fails", () => {
  test("in CI it returns at once with exit 0 and writes nothing", () => {
    const { root, installed } = installedProject();
    const result = runPostinstall(installed, { CI: "true", INIT_CWD: root });
    assert.equal(result.status, 0);
    assert.ok(result.elapsed < 10_000);
    assert.ok(!fs.existsSync(path.join(root, "pyrpc.client.json")));
  });

  test("without a terminal (a new session, stdin closed) it returns at once with exit 0", () => {
    const { root, installed } = installedProject();
    // detached: the child gets a session of its own and so no controlling terminal: /dev/tty fails.
    const result = runPostinstall(installed, { INIT_CWD: root }, { detached: true });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.signal, null);
    assert.ok(!fs.existsSync(path.join(root, "pyrpc.client.json")));
  });

  test("without a build (a broken package) it still exits 0", () => {
    const { root, installed } = installedProject();
    fs.rmSync(path.join(installed, "dist"), { recursive: true });
    const result = runPostinstall(installed, { INIT_CWD: root }, { detached: true });
    assert.equal(result.status, 0);
    assert.equal(result.stderr, "");
  });
});

describe("decide", () => {
  const { root, installed } = installedProject();
  test("asks only for a first install as a dependency, outside CI", () => {
    assert.deepEqual(decide({ INIT_CWD: root }, installed), { root });
    assert.deepEqual(decide({ INIT_CWD: root, CI: "1" }, installed), { skip: "CI" });
    assert.deepEqual(decide({ INIT_CWD: root, GITHUB_ACTIONS: "true" }, installed), { skip: "CI" });
    assert.deepEqual(decide({ INIT_CWD: root, CI: "false" }, installed), { root });
    assert.deepEqual(decide({ INIT_CWD: root, PYRPC_NO_PROMPT: "1" }, installed), { skip: "PYRPC_NO_PROMPT" });
    assert.deepEqual(decide({ INIT_CWD: root }, packageDir), { skip: "not installed as a dependency" });
    assert.deepEqual(decide({}, installed), { skip: "no client project" });
    fs.writeFileSync(path.join(root, "pyrpc.client.json"), "{}");
    assert.deepEqual(decide({ INIT_CWD: root }, installed), { skip: "pyrpc.client.json exists" });
  });
});

function answering(lines) {
  const input = new PassThrough();
  const output = new PassThrough();
  let written = "";
  output.on("data", (d) => (written += d));
  for (const line of lines) input.write(line + "\n");
  return { input, output, written: () => written };
}

describe("ask and save", () => {
  test("Enter twice keeps the defaults", async () => {
    const io = answering(["", ""]);
    assert.deepEqual(await ask(io.input, io.output, 5000), { url: "http://127.0.0.1:8000/rpc", distribution: "server" });
    assert.match(io.written(), /Server URL \[http:\/\/127\.0\.0\.1:8000\/rpc\]/);
  });

  test("wrong answers are asked again; a bare origin gets /rpc", async () => {
    const io = answering(["nonsense", "https://api.example.com", "remote", "WORKSPACE"]);
    assert.deepEqual(await ask(io.input, io.output, 5000), { url: "https://api.example.com/rpc", distribution: "workspace" });
    assert.match(io.written(), /not a URL/);
    assert.match(io.written(), /Please answer "workspace" or "server"/);
  });

  test("no answer in time, or the input ending, saves nothing", async () => {
    const silent = answering([]);
    const started = Date.now();
    assert.equal(await ask(silent.input, silent.output, 50), undefined);
    assert.ok(Date.now() - started < 2000);
    const ended = answering(["http://x.test/rpc"]);
    ended.input.end();
    assert.equal(await ask(ended.input, ended.output, 5000), undefined);
  });

  test("the answer is saved in pyrpc.client.json, and read back by sync", () => {
    const root = fs.mkdtempSync(path.join(scratch, "config-"));
    const file = writeConfig(root, { url: "http://10.0.0.5:9000", distribution: "workspace" });
    assert.equal(file, path.join(root, "pyrpc.client.json"));
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), { url: "http://10.0.0.5:9000/rpc", distribution: "workspace" });
    assert.deepEqual(readConfig(root), { url: "http://10.0.0.5:9000/rpc", distribution: "workspace" });
    fs.writeFileSync(file, '{"url": "http://x/rpc", "distribution": "cloud"}');
    assert.throws(() => readConfig(root), /"distribution" must be "workspace" or "server"/);
  });
});

describe("the closing hint", () => {
  test("names the snapshot to commit and the offline generate; workspace mode names pyrpc dev", () => {
    for (const mode of ["server", "workspace"]) {
      const text = nextSteps(mode);
      assert.match(text, /pyrpc\/schema\.json \(commit it\)/);
      assert.match(text, /npx pyrpc generate rebuilds the types from that snapshot, with no server/);
      assert.equal(/pyrpc dev/.test(text), mode === "workspace");
      assert.ok(text.endsWith("\n"));
    }
  });
});
