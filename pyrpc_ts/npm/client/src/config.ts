/**
 * The client project's pyRPC settings: `pyrpc.client.json` next to its package.json,
 * `{"url": "http://127.0.0.1:8000/rpc", "distribution": "server"}`, and optionally
 * `"calls": "named"`. The postinstall step writes it on first install; `npx pyrpc sync` reads
 * the URL from it, `sync` and `generate` the calls.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { CALLS, type Calls } from "./emitter/emit.js";
import { JsonParseError, parse } from "./emitter/json.js";
import { writeAtomic } from "./files.js";

export const CONFIG_FILE = "pyrpc.client.json";
export const DEFAULT_URL = "http://127.0.0.1:8000/rpc";
export const DISTRIBUTIONS = ["workspace", "server"] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

export interface ClientConfig {
  url: string;
  distribution: Distribution;
  /** How the generated procedures take their params (the emitter option; pyrpc.json's `emitter_options.calls`). */
  calls?: Calls | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The client project folder: the nearest folder from `start` upwards holding a package.json (else `start`). */
export function findProjectRoot(start: string): string {
  let current = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(current, "package.json"))) return current;
    const parent = path.dirname(current);
    if (parent === current) return path.resolve(start);
    current = parent;
  }
}

/** The endpoint URL, checked: http(s) only; a bare origin gets the default path `/rpc`. */
export function normalizeUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigError(`not a URL: ${JSON.stringify(text)} (expected e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`not an http(s) URL: ${JSON.stringify(text)}`);
  }
  if (url.pathname === "/") url.pathname = "/rpc";
  return url.toString();
}

/** The saved settings of the project at `root`, or undefined when there are none. */
export function readConfig(root: string): ClientConfig | undefined {
  const file = path.join(root, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    let where = "";
    try {
      parse(text); // the project's own reader says where
    } catch (error) {
      if (error instanceof JsonParseError) where = ` (${error.reason} at line ${error.line}, column ${error.column})`;
    }
    throw new ConfigError(`${file} is not valid JSON${where}; fix it, or delete it and run 'npx pyrpc sync --url URL'`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new ConfigError(`${file}: expected an object`);
  const { url, distribution, calls } = data as Record<string, unknown>;
  if (typeof url !== "string") throw new ConfigError(`${file}: "url" must be a string`);
  if (!DISTRIBUTIONS.includes(distribution as Distribution)) {
    throw new ConfigError(`${file}: "distribution" must be "workspace" or "server"`);
  }
  if (calls !== undefined && !CALLS.includes(calls as Calls)) {
    throw new ConfigError(`${file}: "calls" must be "positional" or "named" (got ${JSON.stringify(calls)})`);
  }
  return { url: normalizeUrl(url), distribution: distribution as Distribution, ...(calls === undefined ? {} : { calls: calls as Calls }) };
}

/** Saves the settings (atomically); returns the file written. */
export function writeConfig(root: string, config: ClientConfig): string {
  const file = path.join(root, CONFIG_FILE);
  const { calls } = config;
  const text = JSON.stringify({ url: normalizeUrl(config.url), distribution: config.distribution, ...(calls === undefined ? {} : { calls }) }, null, 2) + "\n";
  writeAtomic(file, Buffer.from(text, "utf8"));
  return file;
}
