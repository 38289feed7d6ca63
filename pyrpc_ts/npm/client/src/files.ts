/**
 * Writing the generated package safely: the rules of pyrpc_core.tooling.files.write_files, in node.
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

export function lstat(target: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The folder `relative` (plain `a/b/c`) below `base`, checked: each of its folders that
 * exists is a real folder, not a symlink nor a file. Returns the absolute path.
 */
export function checkedFolder(base: string, relative: string): string {
  const parts = plainParts(relative);
  let current = base;
  for (const part of parts) {
    current = path.join(current, part);
    const stats = lstat(current);
    if (stats?.isSymbolicLink()) throw new UnsafeWriteError(`${current} is a symlink; refusing to write through it`);
    if (stats !== undefined && !stats.isDirectory()) throw new UnsafeWriteError(`${current} exists and is not a folder`);
  }
  return current;
}

function plainParts(relative: string): string[] {
  const parts = relative.split("/");
  if (parts.some((part) => part === "" || part === "." || part === ".." || part.includes("\\") || part.includes("\0"))) {
    throw new UnsafeWriteError(`refusing to write ${JSON.stringify(relative)}: not a plain relative path`);
  }
  return parts;
}

function checkedTarget(base: string, relative: string): string {
  const parts = plainParts(relative);
  const folder = parts.length > 1 ? checkedFolder(base, parts.slice(0, -1).join("/")) : base;
  const target = path.join(folder, parts[parts.length - 1] as string);
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

/** A file checked and ready to write: its absolute path and its bytes. */
export interface PlannedFile {
  target: string;
  data: Buffer;
}

/**
 * Checks `{relative path: text}` below `base` (a resolved folder) without writing anything:
 * throws an `UnsafeWriteError` for the first problem, else gives the files in path order.
 */
export function planFiles(base: string, files: Record<string, string>): PlannedFile[] {
  return Object.keys(files)
    .sort()
    .map((relative) => ({ target: checkedTarget(base, relative), data: Buffer.from(files[relative] as string, "utf8") }));
}

/** Writes planned files (each atomically, unchanged ones untouched); returns those that changed. */
export function writePlanned(files: readonly PlannedFile[]): string[] {
  return files.filter(({ target, data }) => writeAtomic(target, data)).map(({ target }) => target);
}

/** Writes `{relative path: text}` under `root`; returns the files that changed. */
export function writeFiles(root: string, files: Record<string, string>): string[] {
  return writePlanned(planFiles(fs.realpathSync(root), files));
}
