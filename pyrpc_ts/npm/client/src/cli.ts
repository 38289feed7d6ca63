/**
 * The `pyrpc` command of @pyrpc/client (`npx pyrpc ...`).
 *
 *   pyrpc sync [--url URL] [--root DIR] [--calls positional|named]   fetch GET /rpc, save pyrpc/schema.json, write pyrpc/types
 *   pyrpc generate [--root DIR] [--calls positional|named]           write pyrpc/types from pyrpc/schema.json, offline
 *   pyrpc --help | --version
 *
 * Both also declare the dependency "@pyrpc/types": "file:pyrpc/types" in package.json and
 * link node_modules/@pyrpc/types to pyrpc/types (see project.ts). The URL comes from --url,
 * else `pyrpc.client.json` in the project, else the default http://127.0.0.1:8000/rpc; the
 * calls (the emitter option) from --calls, else `pyrpc.client.json`, else positional.
 * Failures print one line on stderr and exit 1 (2 for bad usage).
 */

import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, DEFAULT_URL, findProjectRoot, normalizeUrl, readConfig } from "./config.js";
import { CALLS, type Calls } from "./emitter/emit.js";
import { UnsafeWriteError } from "./files.js";
import {
  ProjectError,
  SNAPSHOT_FILE,
  TYPES_FOLDER,
  TYPES_LINK,
  TYPES_PACKAGE_NAME,
  type WriteResult,
  installCommand,
  lockFileName,
} from "./project.js";
import { SyncError, generateFromSnapshot, sync } from "./sync.js";

export const USAGE = `Usage: pyrpc sync [--url URL] [--root DIR] [--calls positional|named]
       pyrpc generate [--root DIR] [--calls positional|named]

  sync      fetches the pyRPC schema (GET URL), saves it as <project>/${SNAPSHOT_FILE}
            (commit it) and writes the TypeScript types into <project>/${TYPES_FOLDER}.
            No Python needed.
  generate  writes <project>/${TYPES_FOLDER} from <project>/${SNAPSHOT_FILE}, offline:
            no server needed.

  Both declare "${TYPES_PACKAGE_NAME}": "file:${TYPES_FOLDER}" in package.json ("link:${TYPES_FOLDER}"
  with pnpm and yarn) and link ${TYPES_LINK} to ${TYPES_FOLDER}, so the types resolve at once
  and npm install / npm ci keep them.

  --url URL   the endpoint (default: "url" in pyrpc.client.json, else ${DEFAULT_URL})
  --root DIR  the client project (default: the nearest folder with a package.json)
  --calls C   how procedures take their params: positional (the Python order) or named
              (one object, sent by name); default: "calls" in pyrpc.client.json, else positional
  --version   the version of @pyrpc/client
`;

export const COMMANDS = ["sync", "generate"] as const;

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
        calls: { type: "string" },
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
  const command = positionals[0] as string;
  if (!(COMMANDS as readonly string[]).includes(command) || positionals.length > 1) {
    io.err(`pyrpc: unknown command ${JSON.stringify(positionals.join(" "))} (the commands are "sync" and "generate"; see pyrpc --help)`);
    return 2;
  }
  if (command === "generate" && values.url !== undefined) {
    io.err(`pyrpc: generate takes no --url: it reads ${SNAPSHOT_FILE} (use "pyrpc sync --url URL" to fetch the schema)`);
    return 2;
  }
  if (values.calls !== undefined && !CALLS.includes(values.calls as Calls)) {
    io.err(`pyrpc: --calls takes "positional" or "named", not ${JSON.stringify(values.calls)}`);
    return 2;
  }
  try {
    const root = values.root !== undefined ? path.resolve(io.cwd, values.root) : findProjectRoot(io.cwd);
    const config = readConfig(root);
    const calls = (values.calls as Calls | undefined) ?? config?.calls;
    let result: WriteResult;
    let source: string;
    if (command === "sync") {
      const url = values.url !== undefined ? normalizeUrl(values.url) : (config?.url ?? DEFAULT_URL);
      result = await sync({ url, root, calls, ...(io.fetch ? { fetch: io.fetch } : {}) });
      source = url;
    } else {
      result = generateFromSnapshot(root, { calls });
      source = result.snapshotFile;
    }
    for (const line of report(result, source)) io.out(line);
    return 0;
  } catch (error) {
    if (error instanceof SyncError || error instanceof ConfigError || error instanceof UnsafeWriteError || error instanceof ProjectError) {
      io.err(`pyrpc: ${error.message}`);
    } else {
      io.err(`pyrpc: ${command} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 1;
  }
}

/** `1 procedure`, `2 procedures`, as the Python CLI says them. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** The lines printed after a successful sync or generate. */
export function report(result: WriteResult, source: string): string[] {
  const parts: string[] = [];
  if (result.typesChanged.length) parts.push(`${plural(result.typesChanged.length, "file")} updated`);
  else parts.push(result.snapshotChanged ? "types unchanged" : "already up to date");
  if (result.snapshotChanged) parts.push(`schema snapshot ${SNAPSHOT_FILE} updated`);
  const lines = [`pyrpc: ${plural(result.procedures, "procedure")} from ${source} -> ${result.typesFolder} (${parts.join("; ")})`];
  const change = result.dependency;
  if (change !== undefined) {
    const manager = result.packageManager;
    const what =
      change.action === "added"
        ? `added "${TYPES_PACKAGE_NAME}": "${change.spec}" to the ${change.section} in ${result.manifestFile}`
        : `replaced "${TYPES_PACKAGE_NAME}": ${JSON.stringify(change.previous)} with "${change.spec}" in the ${change.section} of ${result.manifestFile}`;
    const frozen = manager === "npm" ? "npm ci" : manager === "pnpm" ? "pnpm install --frozen-lockfile" : "yarn install --frozen-lockfile";
    lines.push(`pyrpc: ${what}; run '${installCommand(manager)}' once so ${lockFileName(manager)} records it ('${frozen}' refuses a lock file out of step)`);
  }
  if (result.advice !== undefined) lines.push(`pyrpc: ${result.advice}`);
  if (result.link === "replaced") {
    lines.push(`pyrpc: replaced the old copy in ${TYPES_LINK} with a link to ${TYPES_FOLDER}`);
  }
  return lines;
}

export const VERSION = "2.0.0";
