/**
 * TypeScript names: which strings may stand bare, and the stable names of `$defs` models.
 * A port of pyrpc_ts/naming.py; see there for the rules.
 */

import { type Json, JsonObject, isObject, quote, comparePy } from "./json.js";
import { pyStrip } from "./pystr.js";

export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
  "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in",
  "instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof",
  "var", "void", "while", "with", "implements", "interface", "let", "package", "private",
  "protected", "public", "static", "yield", "await", "arguments", "eval",
]);

export const TYPE_KEYWORDS: ReadonlySet<string> = new Set([
  "any", "unknown", "never", "object", "string", "number", "boolean", "bigint", "symbol", "undefined",
]);

export const TAKEN_TYPE_NAMES: ReadonlySet<string> = new Set(["Types", "Procedures", "procedures", "meta", "Promise"]);

const ASCII_IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const NAME_PARTS = /[A-Za-z0-9]+/g;
const INPUT_SUFFIX = "-Input";
const OUTPUT_SUFFIX = "-Output";

export function isIdentifier(name: string): boolean {
  return ASCII_IDENTIFIER.test(name);
}

export function propertyKey(name: string): string {
  return isIdentifier(name) ? name : quote(name);
}

export function bindingName(name: string, taken: Iterable<string> = []): string {
  let candidate = name.replace(/[^A-Za-z0-9_$]/gu, "_") || "_";
  if (/^[0-9]/.test(candidate)) candidate = "_" + candidate;
  if (RESERVED_WORDS.has(candidate)) candidate += "_";
  const used = new Set(taken);
  let unique = candidate;
  let counter = 2;
  while (used.has(unique)) {
    unique = `${candidate}${counter}`;
    counter++;
  }
  return unique;
}

export function baseTypeName(defKey: string, definition: JsonObject): string {
  const title = definition.get("title");
  const source = typeof title === "string" && pyStrip(title) ? title : stripMode(defKey);
  let name = isIdentifier(source) ? source : (source.match(NAME_PARTS) ?? []).join("_") || "Model";
  if (/^[0-9]/.test(name)) name = "_" + name;
  if (RESERVED_WORDS.has(name) || TYPE_KEYWORDS.has(name) || TAKEN_TYPE_NAMES.has(name)) name += "_";
  return name;
}

function stripMode(defKey: string): string {
  for (const suffix of [INPUT_SUFFIX, OUTPUT_SUFFIX]) {
    if (defKey.endsWith(suffix)) return defKey.slice(0, -suffix.length);
  }
  return defKey;
}

export function exportedName(key: string): string {
  const stem = key.replace(/_+$/u, "");
  return RESERVED_WORDS.has(stem) || TYPE_KEYWORDS.has(stem) || TAKEN_TYPE_NAMES.has(stem) ? key + "_" : key;
}

export function assignTypeNames(defs: JsonObject): Map<string, string> {
  const names = new Map<string, string>();
  for (const key of defs.keys()) {
    if (isIdentifier(key)) names.set(key, exportedName(key));
  }
  const used = new Set<string>(names.values());
  const ordered = [...defs.keys()].filter((key) => !names.has(key)).sort((a, b) => {
    const ia = a.endsWith(INPUT_SUFFIX) ? 1 : 0;
    const ib = b.endsWith(INPUT_SUFFIX) ? 1 : 0;
    return ia !== ib ? ia - ib : comparePy(a, b);
  });
  for (const key of ordered) {
    const value: Json = defs.get(key) as Json;
    const definition = isObject(value) ? value : new JsonObject();
    let name = baseTypeName(key, definition);
    if (key.endsWith(INPUT_SUFFIX)) name += "Input";
    let unique = name;
    let counter = 2;
    while (used.has(unique)) {
      unique = `${name}${counter}`;
      counter++;
    }
    used.add(unique);
    names.set(key, unique);
  }
  return names;
}
