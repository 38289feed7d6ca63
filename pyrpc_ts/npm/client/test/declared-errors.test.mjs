// Declared errors (issue #16): client.$isError(e, method) narrows a caught error to the declared
// errors of that procedure, by meta.errors at run time and by Procedures in the types (checked
// with tsc on the corpus case tests/corpus/errors); isValidationError types -32602's data.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { RpcError, TransportError, createClient, isValidationError } from "../dist/esm/index.js";
import { generateFromText } from "../dist/esm/emitter/index.js";
import { fakeFetch, repository, typecheck } from "./helpers.mjs";

const scratch = fs.realpathSync(fs.mkdtempSync(path.join(tmpdir(), "pyrpc-declared-errors-")));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const meta = { errors: { "users.get": [4004, 4009], "users.rename": [-1], ["__proto__"]: [1] } };

/** A server that answers every call with the error `errors[method]`. */
function failing(errors) {
  return fakeFetch((body) => ({ jsonrpc: "2.0", error: errors[body.method], id: body.id }));
}

async function caught(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("the call did not fail");
}

test("$isError: an RpcError of a call of that procedure with one of its declared codes", async () => {
  const { fetch } = failing({
    "users.get": { code: 4004, message: "not found", data: { userId: 7, hint: "check the id" } },
    "users.rename": { code: 4004, message: "not found", data: { userId: 7 } },
    plain: { code: 4009, message: "conflict" },
  });
  const client = createClient({ url: "http://test/rpc", fetch, meta });
  const error = await caught(client.users.get(7));
  assert.ok(error instanceof RpcError);
  assert.equal(client.$isError(error, "users.get"), true);
  assert.deepEqual(error.data, { userId: 7, hint: "check the id" });
  // The same code from another procedure, which does not declare it: not that procedure's error.
  assert.equal(client.$isError(error, "users.rename"), false);
  const other = await caught(client.users.rename(7, "x"));
  assert.equal(client.$isError(other, "users.rename"), false); // 4004 is not among its codes
  assert.equal(client.$isError(other, "users.get"), false); // another procedure's call
  const plain = await caught(client.plain());
  assert.equal(client.$isError(plain, "plain"), false); // declares nothing
  // Anything else is not a declared error.
  for (const value of [undefined, null, 4004, { code: 4004, method: "users.get" }, new Error("x"), new TransportError("network", "x")]) {
    assert.equal(client.$isError(value, "users.get"), false);
  }
  // Prototype names are not procedures of meta.errors.
  assert.equal(client.$isError(new RpcError(1, "x", undefined, "__proto__"), "__proto__"), true);
  assert.equal(client.$isError(new RpcError(1, "x", undefined, "constructor"), "constructor"), false);
  assert.equal(client.$isError(new RpcError(1, "x", undefined, "toString"), "toString"), false);
});

test("$isError: a batch's errors, and a call by wire name", async () => {
  const { fetch } = fakeFetch((body) => {
    const one = (request) => ({ jsonrpc: "2.0", error: { code: 4009, message: "conflict" }, id: request.id });
    return Array.isArray(body) ? body.map(one) : one(body);
  });
  const client = createClient({ url: "http://test/rpc", fetch, meta, batch: { stream: false } });
  const [first, second] = await Promise.all([caught(client.users.get(1)), caught(client.$call("users.get", [2]))]);
  assert.equal(client.$isError(first, "users.get"), true);
  assert.equal(client.$isError(second, "users.get"), true);
  assert.equal(first.code, 4009);
});

test("$isError: false without meta (nothing says which codes are declared); $isError is never a procedure", async () => {
  const { fetch, requests } = failing({ "users.get": { code: 4004, message: "not found" } });
  const client = createClient({ url: "http://test/rpc", fetch });
  const error = await caught(client.users.get(1));
  assert.equal(client.$isError(error, "users.get"), false);
  assert.equal(requests.length, 1);
  assert.equal(typeof client.users.$isError, "undefined");
});

test("isValidationError: -32602 with its list of problems", async () => {
  const data = [{ type: "int_parsing", loc: ["id"], msg: "Input should be a valid integer", input: "x" }];
  const { fetch } = failing({ "users.get": { code: -32602, message: "Invalid params", data } });
  const client = createClient({ url: "http://test/rpc", fetch, meta });
  const error = await caught(client.users.get("x"));
  assert.equal(isValidationError(error), true);
  assert.deepEqual(error.data, data);
  assert.equal(client.$isError(error, "users.get"), false);
  assert.equal(isValidationError(new RpcError(-32602, "Invalid params", "not a list")), false);
  assert.equal(isValidationError(new RpcError(4004, "x", [])), false);
  assert.equal(isValidationError({ code: -32602, data: [] }), false);
});

const CHECK = `
import { createClient, isValidationError, RpcError, type DeclaredError, type ValidationErrorData } from "@pyrpc/client";
import { meta, type NotFoundData, type Procedures, type Types } from "@pyrpc/types";

const client = createClient<Types, Procedures>({ url: "/rpc", meta });
const loose = createClient<Types>({ url: "/rpc" });

export async function narrowed(): Promise<string> {
  try {
    await client.users.get(7);
  } catch (e) {
    if (client.$isError(e, "users.get")) {
      const code: 4004 | 4009 = e.code;
      const message: string = e.message;
      const method: "users.get" = e.method;
      if (e.code === 4004) {
        const data: NotFoundData = e.data;
        const id: number = e.data.userId;
        return \`\${id} \${data.hint}\`;
      }
      const conflict: unknown = e.data; // no data type declared
      // @ts-expect-error: 4009 declares no data type: unknown, not a NotFoundData
      const wrong: NotFoundData = e.data;
      // @ts-expect-error: after 4004 was handled, the code is 4009
      const gone: 4004 = e.code;
      void [code, message, method, conflict, wrong, gone];
      if (e instanceof RpcError) return e.message;
    }
    if (client.$isError(e, "users.rename")) {
      const code: -1 = e.code;
      if (e.data !== null) return e.data.why + e.data.retry_in;
      void code;
    }
    if (client.$isError(e, "jobs.watch") && e.code === 4004) return String(e.data.userId);
    if (isValidationError(e)) {
      const data: ValidationErrorData = e.data;
      const code: -32602 = e.code;
      for (const issue of e.data) {
        const where: string = issue.loc.join(".");
        const what: string = issue.msg + issue.type;
        const rule: unknown = issue.ctx?.["gt"];
        void [where, what, rule, issue.input];
      }
      void [data, code];
    }
    if (e instanceof RpcError) {
      // @ts-expect-error: an RpcError's data is unknown until narrowed
      const id: number = e.data.userId;
      void id;
    }
    if (loose.$isError(e, "users.get")) {
      const code: number = e.code; // without Procedures: an RpcError, nothing more
      // @ts-expect-error: not narrowed to a literal
      const literal: 4004 = e.code;
      void [code, literal];
    }
  }
  return "";
}

export function refused(e: unknown): void {
  // @ts-expect-error: plain declares no errors
  client.$isError(e, "plain");
  // @ts-expect-error: no such procedure
  client.$isError(e, "users.remove");
  if (client.$isError(e, "users.get")) {
    // @ts-expect-error: 4005 is not a declared code of users.get
    if (e.code === 4005) return;
  }
}

type NotFoundOfGet = Extract<DeclaredError<Procedures, "users.get">, { code: 4004 }>;
export const typedData = (e: NotFoundOfGet): number => e.data.userId;
export const codes: { readonly [procedure: string]: readonly number[] } = meta.errors;
`;

test("tsc: $isError narrows to the declared errors' codes and data; isValidationError types -32602", () => {
  const files = generateFromText(fs.readFileSync(path.join(repository, "tests/corpus/errors/schema.json"), "utf8"));
  typecheck(path.join(scratch, "app"), {
    files,
    source: CHECK,
    compilerOptions: { exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true },
  });
});
