/** The named types of `$defs`: interfaces for models, a type plus a const for enums (port of declarations.py). */

import * as jsdoc from "./jsdoc.js";
import { type Json, type JsonObject, comparePy, dumps, isObject, quote } from "./json.js";
import { type TypeMapper, literal } from "./mapping.js";
import { isIdentifier } from "./naming.js";

export const ENUM_NAMES_KEYWORD = "x-enum-varnames";

export interface EnumConst {
  readonly name: string;
  readonly members: readonly (readonly [key: string, value: string])[];
}

export interface Declarations {
  readonly text: string;
  readonly enums: readonly EnumConst[];
}

export function declareAll(defs: JsonObject, names: ReadonlyMap<string, string>, mapper: TypeMapper): Declarations {
  const parts: string[] = [];
  const enums: EnumConst[] = [];
  const nameOf = (key: string): string => names.get(key) as string;
  for (const key of [...defs.keys()].sort((a, b) => comparePy(nameOf(a), nameOf(b)))) {
    const name = nameOf(key);
    const definition = defs.get(key) as Json;
    if (!isObject(definition)) {
      parts.push(`export type ${name} = ${mapper.map(definition).text};\n`);
      continue;
    }
    const doc = jsdoc.block(jsdoc.textLines(definition.get("description")), "");
    const enumConst = enumConstOf(name, definition);
    if (enumConst !== undefined) {
      enums.push(enumConst);
      const members = enumConst.members.map(([k, v]) => `  readonly ${k}: ${v};\n`).join("");
      parts.push(
        `${doc}export type ${name} = ${mapper.map(definition).text};\n` +
          `${doc}export declare const ${name}: {\n${members}};\n`,
      );
    } else if (definition.get("type") === "object" && isObject(definition.get("properties"))) {
      const members = mapper.objectMembers(definition, "  ");
      const body = members ? `{\n${members}}` : "{}";
      parts.push(`${doc}export interface ${name} ${body}\n`);
    } else {
      parts.push(`${doc}export type ${name} = ${mapper.map(definition).text};\n`);
    }
  }
  return { text: parts.join("\n"), enums };
}

function enumConstOf(name: string, definition: JsonObject): EnumConst | undefined {
  const values = definition.get("enum");
  if (!Array.isArray(values) || values.length === 0) return undefined;
  const allStrings = values.every((v) => typeof v === "string");
  const allNumbers = values.every((v) => typeof v === "bigint" || typeof v === "number");
  if (!allStrings && !allNumbers) return undefined;
  const given = definition.get(ENUM_NAMES_KEYWORD);
  const rawKeys =
    Array.isArray(given) && given.length === values.length && given.every((g) => typeof g === "string")
      ? (given as string[])
      : values.map((v) => (typeof v === "string" ? v : dumps(v)));
  const keys = rawKeys.map(memberKey);
  if (new Set(keys).size !== keys.length) return undefined;
  const members: (readonly [string, string])[] = [];
  values.forEach((value, index) => {
    const rendered = literal(value);
    if (rendered !== undefined) members.push([keys[index] as string, rendered.text]);
  });
  return { name, members };
}

function memberKey(key: string): string {
  if (key === "__proto__") return '["__proto__"]';
  if (isIdentifier(key) || (/^[0-9]+$/.test(key) && (key === "0" || !key.startsWith("0")))) return key;
  return quote(key);
}
