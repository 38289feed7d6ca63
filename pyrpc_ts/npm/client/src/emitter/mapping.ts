/**
 * JSON Schema (as pydantic writes it) to TypeScript type expressions: a port of mapping.py.
 * Every construct has an answer; a fragment with no faithful form gives the closest safe type
 * and a comment, never an error.
 */

import * as jsdoc from "./jsdoc.js";
import { type Json, JsonObject, dumps, floatRepr, isObject, isPyInt, quote } from "./json.js";
import { propertyKey } from "./naming.js";

export const INDENT = "  ";
export const UNION = 0;
export const INTERSECTION = 1;
export const ATOM = 2;
/** Deeper fragments become `unknown` with a comment (both emitters stop at the same depth). */
export const MAX_DEPTH = 64;

const PRIMITIVES = new Map([
  ["string", "string"],
  ["integer", "number"],
  ["number", "number"],
  ["boolean", "boolean"],
  ["null", "null"],
]);
/** The `format` of a string of decimal digits meant as a big integer (pyrpc_core.BigInt). */
export const BIGINT_FORMAT = jsdoc.BIGINT_FORMAT;
/** What such a string is in TypeScript: `BigInt(value)` reads it exactly, `${n}` writes one. */
export const BIGINT = "`${bigint}`";

export class TsType {
  constructor(
    readonly text: string,
    readonly precedence: number = ATOM,
  ) {}

  wrapped(atLeast: number): string {
    return this.precedence >= atLeast ? this.text : `(${this.text})`;
  }
}

export const UNKNOWN = new TsType("unknown");
export const NEVER = new TsType("never");

export function note(base: string, why: string): TsType {
  return new TsType(`${base} /* ${jsdoc.escape(why)} */`);
}

export function literal(value: Json | undefined): TsType | undefined {
  if (value === null) return new TsType("null");
  if (typeof value === "boolean") return new TsType(value ? "true" : "false");
  if (typeof value === "bigint") return new TsType(value.toString());
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined;
    return new TsType(Number.isInteger(value) ? BigInt(value).toString() : floatRepr(value));
  }
  if (typeof value === "string") return new TsType(quote(value));
  return undefined;
}

export function union(members: TsType[]): TsType {
  const texts: string[] = [];
  for (const member of members) {
    if (member.text === "never") continue;
    if (member.text.startsWith("unknown")) return member;
    if (!texts.includes(member.text)) texts.push(member.text);
  }
  if (texts.length === 0) return NEVER;
  if (texts.length === 1) return members.find((m) => m.text === texts[0]) as TsType;
  return new TsType(texts.join(" | "), UNION);
}

export function requiredSet(required: Json | undefined): Set<string> {
  if (!Array.isArray(required)) return new Set();
  return new Set(required.filter((name): name is string => typeof name === "string"));
}

export type Member = [doc: string[], line: string];

export class TypeMapper {
  private depth = 0;

  constructor(readonly refNames: ReadonlyMap<string, string>) {}

  map(schema: Json | undefined, indent = ""): TsType {
    if (this.depth >= MAX_DEPTH) return note("unknown", "nested too deeply");
    this.depth++;
    try {
      return this.mapOne(schema as Json, indent);
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      return note("unknown", `could not map this schema: ${name}`);
    } finally {
      this.depth--;
    }
  }

  private mapOne(schema: Json, indent: string): TsType {
    if (schema === true) return UNKNOWN;
    if (schema === false) return NEVER;
    if (!isObject(schema)) return note("unknown", `not a schema: ${dumps(schema, { ensureAscii: true }).slice(0, 60)}`);
    if (schema.has("$ref")) return this.ref(schema.get("$ref") as Json);
    if (schema.has("const")) {
      return literal(schema.get("const")) ?? note(this.byType(schema, indent).text, "constant value");
    }
    if (schema.has("enum")) return this.enumType(schema, indent);
    for (const keyword of ["anyOf", "oneOf"]) {
      if (schema.has(keyword)) return this.anyOf(schema.get(keyword) as Json, indent);
    }
    if (schema.has("allOf")) return this.allOf(schema.get("allOf") as Json, indent);
    if (schema.has("not")) return note("unknown", "'not' has no TypeScript form");
    return this.byType(schema, indent);
  }

  private ref(ref: Json): TsType {
    if (typeof ref === "string" && ref.startsWith("#/$defs/")) {
      const name = this.refNames.get(ref.slice("#/$defs/".length));
      if (name !== undefined) return new TsType(name);
    }
    return note("unknown", `unresolved $ref ${typeof ref === "string" ? ref : dumps(ref)}`);
  }

  private enumType(schema: JsonObject, indent: string): TsType {
    const values = schema.get("enum");
    if (!Array.isArray(values)) return note("unknown", "malformed enum");
    const members = values.map(literal);
    if (members.some((m) => m === undefined)) {
      return note(this.byType(schema, indent).text, "enum of values without literal types");
    }
    return union(members as TsType[]);
  }

  private anyOf(branches: Json, indent: string): TsType {
    if (!Array.isArray(branches)) return note("unknown", "malformed union");
    return union(branches.map((branch) => this.map(branch, indent)));
  }

  private allOf(parts: Json, indent: string): TsType {
    if (!Array.isArray(parts) || parts.length === 0) return note("unknown", "malformed allOf");
    const mapped = parts.map((part) => this.map(part, indent));
    if (mapped.length === 1) return mapped[0] as TsType;
    return new TsType(mapped.map((part) => part.wrapped(INTERSECTION)).join(" & "), INTERSECTION);
  }

  private byType(schema: JsonObject, indent: string): TsType {
    let kind = schema.get("type");
    if (Array.isArray(kind)) {
      return union(
        kind.map((one) => {
          const copy = new JsonObject(schema);
          copy.set("type", one);
          return this.byType(copy, indent);
        }),
      );
    }
    if (kind === undefined || kind === null) {
      if (schema.has("properties") || schema.has("additionalProperties")) kind = "object";
      else if (schema.has("items") || schema.has("prefixItems")) kind = "array";
      else return UNKNOWN;
    }
    if (typeof kind !== "string") return note("unknown", "malformed type");
    if (kind === "string" && schema.get("format") === BIGINT_FORMAT) return new TsType(BIGINT);
    const primitive = PRIMITIVES.get(kind);
    if (primitive !== undefined) return new TsType(primitive);
    if (kind === "array") return this.array(schema, indent);
    if (kind === "object") return this.objectType(schema, indent);
    return note("unknown", `unknown JSON type ${quote(kind)}`);
  }

  private array(schema: JsonObject, indent: string): TsType {
    const prefix = schema.get("prefixItems");
    const items = schema.has("items") ? (schema.get("items") as Json) : true;
    if (Array.isArray(prefix)) {
      const elements = prefix.map((item) => this.map(item, indent).text);
      const maxItems = schema.get("maxItems");
      if (items === false || (isPyInt(maxItems) && Number(maxItems) <= prefix.length)) {
        return new TsType(`[${elements.join(", ")}]`);
      }
      const rest = this.map(items, indent);
      elements.push(`...${rest.wrapped(ATOM)}[]`);
      return new TsType(`[${elements.join(", ")}]`);
    }
    if (jsdoc.equalsZero(schema.get("maxItems"))) return new TsType("[]");
    const element = this.map(items, indent);
    return new TsType(`${element.wrapped(ATOM)}[]`);
  }

  objectType(schema: JsonObject, indent: string): TsType {
    const members = this.members(schema, indent + INDENT);
    if (members.length === 0) return new TsType("{}");
    if (!members.some(([doc]) => doc.length > 0)) {
      const inline = members.map(([, line]) => line).join(" ");
      return new TsType("{ " + (inline.endsWith(";") ? inline.slice(0, -1) : inline) + " }");
    }
    return new TsType("{\n" + TypeMapper.lines(members, indent + INDENT) + indent + "}");
  }

  objectMembers(schema: JsonObject, indent: string): string {
    return TypeMapper.lines(this.members(schema, indent), indent);
  }

  private static lines(members: Member[], indent: string): string {
    return members.map(([doc, line]) => jsdoc.block(doc, indent) + indent + line + "\n").join("");
  }

  members(schema: JsonObject, indent: string): Member[] {
    const properties = schema.get("properties");
    const requiredNames = requiredSet(schema.get("required"));
    const members: Member[] = [];
    const hasProperties = isObject(properties) && properties.size > 0;
    if (isObject(properties)) {
      for (const [name, field] of properties) {
        const mark = requiredNames.has(name) ? "" : "?";
        const fieldType = this.map(field, indent);
        const doc = isObject(field) ? jsdoc.fieldDoc(field) : [];
        members.push([doc, `${propertyKey(name)}${mark}: ${fieldType.text};`]);
      }
    }
    const extra = this.indexSignature(schema, indent, hasProperties);
    if (extra) members.push([[], extra]);
    return members;
  }

  /**
   * A dict whose keys match patterns (pydantic's, for keys with a pattern): typed by its values;
   * BigInt keys as `${bigint}`, others as strings (TypeScript has no regexes).
   */
  private patternSignature(patterns: JsonObject, indent: string): string {
    const value = union([...patterns.values()].map((item) => this.map(item, indent)));
    const keys = [...patterns.keys()];
    if (keys.length === 1 && keys[0] === jsdoc.BIGINT_PATTERN) return `[K in ${BIGINT}]?: ${value.text};`;
    return `[key: string]: ${value.text};`;
  }

  private indexSignature(schema: JsonObject, indent: string, hasProperties: boolean): string {
    const patterns = schema.get("patternProperties");
    const onlyPatterns = !hasProperties && !schema.has("properties") && !schema.has("additionalProperties");
    if (onlyPatterns && isObject(patterns) && patterns.size > 0) return this.patternSignature(patterns, indent);
    const additional = schema.has("additionalProperties")
      ? schema.get("additionalProperties")
      : hasProperties || schema.has("properties")
        ? null
        : true;
    if (additional === null || additional === undefined || additional === false) return "";
    const value = this.map(additional, indent);
    const names = schema.get("propertyNames");
    if (isObject(names) && names.size > 0 && (names.has("type") ? names.get("type") : "string") === "string") {
      const keysSchema = new JsonObject();
      for (const [k, v] of names) {
        if (k !== "pattern" && k !== "minLength" && k !== "maxLength") keysSchema.set(k, v);
      }
      const keys = this.map(keysSchema);
      if (keys.text !== "string" && !keys.text.startsWith("unknown")) {
        if (hasProperties) return `[key: string]: unknown /* keys ${jsdoc.escape(keys.text)} */;`;
        return `[K in ${keys.text}]?: ${value.text};`;
      }
    }
    if (hasProperties && value.text !== "unknown") {
      return `[key: string]: unknown /* extra properties are ${jsdoc.escape(value.text)} */;`;
    }
    return `[key: string]: ${value.text};`;
  }
}
