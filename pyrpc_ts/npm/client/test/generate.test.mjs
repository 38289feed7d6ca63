// `npx pyrpc generate`: the types from the committed snapshot, offline; and the layout both
// commands write: the package.json dependency (edited as text) and the node_modules link.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../dist/esm/cli.js";
import { generateFromText } from "../dist/esm/emitter/index.js";
import { ProjectError, dependencyEdit, detectPackageManager } from "../dist/esm/project.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, "../../../../tests/corpus");
const zooSchema = fs.readFileSync(path.join(corpus, "zoo/schema.json"), "utf8");
const numbersSchema = fs.readFileSync(path.join(corpus, "numbers/schema.json"), "utf8");
const PLAIN = '{"name": "app", "private": true}\n';

const scratch = fs.realpathSync(fs.mkdtempSync(path.join(tmpdir(), "pyrpc-generate-")));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A client project with a package.json and, unless `schema` is null, a snapshot. */
function project({ manifest = PLAIN, schema = zooSchema } = {}) {
  const root = fs.mkdtempSync(path.join(scratch, "app-"));
  if (manifest !== null) fs.writeFileSync(path.join(root, "package.json"), manifest);
  if (schema !== null) {
    fs.mkdirSync(path.join(root, "pyrpc"));
    fs.writeFileSync(path.join(root, "pyrpc/schema.json"), schema);
  }
  return root;
}

const noFetch = () => {
  throw new Error("generate must not fetch");
};

async function generate(root, extra = []) {
  const out = [];
  const err = [];
  const code = await main(["generate", ...extra], { out: (l) => out.push(l), err: (l) => err.push(l), cwd: root, fetch: noFetch });
  return { code, out, err };
}

const types = (root) => path.join(root, "pyrpc/types");
const link = (root) => path.join(root, "node_modules/@pyrpc/types");
const manifestOf = (root) => fs.readFileSync(path.join(root, "package.json"), "utf8");
const tree = (root) =>
  fs
    .readdirSync(root, { recursive: true })
    .map(String)
    .sort();

describe("pyrpc generate", () => {
  test("offline: the types from pyrpc/schema.json, byte-identical to the emitter; the snapshot untouched", async () => {
    const root = project();
    const snapshotBefore = fs.statSync(path.join(root, "pyrpc/schema.json")).mtimeMs;
    const result = await generate(root);
    assert.equal(result.code, 0, result.err.join("\n"));
    assert.deepEqual(result.out, [
      `pyrpc: 25 procedures from ${path.join(root, "pyrpc/schema.json")} -> ${types(root)} (3 files updated)`,
      `pyrpc: added "@pyrpc/types": "file:pyrpc/types" to the dependencies in ${path.join(root, "package.json")}; run 'npm install' once so package-lock.json records it ('npm ci' refuses a lock file out of step)`,
    ]);
    for (const [name, text] of Object.entries(generateFromText(zooSchema))) {
      assert.ok(fs.readFileSync(path.join(types(root), name)).equals(fs.readFileSync(path.join(corpus, "zoo/expected", name))), name);
      assert.equal(fs.readFileSync(path.join(link(root), name), "utf8"), text);
    }
    assert.equal(fs.readFileSync(path.join(root, "pyrpc/schema.json"), "utf8"), zooSchema);
    assert.equal(fs.statSync(path.join(root, "pyrpc/schema.json")).mtimeMs, snapshotBefore);
    assert.equal(fs.readlinkSync(link(root)), "../../pyrpc/types");

    const again = await generate(root);
    assert.deepEqual(again.out, [`pyrpc: 25 procedures from ${path.join(root, "pyrpc/schema.json")} -> ${types(root)} (already up to date)`]);
  });

  test("a changed snapshot shows through the link at once", async () => {
    const root = project();
    assert.equal((await generate(root)).code, 0);
    fs.writeFileSync(path.join(root, "pyrpc/schema.json"), numbersSchema);
    const result = await generate(root);
    assert.equal(result.code, 0);
    assert.match(result.out[0], /^pyrpc: 1 procedure from .* \(\d files updated\)$/);
    assert.ok(fs.readFileSync(path.join(link(root), "index.d.ts")).equals(fs.readFileSync(path.join(corpus, "numbers/expected/index.d.ts"))));
  });

  test("--root names the project", async () => {
    const root = project();
    const out = [];
    const code = await main(["generate", "--root", root], { out: (l) => out.push(l), err: (l) => out.push(l), cwd: tmpdir() });
    assert.equal(code, 0, out.join("\n"));
    assert.ok(fs.existsSync(path.join(types(root), "index.d.ts")));
  });

  test("no snapshot: exit 1 with the way to get one, nothing written", async () => {
    const root = project({ schema: null });
    const result = await generate(root);
    assert.equal(result.code, 1);
    assert.deepEqual(result.err, [
      `pyrpc: no schema snapshot at ${path.join(root, "pyrpc/schema.json")}; run 'npx pyrpc sync' to fetch one from the server (server mode), or 'pyrpc dev' in the Python project (workspace mode)`,
    ]);
    assert.deepEqual(tree(root), ["package.json"]);
    assert.equal(manifestOf(root), PLAIN);
  });

  test("a corrupt snapshot: one line naming the file and the problem; earlier types untouched", async () => {
    const root = project();
    assert.equal((await generate(root)).code, 0);
    const files = ["index.d.ts", "index.js", "package.json"].map((n) => path.join(types(root), n));
    const bytes = files.map((f) => fs.readFileSync(f));
    const times = files.map((f) => fs.statSync(f).mtimeMs);
    const file = path.join(root, "pyrpc/schema.json");
    const cases = [
      ['{\n  "version": 1,\n  "procedures": {,\n}\n', /is not valid JSON \(expected a key at line 3, column 18\)/],
      ['{"version": 1, "procedures": {}', /is not valid JSON \(expected ',' or '}' at line 1, column 32\)/],
      ["", /is not valid JSON \(unexpected token at line 1, column 1\)/],
      ['{"hello": "world"}', /is not a pyRPC schema \(no integer "version"\)/],
      ['{"version": 1}', /is not a pyRPC schema \(no "procedures" object\)/],
      ['{"version": "1", "procedures": {}}', /is not a pyRPC schema \(no integer "version"\)/],
      ["[1, 2]", /is not a pyRPC schema \(not an object/],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /is not UTF-8 text/],
    ];
    for (const [content, message] of cases) {
      fs.writeFileSync(file, content);
      const result = await generate(root);
      assert.equal(result.code, 1, String(content));
      assert.equal(result.err.length, 1, result.err.join("\n"));
      assert.ok(result.err[0].startsWith(`pyrpc: the schema snapshot ${file} `), result.err[0]);
      assert.match(result.err[0], message);
      assert.doesNotMatch(result.err[0], /\n|    at /);
      assert.deepEqual(files.map((f) => fs.readFileSync(f)), bytes);
      assert.deepEqual(files.map((f) => fs.statSync(f).mtimeMs), times);
    }
    fs.rmSync(file);
    fs.mkdirSync(file);
    const unreadable = await generate(root);
    assert.equal(unreadable.code, 1);
    assert.match(unreadable.err[0], /^pyrpc: cannot read the schema snapshot .*schema\.json: EISDIR/);
  });
});

describe("package.json: the dependency", () => {
  test("added once, as text: indentation, key order and the trailing newline kept", async () => {
    const cases = [
      [
        '{\n    "name": "app",\n    "version": "1.0.0",\n    "scripts": {\n        "build": "tsc"\n    }\n}\n',
        '{\n    "name": "app",\n    "version": "1.0.0",\n    "scripts": {\n        "build": "tsc"\n    },\n    "dependencies": {\n        "@pyrpc/types": "file:pyrpc/types"\n    }\n}\n',
      ],
      [
        '{\n\t"name": "app",\n\t"dependencies": {\n\t\t"@pyrpc/client": "^2.0.0",\n\t\t"zod": "^3.0.0"\n\t}\n}',
        '{\n\t"name": "app",\n\t"dependencies": {\n\t\t"@pyrpc/client": "^2.0.0",\n\t\t"@pyrpc/types": "file:pyrpc/types",\n\t\t"zod": "^3.0.0"\n\t}\n}',
      ],
      [
        '{\r\n  "name": "app",\r\n  "dependencies": {}\r\n}\r\n',
        '{\r\n  "name": "app",\r\n  "dependencies": {\r\n    "@pyrpc/types": "file:pyrpc/types"\r\n  }\r\n}\r\n',
      ],
      [
        '{\n  "dependencies": {\n    "zod": "1",\n    "abc": "2"\n  },\n  "name": "app"\n}\n',
        '{\n  "dependencies": {\n    "zod": "1",\n    "abc": "2",\n    "@pyrpc/types": "file:pyrpc/types"\n  },\n  "name": "app"\n}\n',
      ],
      ['{"name":"app","2":"x","1":"y"}', '{"name":"app","2":"x","1":"y","dependencies":{"@pyrpc/types":"file:pyrpc/types"}}'],
      ["{}\n", '{\n  "dependencies": {\n    "@pyrpc/types": "file:pyrpc/types"\n  }\n}\n'],
      ['\uFEFF{\n  "name": "app"\n}\n', '\uFEFF{\n  "name": "app",\n  "dependencies": {\n    "@pyrpc/types": "file:pyrpc/types"\n  }\n}\n'],
      ['{\n  "name": "app",\n  "dependencies": null\n}\n', '{\n  "name": "app",\n  "dependencies": {\n    "@pyrpc/types": "file:pyrpc/types"\n  }\n}\n'],
      [
        '{\n  "name": "a\\"}{",\n  "x": [1, {"y": "]"}, []],\n  "dependencies": {"a": "1"}\n}\n',
        '{\n  "name": "a\\"}{",\n  "x": [1, {"y": "]"}, []],\n  "dependencies": {"@pyrpc/types": "file:pyrpc/types", "a": "1"}\n}\n',
      ],
    ];
    for (const [before, after] of cases) {
      const root = project({ manifest: before });
      const first = await generate(root);
      assert.equal(first.code, 0, first.err.join("\n"));
      assert.equal(manifestOf(root), after, JSON.stringify(before));
      assert.match(first.out[1], /^pyrpc: added "@pyrpc\/types": "file:pyrpc\/types" to the dependencies in /);
      const second = await generate(root);
      assert.equal(manifestOf(root), after);
      assert.equal(second.out.length, 1, second.out.join("\n"));
    }
  });

  test("an entry that points at pyrpc/types already is left alone, in either section", async () => {
    for (const manifest of [
      '{"devDependencies": {"@pyrpc/types": "file:pyrpc/types"}}',
      '{"dependencies": {"@pyrpc/types": "link:pyrpc/types"}}',
      '{"dependencies": {"@pyrpc/types": "file:./pyrpc/types/"}}',
    ]) {
      const root = project({ manifest });
      const result = await generate(root);
      assert.equal(result.code, 0);
      assert.equal(result.out.length, 1, result.out.join("\n"));
      assert.equal(manifestOf(root), manifest);
    }
  });

  test("an entry that points elsewhere is replaced where it stands, and said so", async () => {
    const root = project({ manifest: '{\n  "devDependencies": {\n    "@pyrpc/types": "^0.1.0",\n    "vite": "8"\n  }\n}\n' });
    const result = await generate(root);
    assert.equal(result.code, 0);
    assert.equal(manifestOf(root), '{\n  "devDependencies": {\n    "@pyrpc/types": "file:pyrpc/types",\n    "vite": "8"\n  }\n}\n');
    assert.equal(
      result.out[1],
      `pyrpc: replaced "@pyrpc/types": "^0.1.0" with "file:pyrpc/types" in the devDependencies of ${path.join(root, "package.json")}; run 'npm install' once so package-lock.json records it ('npm ci' refuses a lock file out of step)`,
    );
  });

  test("pnpm and yarn projects get link:pyrpc/types", async () => {
    const cases = [
      [{ "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" }, PLAIN, "pnpm", /run 'pnpm install' once so pnpm-lock\.yaml records it/],
      [{ "yarn.lock": "" }, PLAIN, "yarn", /run 'yarn' once so yarn\.lock records it/],
      [{}, '{"packageManager": "pnpm@10.34.9"}', "pnpm", /pnpm install/],
      [{}, '{"packageManager": "yarn@1.22.22+sha512.abc"}', "yarn", /run 'yarn' once/],
      [{}, '{"packageManager": "npm@11.0.0"}', "npm", /run 'npm install' once/],
    ];
    for (const [files, manifest, manager, message] of cases) {
      const root = project({ manifest });
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, name), text);
      assert.equal(detectPackageManager(root, JSON.parse(manifest)), manager);
      const result = await generate(root);
      assert.equal(result.code, 0, result.err.join("\n"));
      const spec = manager === "npm" ? "file:pyrpc/types" : "link:pyrpc/types";
      assert.equal(JSON.parse(manifestOf(root)).dependencies["@pyrpc/types"], spec);
      assert.match(result.out[1], message);
    }
  });

  test("an unparsable package.json is an error naming the file; nothing is written", async () => {
    for (const [manifest, message] of [
      ['{\n  "name": "app",\n}\n', /package\.json is not valid JSON \(expected a key at line 3, column 1\); nothing was written$/],
      ["[]", /package\.json does not hold a JSON object/],
      ['{"dependencies": ["x"]}', /package\.json: "dependencies" is not an object/],
    ]) {
      const root = project({ manifest });
      const result = await generate(root);
      assert.equal(result.code, 1);
      assert.equal(result.err.length, 1);
      assert.ok(result.err[0].includes(path.join(root, "package.json")), result.err[0]);
      assert.match(result.err[0], message);
      assert.deepEqual(tree(root), ["package.json", "pyrpc", "pyrpc/schema.json"]);
      assert.equal(manifestOf(root), manifest);
    }
  });

  test("no package.json at the root: an error, nothing written", async () => {
    const root = project({ manifest: null });
    const result = await generate(root, ["--root", root]);
    assert.equal(result.code, 1);
    assert.match(result.err[0], /^pyrpc: no package\.json in .*: run this in the client project \(or pass --root\)/);
    assert.deepEqual(tree(root), ["pyrpc", "pyrpc/schema.json"]);
  });

  test("dependencyEdit as a function", () => {
    assert.equal(dependencyEdit('{"dependencies": {"@pyrpc/types": "link:pyrpc/types"}}', "p", "/x", "file:pyrpc/types"), undefined);
    const edit = dependencyEdit('{"a": 1}', "p", "/x", "link:pyrpc/types");
    assert.deepEqual(edit, {
      text: '{"a": 1, "dependencies": {"@pyrpc/types": "link:pyrpc/types"}}',
      change: { action: "added", section: "dependencies", spec: "link:pyrpc/types" },
    });
    assert.throws(() => dependencyEdit("{", "/x/package.json", "/x", "file:pyrpc/types"), ProjectError);
  });
});

describe("node_modules/@pyrpc/types: the link", () => {
  test("created when missing (node_modules/@pyrpc made as needed), relative, and kept", async () => {
    const root = project();
    assert.equal((await generate(root)).code, 0);
    assert.ok(fs.lstatSync(link(root)).isSymbolicLink());
    assert.equal(fs.readlinkSync(link(root)), "../../pyrpc/types");
    assert.deepEqual(fs.readdirSync(path.join(root, "node_modules/@pyrpc")), ["types"]);
    const before = fs.lstatSync(link(root)).mtimeMs;
    assert.equal((await generate(root)).code, 0);
    assert.equal(fs.lstatSync(link(root)).mtimeMs, before);
  });

  test("an absolute link to pyrpc/types is fine too", async () => {
    const root = project();
    fs.mkdirSync(path.join(root, "node_modules/@pyrpc"), { recursive: true });
    fs.symlinkSync(path.join(root, "pyrpc/types"), link(root));
    const result = await generate(root);
    assert.equal(result.code, 0, result.err.join("\n"));
    assert.equal(fs.readlinkSync(link(root)), path.join(root, "pyrpc/types"));
  });

  test("the old layout (a real folder holding @pyrpc/types) is replaced by the link, and said so", async () => {
    const root = project();
    fs.mkdirSync(link(root), { recursive: true });
    fs.writeFileSync(path.join(link(root), "package.json"), '{"name": "@pyrpc/types", "version": "0.0.0"}\n');
    fs.writeFileSync(path.join(link(root), "index.d.ts"), "// old\n");
    const result = await generate(root);
    assert.equal(result.code, 0, result.err.join("\n"));
    assert.equal(result.out.at(-1), "pyrpc: replaced the old copy in node_modules/@pyrpc/types with a link to pyrpc/types");
    assert.equal(fs.readlinkSync(link(root)), "../../pyrpc/types");
    assert.deepEqual(fs.readdirSync(path.join(root, "node_modules/@pyrpc")), ["types"]);
    assert.ok(fs.readFileSync(path.join(link(root), "index.d.ts")).equals(fs.readFileSync(path.join(corpus, "zoo/expected/index.d.ts"))));
  });

  test("pnpm's link to its own copy (a file: folder, in node_modules/.pnpm) is replaced; link: is advised", async () => {
    const root = project({ manifest: '{"dependencies": {"@pyrpc/types": "file:pyrpc/types"}}' });
    fs.writeFileSync(path.join(root, "pnpm-lock.yaml"), "lockfileVersion: '9.0'\n");
    const copy = path.join(root, "node_modules/.pnpm/@pyrpc+types@file+pyrpc+types/node_modules/@pyrpc/types");
    fs.mkdirSync(copy, { recursive: true });
    fs.writeFileSync(path.join(copy, "package.json"), '{"name": "@pyrpc/types"}');
    fs.mkdirSync(path.join(root, "node_modules/@pyrpc"));
    fs.symlinkSync("../.pnpm/@pyrpc+types@file+pyrpc+types/node_modules/@pyrpc/types", link(root));
    const result = await generate(root);
    assert.equal(result.code, 0, result.err.join("\n"));
    assert.deepEqual(result.out.slice(1), [
      'pyrpc: pnpm installs "@pyrpc/types": "file:pyrpc/types" as a copy; "link:pyrpc/types" in package.json links the folder, so a regenerate shows at once',
      "pyrpc: replaced the old copy in node_modules/@pyrpc/types with a link to pyrpc/types",
    ]);
    assert.equal(fs.readlinkSync(link(root)), "../../pyrpc/types");
    assert.ok(fs.existsSync(path.join(copy, "package.json")), "pnpm's own copy is left to pnpm");
    assert.equal(manifestOf(root), '{"dependencies": {"@pyrpc/types": "file:pyrpc/types"}}');
  });

  test("a link elsewhere, or a folder of something else, is refused before anything is written", async () => {
    const elsewhere = fs.mkdtempSync(path.join(scratch, "pyrpc-elsewhere-"));
    const cases = [
      [(root) => fs.symlinkSync(elsewhere, link(root)), /node_modules\/@pyrpc\/types \(.*\) is a symlink to .*pyrpc-elsewhere-.*, not to pyrpc\/types; refusing to replace it/],
      [(root) => fs.symlinkSync("../../nowhere", link(root)), /is a symlink to \.\.\/\.\.\/nowhere, not to pyrpc\/types/],
      [
        (root) => {
          fs.mkdirSync(link(root));
          fs.writeFileSync(path.join(link(root), "package.json"), '{"name": "something-else"}');
        },
        /is a folder that is not a generated @pyrpc\/types package; refusing to replace it/,
      ],
      [
        (root) => {
          fs.mkdirSync(link(root));
          fs.writeFileSync(path.join(link(root), "notes.txt"), "mine");
        },
        /is a folder that is not a generated @pyrpc\/types package/,
      ],
      [(root) => fs.writeFileSync(link(root), "a file"), /exists and is not a folder nor a link/],
    ];
    for (const [arrange, message] of cases) {
      const root = project();
      fs.mkdirSync(path.join(root, "node_modules/@pyrpc"), { recursive: true });
      arrange(root);
      const before = tree(root);
      const result = await generate(root);
      assert.equal(result.code, 1);
      assert.equal(result.err.length, 1);
      assert.match(result.err[0], message);
      assert.match(result.err[0], /nothing was written$/);
      assert.deepEqual(tree(root), before);
      assert.equal(manifestOf(root), PLAIN);
    }
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  });
});
