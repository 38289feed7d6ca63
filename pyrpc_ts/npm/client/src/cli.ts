/**
 * The `pyrpc` command of @pyrpc/client (`npx pyrpc ...`).
 *
 *   pyrpc sync [--url URL] [--root DIR]   fetch GET /rpc, write node_modules/@pyrpc/types
 *   pyrpc --help | --version
 *
 * The URL comes from --url, else `pyrpc.client.json` in the project, else the default
 * http://127.0.0.1:8000/rpc. Failures print one line on stderr and exit 1 (2 for bad usage).
 */

import { parseArgs } from "node:util";
import { ConfigError, DEFAULT_URL, findProjectRoot, normalizeUrl, readConfig } from "./config.js";
import { SyncError, sync } from "./sync.js";
import { UnsafeWriteError } from "./files.js";

export const USAGE = `Usage: pyrpc sync [--url URL] [--root DIR]

  Fetches the pyRPC schema (GET URL) and writes the TypeScript types into
  <project>/node_modules/@pyrpc/types. No Python needed.

  --url URL   the endpoint (default: "url" in pyrpc.client.json, else ${DEFAULT_URL})
  --root DIR  the client project (default: the nearest folder with a package.json)
`;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  cwd: string;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

const defaultIo = (): Io => ({
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  cwd: process.cwd(),
});

/** Runs the command; resolves with the exit code (never rejects). */
export async function main(argv: readonly string[], io: Io = defaultIo()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: "string" },
        root: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    io.err(`pyrpc: ${error instanceof Error ? error.message : String(error)}`);
    io.err(USAGE);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(VERSION);
    return 0;
  }
  if (values.help || positionals.length === 0) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  if (positionals[0] !== "sync" || positionals.length > 1) {
    io.err(`pyrpc: unknown command ${JSON.stringify(positionals.join(" "))} (the npm package has only "sync")`);
    return 2;
  }
  try {
    const root = findProjectRoot(values.root ?? io.cwd);
    const url = values.url !== undefined ? normalizeUrl(values.url) : (readConfig(root)?.url ?? DEFAULT_URL);
    const result = await sync({ url, root, ...(io.fetch ? { fetch: io.fetch } : {}) });
    const what = result.changed.length ? `${result.changed.length} file(s) updated` : "already up to date";
    io.out(`pyrpc: ${result.procedures} procedure(s) from ${url} -> ${result.folder} (${what})`);
    return 0;
  } catch (error) {
    if (error instanceof SyncError || error instanceof ConfigError || error instanceof UnsafeWriteError) {
      io.err(`pyrpc: ${error.message}`);
    } else {
      io.err(`pyrpc: sync failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 1;
  }
}

export const VERSION = "2.0.0";
