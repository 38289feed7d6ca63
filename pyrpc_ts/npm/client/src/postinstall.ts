/**
 * The postinstall step of @pyrpc/client: on the first install into a project, in an
 * interactive terminal, ask for the server URL and the distribution mode and save them in
 * `pyrpc.client.json`. It never blocks and never fails an install: in CI, without a
 * terminal, inside this repository's own workspace, when the file exists already, or on any
 * error, it returns at once (and postinstall.cjs exits 0 whatever happens).
 *
 * npm runs install scripts with their output piped, so the terminal is opened directly
 * (`/dev/tty`); where there is none (CI, Docker without -t, an IDE) that fails and nothing is asked.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import * as tty from "node:tty";
import { CONFIG_FILE, type ClientConfig, DEFAULT_URL, DISTRIBUTIONS, type Distribution, normalizeUrl, writeConfig } from "./config.js";

/** How long the prompt waits for an answer before giving up (nothing is saved then). */
export const ANSWER_TIMEOUT_MS = 120_000;

export type Env = Record<string, string | undefined>;

/** Why nothing is asked, or the project folder to ask for. */
export function decide(env: Env, packageDir: string): { root: string } | { skip: string } {
  if (isTrue(env["CI"]) || isTrue(env["CONTINUOUS_INTEGRATION"]) || env["BUILD_NUMBER"] || env["GITHUB_ACTIONS"]) {
    return { skip: "CI" };
  }
  if (isTrue(env["PYRPC_NO_PROMPT"])) return { skip: "PYRPC_NO_PROMPT" };
  // Installed as a dependency, the package sits in a node_modules folder; in this
  // repository's workspace (a symlink to the sources) nothing is asked.
  if (!path.resolve(packageDir).split(path.sep).includes("node_modules")) return { skip: "not installed as a dependency" };
  const root = env["INIT_CWD"];
  if (!root || !fs.existsSync(path.join(root, "package.json"))) return { skip: "no client project" };
  if (fs.existsSync(path.join(root, CONFIG_FILE))) return { skip: `${CONFIG_FILE} exists` };
  return { root };
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

/** Asks the two questions on `input`/`output`; undefined when the input ends or time runs out. */
export async function ask(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  timeoutMs: number = ANSWER_TIMEOUT_MS,
): Promise<ClientConfig | undefined> {
  const rl = readline.createInterface({ input, output, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  const question = async (text: string): Promise<string | undefined> => {
    output.write(text);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    });
    const next = lines.next().then((r) => (r.done ? undefined : r.value));
    try {
      return await Promise.race([next, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    output.write("\n@pyrpc/client: where is your pyRPC server? (saved in " + CONFIG_FILE + "; Enter keeps the default)\n");
    let url: string | undefined;
    for (let attempt = 0; attempt < 3 && url === undefined; attempt++) {
      const answer = await question(`  Server URL [${DEFAULT_URL}]: `);
      if (answer === undefined) return undefined;
      try {
        url = normalizeUrl(answer.trim() || DEFAULT_URL);
      } catch (error) {
        output.write(`  ${(error as Error).message}\n`);
      }
    }
    if (url === undefined) return undefined;
    let distribution: Distribution | undefined;
    for (let attempt = 0; attempt < 3 && distribution === undefined; attempt++) {
      const answer = await question(
        "  Distribution: workspace (the Python server writes the types here) or server (npx pyrpc sync fetches them) [server]: ",
      );
      if (answer === undefined) return undefined;
      const choice = answer.trim().toLowerCase() || "server";
      if ((DISTRIBUTIONS as readonly string[]).includes(choice)) distribution = choice as Distribution;
      else output.write('  Please answer "workspace" or "server".\n');
    }
    return distribution === undefined ? undefined : { url, distribution };
  } finally {
    rl.close();
  }
}

/** Opens the controlling terminal, or undefined when there is none. */
function openTerminal(): { input: tty.ReadStream; output: tty.WriteStream; close: () => void } | undefined {
  if (process.platform === "win32") {
    return process.stdin.isTTY && process.stdout.isTTY
      ? { input: process.stdin as tty.ReadStream, output: process.stdout as tty.WriteStream, close: () => {} }
      : undefined;
  }
  let fd: number;
  try {
    fd = fs.openSync("/dev/tty", "r+");
  } catch {
    return undefined;
  }
  if (!tty.isatty(fd)) {
    fs.closeSync(fd);
    return undefined;
  }
  const input = new tty.ReadStream(fd);
  const output = new tty.WriteStream(fd);
  return {
    input,
    output,
    close: () => {
      input.destroy();
      output.destroy();
    },
  };
}

/** The postinstall step; resolves with what happened (for tests and logs), never rejects. */
export async function main(env: Env = process.env, packageDir: string = path.resolve(__dirnameOf(), "..", "..")): Promise<string> {
  try {
    const decision = decide(env, packageDir);
    if ("skip" in decision) return `skipped: ${decision.skip}`;
    const terminal = openTerminal();
    if (terminal === undefined) return "skipped: no terminal";
    try {
      const answers = await ask(terminal.input, terminal.output);
      if (answers === undefined) return "skipped: no answer";
      const file = writeConfig(decision.root, answers);
      terminal.output.write(`  Saved ${file}. Fetch the types with: npx pyrpc sync\n${nextSteps(answers.distribution)}`);
      return `saved: ${file}`;
    } finally {
      terminal.close();
    }
  } catch (error) {
    return `skipped: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** What to do after the answers, for the chosen mode (printed under "Fetch the types with: npx pyrpc sync"). */
export function nextSteps(distribution: Distribution): string {
  const commit = "  It saves the schema in pyrpc/schema.json (commit it) and the types in pyrpc/types;\n" +
    "  npx pyrpc generate rebuilds the types from that snapshot, with no server.\n";
  return distribution === "workspace"
    ? "  (or run pyrpc dev in the Python project: it writes both here on every save)\n" + commit
    : commit;
}

/** This file's folder (dist/cjs or dist/esm), in either module format. */
function __dirnameOf(): string {
  return typeof __dirname === "string" ? __dirname : process.cwd();
}
