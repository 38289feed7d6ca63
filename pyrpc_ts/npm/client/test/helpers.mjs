import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The repository's root folder. */
export const repository = path.resolve(pkg, "../../..");
const TSC = path.join(repository, "node_modules/typescript/bin/tsc");

// A fake fetch for the client's tests: records every request and answers through a handler.
export function fakeFetch(handler) {
  const requests = [];
  const fetch = async (url, init) => {
    const body = JSON.parse(init.body);
    const request = { url, init, body, headers: init.headers };
    requests.push(request);
    const answer = await handler(body, request);
    if (answer instanceof Response) return answer;
    if (answer === undefined) return new Response(null, { status: 204 });
    return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch, requests };
}

/** A JSON-RPC server in a function: `procedures` by name, positional params. */
export function jsonRpc(procedures) {
  const one = (request) => {
    const procedure = procedures[request.method];
    if (request.id === undefined) {
      procedure?.(...(Array.isArray(request.params) ? request.params : [request.params]));
      return undefined;
    }
    if (!procedure) return { jsonrpc: "2.0", error: { code: -32601, message: "Method not found" }, id: request.id };
    try {
      const params = Array.isArray(request.params) ? request.params : [request.params];
      return { jsonrpc: "2.0", result: procedure(...params), id: request.id };
    } catch (error) {
      return { jsonrpc: "2.0", error: { code: error.code ?? -32603, message: error.message, data: error.data }, id: request.id };
    }
  };
  return (body) => {
    if (Array.isArray(body)) {
      const answers = body.map(one).filter((a) => a !== undefined);
      return answers.length ? answers : undefined;
    }
    return one(body);
  };
}

export const never = (_body, request) =>
  new Promise((_resolve, reject) => {
    request.init.signal.addEventListener("abort", () => reject(request.init.signal.reason));
  });

/**
 * Compile `source` (check.ts) with the pinned tsc, strict and without skipLibCheck, in a new project
 * `folder` whose node_modules hold the generated package `files` as @pyrpc/types and this package as
 * @pyrpc/client (`links`: more packages, by name, to link from the repository's folders).
 */
export function typecheck(folder, { files, source, links = {}, compilerOptions = {} }) {
  const types = path.join(folder, "node_modules/@pyrpc/types");
  fs.mkdirSync(types, { recursive: true });
  for (const [name, target] of Object.entries({ "@pyrpc/client": pkg, ...links })) {
    const link = path.join(folder, "node_modules", name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.resolve(repository, target), link, "dir");
  }
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(types, name), text);
  fs.writeFileSync(path.join(folder, "package.json"), JSON.stringify({ name: path.basename(folder), private: true, type: "module" }));
  const options = {
    strict: true,
    noEmit: true,
    target: "es2022",
    lib: ["es2022", "dom"],
    module: "nodenext",
    moduleResolution: "nodenext",
    types: [],
    skipLibCheck: false,
    ...compilerOptions,
  };
  fs.writeFileSync(path.join(folder, "tsconfig.json"), JSON.stringify({ compilerOptions: options, files: ["check.ts"] }));
  fs.writeFileSync(path.join(folder, "check.ts"), source);
  const completed = spawnSync(process.execPath, [TSC, "-p", folder, "--pretty", "false"], { cwd: folder, encoding: "utf8" });
  assert.equal(completed.status, 0, `tsc failed\n${completed.stdout}${completed.stderr}`);
}

/** The generated files of a corpus case (tests/corpus/<name>/expected), by file name. */
export function corpusPackage(name) {
  const expected = path.join(repository, "tests/corpus", name, "expected");
  return Object.fromEntries(fs.readdirSync(expected).map((file) => [file, fs.readFileSync(path.join(expected, file), "utf8")]));
}
