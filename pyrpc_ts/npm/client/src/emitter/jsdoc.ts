/** JSDoc comments: docstrings, descriptions and JSON Schema constraints as tags (port of jsdoc.py). */

import { type Json, type JsonObject, dumps, isObject } from "./json.js";
import { pyRstrip, pySplitlines, pyStrip } from "./pystr.js";

export const CONSTRAINT_TAGS: readonly (readonly [string, string])[] = [
  ["format", "format"],
  ["minimum", "minimum"],
  ["exclusiveMinimum", "exclusiveMinimum"],
  ["maximum", "maximum"],
  ["exclusiveMaximum", "exclusiveMaximum"],
  ["multipleOf", "multipleOf"],
  ["minLength", "minLength"],
  ["maxLength", "maxLength"],
  ["pattern", "pattern"],
  ["minItems", "minItems"],
  ["maxItems", "maxItems"],
  ["minProperties", "minProperties"],
  ["maxProperties", "maxProperties"],
];

/** A BigInt's format and pattern: its type (`${bigint}`) says them, so they get no tags. */
export const BIGINT_FORMAT = "bigint";
export const BIGINT_PATTERN = "^-?(0|[1-9][0-9]*)$";

export function escape(text: string): string {
  return text.replaceAll("*/", "*\\/");
}

function value(v: Json): string {
  if (typeof v === "string" && v && !v.includes("\n")) return v;
  return dumps(v, { sortKeys: true });
}

/** Python's `value == 0` for a JSON value (bools compare as ints). */
export function equalsZero(v: Json | undefined): boolean {
  return v === 0n || v === 0 || v === false;
}

export function constraintLines(schema: JsonObject): string[] {
  const target = nonNullBranch(schema);
  const lines: string[] = [];
  const isTuple = target.has("prefixItems") || equalsZero(target.get("maxItems"));
  const isBigint = target.get("type") === "string" && target.get("format") === BIGINT_FORMAT;
  for (const [keyword, tag] of CONSTRAINT_TAGS) {
    if (isTuple && (keyword === "minItems" || keyword === "maxItems")) continue;
    if (isBigint && (keyword === "format" || (keyword === "pattern" && target.get(keyword) === BIGINT_PATTERN))) {
      continue;
    }
    const v = target.get(keyword);
    if (v !== undefined && !isObject(v) && !Array.isArray(v)) lines.push(`@${tag} ${value(v)}`);
  }
  if (target.get("uniqueItems") === true) lines.push("@uniqueItems");
  const discriminator = target.get("discriminator");
  if (isObject(discriminator) && typeof discriminator.get("propertyName") === "string") {
    lines.push(`@discriminator ${discriminator.get("propertyName") as string}`);
  }
  if (schema.has("default")) lines.push(`@default ${dumps(schema.get("default") as Json, { sortKeys: true })}`);
  if (schema.get("deprecated") === true) lines.push("@deprecated");
  return lines;
}

function nonNullBranch(schema: JsonObject): JsonObject {
  const branches = schema.get("anyOf");
  if (Array.isArray(branches)) {
    const rest = branches.filter((b) => !(isObject(b) && b.get("type") === "null"));
    const only = rest[0];
    if (rest.length === 1 && isObject(only)) return only;
  }
  return schema;
}

export function textLines(text: Json | undefined): string[] {
  if (typeof text !== "string") return [];
  const lines = pySplitlines(pyStrip(text)).map(pyRstrip);
  return lines.some((line) => line) ? lines : [];
}

export function block(lines: readonly string[], indent: string): string {
  if (lines.length === 0) return "";
  const safe = lines.map(escape);
  if (safe.length === 1) return `${indent}/** ${safe[0] as string} */\n`;
  const body = safe.map((line) => `${indent} *${line ? " " + line : ""}\n`).join("");
  return `${indent}/**\n${body}${indent} */\n`;
}

export function fieldDoc(schema: JsonObject): string[] {
  let lines = textLines(schema.get("description"));
  if (lines.length === 0) lines = textLines(nonNullBranch(schema).get("description"));
  const tags = constraintLines(schema);
  if (lines.length && tags.length) lines.push("");
  return [...lines, ...tags];
}
