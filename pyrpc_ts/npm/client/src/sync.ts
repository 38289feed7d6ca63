/**
 * `npx pyrpc sync`: GET the server's introspection document, save it as the project's schema
 * snapshot (`pyrpc/schema.json`) and write `@pyrpc/types` into `pyrpc/types` with the
 * JavaScript port of the emitter (see project.ts for the layout). No Python needed.
 *
 * `npx pyrpc generate`: the same writes from the snapshot, offline.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import type { Calls } from "./emitter/emit.js";
import { type Json, type JsonObject, JsonParseError, parse } from "./emitter/json.js";
import { SNAPSHOT_FILE, type WriteResult, describeError, schemaProblem, writeProject } from "./project.js";

/** The layout's paths, below the client project folder. */
export { SNAPSHOT_FILE, TYPES_FOLDER, TYPES_LINK } from "./project.js";

export class SyncError extends Error {
  override readonly name = "SyncError";
}

export interface SyncOptions {
  /** The endpoint, e.g. `http://127.0.0.1:8000/rpc`. */
  url: string;
  /** The client project folder (it holds package.json). */
  root: string;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Milliseconds before giving up on the server (default 30 s). */
  timeout?: number;
  /** How the generated procedures take their params (default positional). */
  calls?: Calls | undefined;
}

export type SyncResult = WriteResult;

/** Fetches the schema document; a `SyncError` with a one-line reason when that fails. */
export async function fetchSchema(url: string, options: Pick<SyncOptions, "fetch" | "timeout"> = {}): Promise<JsonObject> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeout ?? 30_000);
  let text: string;
  let status: number;
  try {
    const response = await fetchFn(url, { method: "GET", headers: { accept: "application/json" }, signal: controller.signal });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const reason = controller.signal.aborted ? "no answer in time" : describe(error);
    throw new SyncError(
      `cannot reach the pyRPC server at ${url}: ${reason}; is it running? Start it with 'pyrpc dev' or ` +
        `'pyrpc serve', or give its URL with --url (or "url" in pyrpc.client.json)`,
    );
  } finally {
    clearTimeout(timer);
  }
  if (status !== 200) throw new SyncError(`GET ${url} answered HTTP ${status}, not the pyRPC schema`);
  let document: Json;
  try {
    document = parse(text);
  } catch (error) {
    const why = error instanceof JsonParseError ? error.message : String(error);
    throw new SyncError(`GET ${url} did not return JSON (${why}); is this a pyRPC endpoint?`);
  }
  if (schemaProblem(document) !== undefined) {
    throw new SyncError(`GET ${url} returned JSON that is not a pyRPC schema (no "version" and "procedures")`);
  }
  return document as JsonObject;
}

/** Fetches the schema and writes the snapshot, the package, the dependency and the link. */
export async function sync(options: SyncOptions): Promise<SyncResult> {
  const document = await fetchSchema(options.url, options);
  return writeProject({ root: options.root, document, writeSnapshot: true, calls: options.calls });
}

/** Reads and checks the project's snapshot; a `SyncError` naming the file and the problem. */
export function readSnapshot(root: string): JsonObject {
  const file = path.join(path.resolve(root), ...SNAPSHOT_FILE.split("/"));
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new SyncError(
        `no schema snapshot at ${file}; run 'npx pyrpc sync' to fetch one from the server (server mode), or 'pyrpc dev' in the Python project (workspace mode)`,
      );
    }
    throw new SyncError(`cannot read the schema snapshot ${file}: ${describeError(error)}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new SyncError(`the schema snapshot ${file} is not UTF-8 text; run 'npx pyrpc sync' to fetch it again`);
  }
  let document: Json;
  try {
    document = parse(text);
  } catch (error) {
    if (!(error instanceof JsonParseError)) throw error;
    throw new SyncError(
      `the schema snapshot ${file} is not valid JSON (${error.reason} at line ${error.line}, column ${error.column}); run 'npx pyrpc sync' to fetch it again`,
    );
  }
  const problem = schemaProblem(document);
  if (problem !== undefined) {
    throw new SyncError(`the schema snapshot ${file} is not a pyRPC schema (${problem}); run 'npx pyrpc sync' to fetch it again`);
  }
  return document as JsonObject;
}

/** `npx pyrpc generate`: the package, the dependency and the link from the snapshot; no server. */
export function generateFromSnapshot(root: string, options: { calls?: Calls | undefined } = {}): WriteResult {
  const document = readSnapshot(root);
  return writeProject({ root, document, writeSnapshot: false, calls: options.calls });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) return `${error.message} (${(cause as NodeJS.ErrnoException).code ?? cause.message})`;
    return error.message;
  }
  return String(error);
}
