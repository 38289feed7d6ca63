/**
 * The client project's pyRPC layout, written by `npx pyrpc sync` and `npx pyrpc generate`
 * (and, the same way, by the Python `pyrpc dev`). Inside the project folder `<root>`:
 *
 *   pyrpc/schema.json            the schema snapshot (committed): the introspection document as
 *                                Python's json.dumps(document, indent=2, ensure_ascii=False) + "\n"
 *   pyrpc/types/                 the generated package @pyrpc/types (index.d.ts, index.js, package.json)
 *   package.json                 declares "@pyrpc/types": "file:pyrpc/types" (link: for pnpm and yarn),
 *                                so the package manager links it and never prunes it
 *   node_modules/@pyrpc/types    a link to ../../pyrpc/types (what npm makes for that dependency),
 *                                so the types resolve at once, before the next install
 *
 * Everything is checked before anything is written; a problem is a `ProjectError` (or an
 * `UnsafeWriteError`) with a one-line message, and then nothing was written.
 */

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Calls, generate } from "./emitter/emit.js";
import { type Json, type JsonObject, JsonParseError, dumps, isObject, parse, quote } from "./emitter/json.js";
import { UnsafeWriteError, checkedFolder, lstat, planFiles, writeAtomic, writePlanned } from "./files.js";

/** The schema snapshot, below the project folder. */
export const SNAPSHOT_FILE = "pyrpc/schema.json";
/** The generated package's folder, below the project folder. */
export const TYPES_FOLDER = "pyrpc/types";
/** Where the package manager (and, until the next install, pyrpc) links the package. */
export const TYPES_LINK = "node_modules/@pyrpc/types";
export const TYPES_PACKAGE_NAME = "@pyrpc/types";

export type PackageManager = "npm" | "pnpm" | "yarn";

export class ProjectError extends Error {
  override readonly name = "ProjectError";
}

/** Why `document` is not a pyRPC schema (one phrase), or undefined when it is one. */
export function schemaProblem(document: Json): string | undefined {
  if (!isObject(document)) return 'not an object with "version" and "procedures"';
  if (typeof document.get("version") !== "bigint") return 'no integer "version"';
  if (!isObject(document.get("procedures"))) return 'no "procedures" object';
  return undefined;
}

/** The snapshot's text: exactly what Python's `json.dumps(document, indent=2, ensure_ascii=False) + "\n"` gives. */
export function snapshotText(document: Json): string {
  return dumps(document, 2) + "\n";
}

/** The number of procedures of a (checked) schema document. */
export function procedureCount(document: Json): number {
  const procedures = isObject(document) ? document.get("procedures") : undefined;
  return isObject(procedures) ? procedures.size : 0;
}

/**
 * The project's package manager: a `pnpm-lock.yaml` says pnpm, a `yarn.lock` yarn; else the
 * `packageManager` field's name (`pnpm@10.1.0`); else npm.
 */
export function detectPackageManager(root: string, manifest?: Json | Record<string, unknown>): PackageManager {
  if (fs.existsSync(path.join(root, "pnpm-lock.yaml"))) return "pnpm";
  if (fs.existsSync(path.join(root, "yarn.lock"))) return "yarn";
  const field = isObject(manifest)
    ? manifest.get("packageManager")
    : typeof manifest === "object" && manifest !== null && !Array.isArray(manifest)
      ? (manifest as Record<string, unknown>)["packageManager"]
      : undefined;
  if (typeof field === "string") {
    const name = field.split("@")[0]?.trim().toLowerCase();
    if (name === "pnpm" || name === "yarn") return name;
  }
  return "npm";
}

/** The dependency spec that makes the package manager link `pyrpc/types`. */
export function dependencySpec(manager: PackageManager): string {
  return manager === "npm" ? `file:${TYPES_FOLDER}` : `link:${TYPES_FOLDER}`;
}

/** What the user runs once so the lock file records the dependency. */
export function installCommand(manager: PackageManager): string {
  return manager === "yarn" ? "yarn" : `${manager} install`;
}

export function lockFileName(manager: PackageManager): string {
  return { npm: "package-lock.json", pnpm: "pnpm-lock.yaml", yarn: "yarn.lock" }[manager];
}

/** A change made to package.json's dependencies. */
export interface DependencyChange {
  action: "added" | "replaced";
  section: "dependencies" | "devDependencies";
  spec: string;
  /** The spec it had before, when replaced. */
  previous?: string;
}

/** What happened to `node_modules/@pyrpc/types`. */
export type LinkAction = "created" | "replaced" | "kept";

export interface WriteOptions {
  /** The client project folder (it holds package.json). */
  root: string;
  /** The schema document, checked (`schemaProblem` is undefined), as `parse` gives it. */
  document: JsonObject;
  /** Write the snapshot too (sync); generate reads it and leaves it alone. */
  writeSnapshot: boolean;
  /** The emitter option: how the generated procedures take their params (default positional). */
  calls?: Calls | undefined;
}

export interface WriteResult {
  /** The project folder (resolved). */
  root: string;
  /** The folder of the generated package. */
  typesFolder: string;
  snapshotFile: string;
  /** The package's files whose bytes changed (unchanged files are not touched). */
  typesChanged: string[];
  snapshotChanged: boolean;
  procedures: number;
  packageManager: PackageManager;
  /** The package.json edit, when one was needed. */
  dependency: DependencyChange | undefined;
  link: LinkAction;
  manifestFile: string;
  /** Advice about the project's declaration, when it could be better (printed as is). */
  advice: string | undefined;
}

/**
 * Writes the project's layout for a checked schema document: the snapshot (when asked), the
 * generated package, the package.json dependency and the node_modules link, in that order,
 * after checking everything. Throws `ProjectError`/`UnsafeWriteError` before writing anything.
 */
export function writeProject(options: WriteOptions): WriteResult {
  const base = resolveRoot(options.root);
  const { document } = options;

  // package.json: read, parse, and the edit to make (if any).
  const manifestFile = path.join(base, "package.json");
  const manifestText = readManifest(manifestFile);
  const manifest = parseManifest(manifestText, manifestFile);
  const packageManager = detectPackageManager(base, manifest);
  const spec = dependencySpec(packageManager);
  const edit = dependencyEdit(manifestText, manifestFile, base, spec);
  if (edit !== undefined) checkEdit(edit.text, edit.change, manifestFile);

  // The files: the snapshot, the package, and package.json when it changes; all checked.
  const files: Record<string, string> = {};
  if (options.writeSnapshot) files[SNAPSHOT_FILE] = snapshotText(document);
  const generated = generate(document, { calls: options.calls });
  for (const [name, text] of Object.entries(generated)) files[`${TYPES_FOLDER}/${name}`] = text;
  const planned = planFiles(base, files);
  const manifestPlan = edit === undefined ? undefined : planFiles(base, { "package.json": edit.text })[0];

  // The link: what stands there now, and whether it may be replaced.
  const link = planLink(base);

  // Everything checked: write.
  const snapshotFile = path.join(base, ...SNAPSHOT_FILE.split("/"));
  const changed = writePlanned(planned);
  const typesChanged = changed.filter((file) => file !== snapshotFile);
  if (manifestPlan !== undefined) writeAtomic(manifestPlan.target, manifestPlan.data);
  makeLink(base, link);

  return {
    root: base,
    typesFolder: path.join(base, ...TYPES_FOLDER.split("/")),
    snapshotFile,
    typesChanged,
    snapshotChanged: changed.includes(snapshotFile),
    procedures: procedureCount(document),
    packageManager,
    dependency: edit?.change,
    link: link.action,
    manifestFile,
    advice: edit === undefined ? declarationAdvice(manifest, packageManager) : undefined,
  };
}

/** pnpm and yarn install a `file:` folder as a copy: `link:` is what shows a regenerate at once. */
function declarationAdvice(manifest: JsonObject, manager: PackageManager): string | undefined {
  if (manager === "npm") return undefined;
  for (const section of ["dependencies", "devDependencies"]) {
    const object = manifest.get(section);
    const spec = isObject(object) ? object.get(TYPES_PACKAGE_NAME) : undefined;
    if (typeof spec === "string" && spec.trim().startsWith("file:")) {
      return `${manager} installs "${TYPES_PACKAGE_NAME}": "${spec}" as a copy; "${dependencySpec(manager)}" in package.json links the folder, so a regenerate shows at once`;
    }
  }
  return undefined;
}

/** The edited package.json must parse and declare the spec where the change says (a guard). */
function checkEdit(text: string, change: DependencyChange, file: string): void {
  const document = parseManifest(text, file);
  const section = document.get(change.section);
  if (!isObject(section) || section.get(TYPES_PACKAGE_NAME) !== change.spec) {
    throw new ProjectError(`could not edit ${file} safely (please add "${TYPES_PACKAGE_NAME}": "${change.spec}" to its ${change.section}); nothing was written`);
  }
}

function resolveRoot(root: string): string {
  try {
    return fs.realpathSync(root);
  } catch (error) {
    throw new ProjectError(`the project folder ${path.resolve(root)} does not exist (${describeError(error)})`);
  }
}

function readManifest(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ProjectError(
        `no package.json in ${path.dirname(file)}: run this in the client project (or pass --root), or create one with 'npm init -y'`,
      );
    }
    throw new ProjectError(`cannot read ${file}: ${describeError(error)}`);
  }
}

function parseManifest(text: string, file: string): JsonObject {
  let document: Json;
  try {
    document = parse(stripBom(text));
  } catch (error) {
    if (error instanceof JsonParseError) {
      throw new ProjectError(`${file} is not valid JSON (${error.reason} at line ${error.line}, column ${error.column}); nothing was written`);
    }
    throw error;
  }
  if (!isObject(document)) throw new ProjectError(`${file} does not hold a JSON object; nothing was written`);
  return document;
}

function stripBom(text: string): string {
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}

/** True when `spec` (`file:` or `link:`) leads to `<base>/pyrpc/types`. */
export function pointsAtTypes(spec: Json | undefined, base: string): boolean {
  if (typeof spec !== "string") return false;
  const match = /^(?:file|link):(.+)$/.exec(spec.trim());
  if (match === null) return false;
  const target = (match[1] as string).replace(/\\/g, "/");
  return path.resolve(base, target) === path.join(base, ...TYPES_FOLDER.split("/"));
}

// --- package.json, edited as text: indentation, key order, line ends and the rest kept ---

interface Member {
  key: string;
  keyStart: number;
  valueStart: number;
  valueEnd: number;
  /** The whitespace just before the key (after `{` or `,`). */
  before: string;
  /** The text between the key and its value (`": "`). */
  colon: string;
}

interface ObjectSpan {
  open: number;
  close: number;
  members: Member[];
}

/** Scans the object at `text[at] === "{"` of text already known to be valid JSON. */
function scanObject(text: string, at: number): ObjectSpan {
  const open = at;
  const members: Member[] = [];
  at++;
  for (;;) {
    const afterSeparator = at;
    at = skipSpace(text, at);
    if (text[at] === "}") return { open, close: at, members };
    const keyStart = at;
    at = skipString(text, at);
    const key = JSON.parse(text.slice(keyStart, at)) as string;
    const keyEnd = at;
    at = skipSpace(text, at);
    at++; // ':'
    at = skipSpace(text, at);
    const valueStart = at;
    at = skipValue(text, at);
    members.push({
      key,
      keyStart,
      valueStart,
      valueEnd: at,
      before: text.slice(afterSeparator, keyStart),
      colon: text.slice(keyEnd, valueStart),
    });
    at = skipSpace(text, at);
    if (text[at] === ",") at++;
  }
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && " \t\r\n".includes(text[at] as string)) at++;
  return at;
}

function skipString(text: string, at: number): number {
  at++;
  while (text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
  return at + 1;
}

function skipValue(text: string, at: number): number {
  const c = text[at];
  if (c === "{") return scanObject(text, at).close + 1;
  if (c === '"') return skipString(text, at);
  if (c === "[") {
    at = skipSpace(text, at + 1);
    if (text[at] === "]") return at + 1;
    for (;;) {
      at = skipSpace(text, skipValue(text, at));
      if (text[at] === "]") return at + 1;
      at = skipSpace(text, at + 1); // ','
    }
  }
  while (at < text.length && !" \t\r\n,]}".includes(text[at] as string)) at++;
  return at;
}

/** The last member named `key` (JSON.parse and npm keep the last of repeated keys). */
function member(object: ObjectSpan, key: string): Member | undefined {
  return object.members.filter((m) => m.key === key).pop();
}

/**
 * The whitespace between an object's members (after each comma): `"\n    "` when they stand
 * one per line, `" "` or `""` when on one line (then guessed from the colon if there is one member).
 */
function separator(object: ObjectSpan, colon: string): string {
  const second = object.members[1];
  if (second !== undefined) return second.before;
  const first = object.members[0];
  if (first !== undefined && first.before.includes("\n")) return first.before;
  return colon.endsWith(" ") ? " " : "";
}

/** The indentation of a member: what follows the last newline of the whitespace before it. */
function lineIndent(before: string): string | undefined {
  const newline = before.lastIndexOf("\n");
  return newline === -1 ? undefined : before.slice(newline + 1);
}

const compareNames = (a: string, b: string): number => a.localeCompare(b, "en");

/**
 * The edit of package.json that declares `"@pyrpc/types": spec`, or undefined when it is
 * declared already (in dependencies or devDependencies, as `file:` or `link:` to pyrpc/types).
 */
export function dependencyEdit(
  text: string,
  file: string,
  base: string,
  spec: string,
): { text: string; change: DependencyChange } | undefined {
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const body = bom ? text.slice(1) : text;
  const document = parseManifest(body, file);
  for (const section of ["dependencies", "devDependencies"] as const) {
    const value = document.get(section);
    if (value !== undefined && value !== null && !isObject(value)) {
      throw new ProjectError(`${file}: "${section}" is not an object; nothing was written`);
    }
  }
  const top = scanObject(body, skipSpace(body, 0));
  const newline = body.includes("\r\n") ? "\r\n" : "\n";
  const firstTop = top.members[0];
  const unit = (firstTop && lineIndent(firstTop.before)) || "  ";
  const colon = firstTop && /^\s*:\s*$/.test(firstTop.colon) ? firstTop.colon : ": ";
  const entry = `${quote(TYPES_PACKAGE_NAME)}${colon}${quote(spec)}`;
  const splice = (start: number, end: number, insert: string): string => bom + body.slice(0, start) + insert + body.slice(end);

  // Declared already: right, or pointing elsewhere (then replaced where it stands).
  for (const section of ["dependencies", "devDependencies"] as const) {
    const object = isObject(document.get(section)) ? (document.get(section) as JsonObject) : undefined;
    if (object === undefined || !object.has(TYPES_PACKAGE_NAME)) continue;
    const current = object.get(TYPES_PACKAGE_NAME);
    if (pointsAtTypes(current, base)) return undefined;
    const span = scanObject(body, (member(top, section) as Member).valueStart);
    const old = member(span, TYPES_PACKAGE_NAME) as Member;
    const previous = typeof current === "string" ? current : dumps(current as Json);
    return { text: splice(old.valueStart, old.valueEnd, quote(spec)), change: { action: "replaced", section, spec, previous } };
  }

  const change: DependencyChange = { action: "added", section: "dependencies", spec };
  const dependencies = member(top, "dependencies");
  // The new object: on one line when its owner's members are, else one level deeper than its key.
  const object = (indent: string | undefined): string =>
    indent === undefined ? `{${entry}}` : `{${newline}${indent}${unit}${entry}${newline}${indent}}`;

  if (dependencies !== undefined && body[dependencies.valueStart] === "{") {
    // Into the existing dependencies: in sorted place when they are sorted (as npm keeps them), else last.
    const span = scanObject(body, dependencies.valueStart);
    const names = span.members.map((m) => m.key);
    if (span.members.length === 0) {
      return { text: splice(span.open, span.close + 1, object(lineIndent(dependencies.before))), change };
    }
    const sorted = names.every((name, i) => i === 0 || compareNames(names[i - 1] as string, name) <= 0);
    const index = sorted ? span.members.findIndex((m) => compareNames(m.key, TYPES_PACKAGE_NAME) > 0) : -1;
    const between = separator(span, colon);
    if (index >= 0) {
      const next = span.members[index] as Member;
      return { text: splice(next.keyStart, next.keyStart, `${entry},${between}`), change };
    }
    const last = span.members[span.members.length - 1] as Member;
    return { text: splice(last.valueEnd, last.valueEnd, `,${between}${entry}`), change };
  }
  if (dependencies !== undefined) {
    // "dependencies": null (a valid manifest for npm): replaced by the object.
    return {
      text: splice(dependencies.valueStart, dependencies.valueEnd, object(lineIndent(dependencies.before))),
      change,
    };
  }
  // A new "dependencies" section, last.
  const last = top.members[top.members.length - 1];
  const key = `${quote("dependencies")}${colon}`;
  if (last === undefined) {
    return { text: splice(top.open, top.close + 1, `{${newline}${unit}${key}${object(unit)}${newline}}`), change };
  }
  const between = separator(top, colon);
  return { text: splice(last.valueEnd, last.valueEnd, `,${between}${key}${object(lineIndent(between))}`), change };
}

// --- node_modules/@pyrpc/types ---

interface LinkPlan {
  action: LinkAction;
  /** The folder of the link (`node_modules/@pyrpc`), its path and its target (`pyrpc/types`). */
  scope: string;
  link: string;
  target: string;
}

/** Checks what stands at `node_modules/@pyrpc/types`; throws when it may not be replaced. */
function planLink(base: string): LinkPlan {
  const scope = checkedFolder(base, path.posix.dirname(TYPES_LINK));
  const link = path.join(scope, path.posix.basename(TYPES_LINK));
  const target = path.join(base, ...TYPES_FOLDER.split("/"));
  const plan = (action: LinkAction): LinkPlan => ({ action, scope, link, target });
  const stats = lstat(link);
  if (stats === undefined) return plan("created");
  const shown = `${TYPES_LINK} (${link})`;
  if (stats.isSymbolicLink()) {
    if (linksTo(link, target)) return plan("kept");
    if (isManagersCopy(base, link)) return plan("replaced");
    let destination = "?";
    try {
      destination = fs.readlinkSync(link);
    } catch {
      // shown as "?"
    }
    throw new ProjectError(
      `${shown} is a symlink to ${destination}, not to ${TYPES_FOLDER}; refusing to replace it (remove it if it is yours to remove); nothing was written`,
    );
  }
  if (stats.isDirectory()) {
    if (isOldCopy(link)) return plan("replaced");
    throw new ProjectError(
      `${shown} is a folder that is not a generated ${TYPES_PACKAGE_NAME} package; refusing to replace it; nothing was written`,
    );
  }
  throw new ProjectError(`${shown} exists and is not a folder nor a link; refusing to replace it; nothing was written`);
}

function linksTo(link: string, target: string): boolean {
  try {
    const destination = fs.readlinkSync(link);
    if (path.resolve(path.dirname(link), destination) === target) return true;
  } catch {
    return false;
  }
  try {
    return fs.realpathSync(link) === fs.realpathSync(target);
  } catch {
    return false;
  }
}

/**
 * A link the package manager made to its own copy of the package inside this project's
 * node_modules (pnpm installs a `file:` folder so, in node_modules/.pnpm): safe to replace.
 */
function isManagersCopy(base: string, link: string): boolean {
  let real: string;
  try {
    real = fs.realpathSync(link);
  } catch {
    return false;
  }
  const modules = path.join(base, "node_modules") + path.sep;
  return real.startsWith(modules) && isOldCopy(real);
}

/** An old copy of the package (the layout before 2.0, or one an install copied): safe to replace. */
function isOldCopy(folder: string): boolean {
  let entries: string[];
  try {
    entries = fs.readdirSync(folder);
  } catch {
    return false;
  }
  if (entries.length === 0) return true;
  const manifest = path.join(folder, "package.json");
  const stats = lstat(manifest);
  if (stats === undefined || !stats.isFile()) return false;
  try {
    const data = JSON.parse(fs.readFileSync(manifest, "utf8")) as unknown;
    return typeof data === "object" && data !== null && (data as Record<string, unknown>)["name"] === TYPES_PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** Makes the link as planned: relative on POSIX (as npm makes it), a junction on Windows. */
function makeLink(base: string, plan: LinkPlan): void {
  if (plan.action === "kept") return;
  fs.mkdirSync(plan.scope, { recursive: true });
  const windows = process.platform === "win32";
  const destination = windows ? plan.target : path.relative(plan.scope, plan.target);
  const temporary = path.join(plan.scope, `.types.${randomBytes(6).toString("hex")}.tmp`);
  fs.symlinkSync(destination, temporary, windows ? "junction" : "dir");
  try {
    if (plan.action === "replaced") {
      // The old folder moves aside first (a rename cannot replace a folder), then the link
      // takes its place, then the old copy goes.
      const aside = path.join(plan.scope, `.types.${randomBytes(6).toString("hex")}.old`);
      fs.renameSync(plan.link, aside);
      try {
        fs.renameSync(temporary, plan.link);
      } catch (error) {
        fs.renameSync(aside, plan.link);
        throw error;
      }
      fs.rmSync(aside, { recursive: true, force: true });
    } else {
      fs.renameSync(temporary, plan.link);
    }
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new ProjectError(`cannot link ${path.join(base, TYPES_LINK)} to ${plan.target}: ${describeError(error)}`);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

export { UnsafeWriteError };
