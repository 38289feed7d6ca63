/**
 * Writing the generated package safely: the rules of pyrpc_core.files.write_files, in node.
 * `root` is resolved (a symlinked project folder is fine) but nothing below it may lead
 * elsewhere: plain relative paths only, every folder on the way a real folder (not a symlink),
 * every file a regular file or absent, all checked before anything is written. Each file goes
 * through a temporary file and a rename, and is left alone when its bytes are unchanged.
 */

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export class UnsafeWriteError extends Error {
  override readonly name = "UnsafeWriteError";
}

function lstat(target: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function checkedTarget(base: string, relative: string): string {
  const parts = relative.split("/");
  if (parts.some((part) => part === "" || part === "." || part === ".." || part.includes("\\") || part.includes("\0"))) {
    throw new UnsafeWriteError(`refusing to write ${JSON.stringify(relative)}: not a plain relative path`);
  }
  let current = base;
  for (const part of parts.slice(0, -1)) {
    current = path.join(current, part);
    const stats = lstat(current);
    if (stats?.isSymbolicLink()) throw new UnsafeWriteError(`${current} is a symlink; refusing to write through it`);
    if (stats !== undefined && !stats.isDirectory()) throw new UnsafeWriteError(`${current} exists and is not a folder`);
  }
  const target = path.join(current, parts[parts.length - 1] as string);
  const stats = lstat(target);
  if (stats !== undefined && !stats.isFile()) throw new UnsafeWriteError(`${target} is not a regular file`);
  return target;
}

/** Writes `data` to `target` through a temporary file and a rename; false when it already held `data`. */
export function writeAtomic(target: string, data: Buffer): boolean {
  let mode = 0o644;
  try {
    if (fs.readFileSync(target).equals(data)) return false;
    mode = fs.statSync(target).mode & 0o777;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "EISDIR") throw error;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = fs.openSync(temporary, "wx", 0o600);
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(temporary, mode);
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  return true;
}

/** Writes `{relative path: text}` under `root`; returns the files that changed. */
export function writeFiles(root: string, files: Record<string, string>): string[] {
  const base = fs.realpathSync(root);
  const targets = Object.keys(files)
    .sort()
    .map((relative) => [checkedTarget(base, relative), Buffer.from(files[relative] as string, "utf8")] as const);
  return targets.filter(([target, data]) => writeAtomic(target, data)).map(([target]) => target);
}
