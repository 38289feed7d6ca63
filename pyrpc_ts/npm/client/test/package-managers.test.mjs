// The layout against the real package managers: npm, pnpm and yarn (classic), the versions
// pinned in the repository's root package.json. For each: a fresh project, `pyrpc generate`
// from a snapshot, then tsc resolves "@pyrpc/types" at once (before any install); the
// package manager's install (offline: the only dependency is the local link), a second one
// and the frozen one (npm ci) each keep the types; a regenerate shows through the link.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../dist/esm/cli.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.resolve(here, "../../../..");
const corpus = path.join(repository, "tests/corpus");
const bin = (name) => path.join(repository, "node_modules/.bin", process.platform === "win32" ? `${name}.cmd` : name);
const TSC = path.join(repository, "node_modules/typescript/bin/tsc");

const scratch = fs.realpathSync(fs.mkdtempSync(path.join(tmpdir(), "pyrpc-pm-")));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The environment of a package manager run: no npm_* of the outer `npm test`, no CI, a home of its own. */
function environment() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm|pnpm|yarn)_/i.test(key) || ["INIT_CWD", "CI", "GITHUB_ACTIONS"].includes(key)) continue;
    env[key] = value;
  }
  const home = path.join(scratch, "home");
  fs.mkdirSync(home, { recursive: true });
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    XDG_DATA_HOME: path.join(home, ".local/share"),
    XDG_STATE_HOME: path.join(home, ".local/state"),
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    npm_config_cache: path.join(home, ".npm"),
  };
}

/** Runs a command (asynchronously: the three package managers go side by side). */
function run(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: environment(), shell: process.platform === "win32", stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function ok(command, args, cwd) {
  const completed = await run(command, args, cwd);
  assert.equal(completed.status, 0, `${path.basename(command)} ${args.join(" ")} exited ${completed.status}\n${completed.stdout}\n${completed.stderr}`);
  return completed;
}

/** tsc --noEmit (the root's TypeScript, as tests/npm runs it) on the project's check.ts. */
async function typeChecks(project) {
  const completed = await run(process.execPath, [path.join(repository, "node_modules/typescript/bin/tsc"), "-p", project, "--pretty", "false"], project);
  assert.equal(completed.status, 0, `tsc failed in ${project}\n${completed.stdout}${completed.stderr}`);
}

function version(name) {
  return JSON.parse(fs.readFileSync(path.join(repository, "node_modules", name, "package.json"), "utf8")).version;
}

/** A fresh client project: package.json, a strict tsconfig, a file using the types, the zoo snapshot. */
function newProject(name, extra = {}) {
  const root = path.join(scratch, name);
  fs.mkdirSync(path.join(root, "pyrpc"), { recursive: true });
  fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: `pm-${name}`, private: true, type: "module", ...extra }, null, 2) + "\n");
  fs.writeFileSync(
    path.join(root, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: "es2022", lib: ["es2022"], module: "nodenext", moduleResolution: "nodenext", types: [], skipLibCheck: false },
      files: ["check.ts"],
    }),
  );
  useProcedure(root, "add");
  fs.copyFileSync(path.join(corpus, "zoo/schema.json"), path.join(root, "pyrpc/schema.json"));
  return root;
}

/** check.ts: `name` must be a procedure; `gone`, when given, must not be one any more. */
function useProcedure(root, name, gone) {
  const stale = gone === undefined ? "" : `// @ts-expect-error: ${gone} is no procedure of the new schema\nexport const old: keyof Types = ${JSON.stringify(gone)};\n`;
  fs.writeFileSync(
    path.join(root, "check.ts"),
    `import type { Types } from "@pyrpc/types";\nimport { procedures } from "@pyrpc/types";\n\nexport const name: keyof Types = ${JSON.stringify(name)};\nexport const all: readonly string[] = procedures;\n${stale}`,
  );
}

async function generate(root) {
  const out = [];
  const code = await main(["generate", "--root", root], { out: (l) => out.push(l), err: (l) => out.push(l), cwd: root });
  assert.equal(code, 0, out.join("\n"));
  return out;
}

/** The types resolve through node_modules/@pyrpc/types, a link to pyrpc/types. */
function linked(root) {
  const link = path.join(root, "node_modules/@pyrpc/types");
  assert.ok(fs.lstatSync(link).isSymbolicLink(), `${link} is no link`);
  assert.equal(fs.realpathSync(link), path.join(root, "pyrpc/types"));
  assert.ok(fs.existsSync(path.join(link, "index.d.ts")));
}

const managers = {
  npm: {
    command: "npm",
    extra: {},
    spec: "file:pyrpc/types",
    lock: "package-lock.json",
    install: ["install", "--offline"],
    frozen: ["ci", "--offline"],
  },
  pnpm: {
    command: bin("pnpm"),
    extra: () => ({ packageManager: `pnpm@${version("pnpm")}` }),
    spec: "link:pyrpc/types",
    lock: "pnpm-lock.yaml",
    install: () => ["install", "--offline", "--no-frozen-lockfile", "--store-dir", path.join(scratch, "pnpm-store")],
    frozen: () => ["install", "--offline", "--frozen-lockfile", "--store-dir", path.join(scratch, "pnpm-store")],
  },
  yarn: {
    command: bin("yarn"),
    extra: () => ({ packageManager: `yarn@${version("yarn")}` }),
    spec: "link:pyrpc/types",
    lock: "yarn.lock",
    install: () => ["install", "--offline", "--non-interactive", "--cache-folder", path.join(scratch, "yarn-cache")],
    frozen: () => ["install", "--offline", "--non-interactive", "--frozen-lockfile", "--cache-folder", path.join(scratch, "yarn-cache")],
  },
};

const value = (x) => (typeof x === "function" ? x() : x);

function missing(name, manager) {
  if (!fs.existsSync(TSC)) return `the root's TypeScript is not installed (${TSC}); run npm ci at the repository root`;
  if (name === "npm") {
    const probe = spawnSync("npm", ["--version"], { encoding: "utf8", shell: process.platform === "win32" });
    return probe.status === 0 ? false : "npm is not on PATH";
  }
  return fs.existsSync(manager.command) ? false : `${name} is not installed at ${manager.command} (a pinned devDependency of the root package.json: run npm ci there)`;
}

describe("@pyrpc/types with each package manager", { concurrency: true }, () => {
  for (const [name, manager] of Object.entries(managers)) {
    test(`${name}: resolves at once, survives install, reinstall and the frozen install, shows a regenerate`, { skip: missing(name, manager) }, async () => {
      const root = newProject(name, value(manager.extra));

      // generate: the dependency declared, the link made; tsc resolves the types before any install.
      const out = await generate(root);
      assert.match(out[1], new RegExp(`added "@pyrpc/types": "${manager.spec}" to the dependencies`));
      assert.equal(JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).dependencies["@pyrpc/types"], manager.spec);
      linked(root);
      await typeChecks(root);

      // The install records it in the lock file and keeps the link; so do a second and the frozen one.
      await ok(manager.command, value(manager.install), root);
      assert.match(fs.readFileSync(path.join(root, manager.lock), "utf8"), /pyrpc\/types/);
      linked(root);
      await ok(manager.command, value(manager.install), root);
      linked(root);
      await ok(manager.command, value(manager.frozen), root);
      linked(root);
      await typeChecks(root);

      // A new snapshot: generate, and tsc sees the new API through the link at once.
      fs.copyFileSync(path.join(corpus, "numbers/schema.json"), path.join(root, "pyrpc/schema.json"));
      const again = await generate(root);
      assert.equal(again.length, 1, again.join("\n"));
      assert.ok(
        fs.readFileSync(path.join(root, "node_modules/@pyrpc/types/index.d.ts")).equals(fs.readFileSync(path.join(corpus, "numbers/expected/index.d.ts"))),
      );
      useProcedure(root, "measure", "add");
      await typeChecks(root);
    });
  }
});
