/**
 * `npx pyrpc sync`: GET the server's introspection document and write `@pyrpc/types` into
 * the client project's node_modules with the JavaScript port of the emitter. No Python needed.
 */

import * as path from "node:path";
import { generate } from "./emitter/emit.js";
import { type Json, JsonParseError, isObject, parse } from "./emitter/json.js";
import { writeFiles } from "./files.js";

/** Where the package goes, below the client project folder. */
export const TYPES_PACKAGE = "node_modules/@pyrpc/types";

export class SyncError extends Error {
  override readonly name = "SyncError";
}

export interface SyncOptions {
  /** The endpoint, e.g. `http://127.0.0.1:8000/rpc`. */
  url: string;
  /** The client project folder (its node_modules receives the package). */
  root: string;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Milliseconds before giving up on the server (default 30 s). */
  timeout?: number;
}

export interface SyncResult {
  /** The folder of the package. */
  folder: string;
  /** The files whose bytes changed (unchanged files are not touched). */
  changed: string[];
  procedures: number;
}

/** Fetches the schema document; a `SyncError` with a one-line reason when that fails. */
export async function fetchSchema(url: string, options: Pick<SyncOptions, "fetch" | "timeout"> = {}): Promise<Json> {
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
    throw new SyncError(`cannot reach the pyRPC server at ${url}: ${reason}`);
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
  const version = isObject(document) ? document.get("version") : undefined;
  if (!isObject(document) || !isObject(document.get("procedures")) || typeof version !== "bigint") {
    throw new SyncError(`GET ${url} returned JSON that is not a pyRPC schema (no "version" and "procedures")`);
  }
  return document;
}

export async function sync(options: SyncOptions): Promise<SyncResult> {
  const document = await fetchSchema(options.url, options);
  const files = generate(document);
  const relative: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) relative[`${TYPES_PACKAGE}/${name}`] = text;
  const changed = writeFiles(options.root, relative);
  const procedures = isObject(document) ? (document.get("procedures") as Map<string, Json>).size : 0;
  return { folder: path.join(options.root, TYPES_PACKAGE), changed, procedures };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) return `${error.message} (${(cause as NodeJS.ErrnoException).code ?? cause.message})`;
    return error.message;
  }
  return String(error);
}
