/**
 * Procedures as TypeScript: `Types` nested by dotted name (a streaming procedure returns
 * `AsyncIterable<Item>`), `Procedures` flat with params by name (`params`) and the call's
 * arguments (`args`), and `stream: true` for a streaming one (port of procedures.py). With
 * calls "named" each procedure takes its params as one object, sent by name.
 */

import * as jsdoc from "./jsdoc.js";
import { type Json, JsonObject, comparePy, dumps, isObject, quote, sortedPy } from "./json.js";
import { INDENT, type TypeMapper, note, requiredSet } from "./mapping.js";
import { bindingName, propertyKey } from "./naming.js";

export interface Signature {
  readonly name: string;
  readonly parameters: string;
  readonly result: string;
  readonly docLines: readonly string[];
}

interface Namespace {
  procedure: (Signature & { readonly returns: string }) | undefined;
  children: Map<string, Namespace>;
}

const namespace = (): Namespace => ({ procedure: undefined, children: new Map() });

/** Whether the entry is a streaming procedure's: `"stream": true` (only `true` counts). */
export function isStream(procedure: Json | undefined): boolean {
  return isObject(procedure) && procedure.get("stream") === true;
}

export function signature(name: string, procedure: JsonObject, mapper: TypeMapper, indent: string): Signature {
  const params = procedure.get("params");
  const doc = jsdoc.textLines(procedure.get("doc"));
  const resultSchema: Json = procedure.has("result") ? (procedure.get("result") as Json) : true;
  const result = mapper.map(resultSchema, indent).text;
  const properties = isObject(params) ? params.get("properties") : undefined;
  if (!isObject(params) || !isObject(properties)) {
    const why = "params are not an object schema; arguments are not checked";
    return { name, parameters: `...args: ${note("unknown[]", why).text}`, result, docLines: doc };
  }
  const requiredNames = requiredSet(params.get("required"));
  const names = [...properties.keys()];
  const lastRequired = lastRequiredIndex(names, requiredNames);
  const rendered: string[] = [];
  const tags: string[] = [];
  const taken: string[] = [];
  names.forEach((wireName, index) => {
    const schema = properties.get(wireName) as Json;
    const local = bindingName(wireName, taken);
    taken.push(local);
    const optional = !requiredNames.has(wireName) && index > lastRequired;
    let typeText = mapper.map(schema, indent).text;
    if (!requiredNames.has(wireName) && !optional) typeText += " /* has a default, but later parameters are required */";
    rendered.push(`${local}${optional ? "?" : ""}: ${typeText}`);
    if (isObject(schema)) tags.push(...paramTag(local, schema));
  });
  return { name, parameters: rendered.join(", "), result, docLines: docLines(doc, tags, resultSchema) };
}

/** The by-name signature: one object of params (`params`), optional when none is required, none when no params. */
export function namedSignature(name: string, procedure: JsonObject, mapper: TypeMapper, indent: string): Signature {
  const params: Json = procedure.has("params") ? (procedure.get("params") as Json) : true;
  const doc = jsdoc.textLines(procedure.get("doc"));
  const resultSchema: Json = procedure.has("result") ? (procedure.get("result") as Json) : true;
  const result = mapper.map(resultSchema, indent).text;
  const parameters = namedParameter(params, mapper.map(params, indent).text);
  return { name, parameters, result, docLines: docLines(doc, [], resultSchema) };
}

/** A signature's JSDoc: the docstring, a blank line, the tags and `@returns` (the result's description). */
function docLines(doc: string[], tags: string[], resultSchema: Json): string[] {
  const resultLines = isObject(resultSchema) ? jsdoc.textLines(resultSchema.get("description")) : [];
  if (resultLines.length) tags.push("@returns " + resultLines.join(" "));
  if (doc.length && tags.length) doc.push("");
  return [...doc, ...tags];
}

/** The index of the last required parameter (-1 for none): only the optional ones after it may be left out. */
function lastRequiredIndex(names: readonly string[], requiredNames: ReadonlySet<string>): number {
  let last = -1;
  names.forEach((n, i) => {
    if (requiredNames.has(n)) last = i;
  });
  return last;
}

/** `params: T`, `params?: T` when no property is required, or nothing when there are no params (`{}`). */
function namedParameter(params: Json, paramsType: string, written?: string): string {
  if (paramsType === "{}") return "";
  const properties = isObject(params) ? params.get("properties") : undefined;
  const requiredNames = isObject(params) ? requiredSet(params.get("required")) : new Set<string>();
  const required = isObject(properties) && [...requiredNames].some((n) => properties.has(n));
  return `params${required ? "" : "?"}: ${written ?? paramsType}`;
}

/** The parameter names of a procedure whose positional call may leave a gap (two optional trailing parameters), else undefined. */
export function gapNames(procedure: Json | undefined): string[] | undefined {
  const params = isObject(procedure) ? procedure.get("params") : undefined;
  const properties = isObject(params) ? params.get("properties") : undefined;
  if (!isObject(params) || !isObject(properties)) return undefined;
  const names = [...properties.keys()];
  const lastRequired = lastRequiredIndex(names, requiredSet(params.get("required")));
  return names.length - lastRequired - 1 >= 2 ? names : undefined;
}

function paramTag(local: string, schema: JsonObject): string[] {
  let text = jsdoc.textLines(schema.get("description")).join(" ");
  const constraints = jsdoc
    .constraintLines(schema)
    .map((line) => (line.startsWith("@") ? line.slice(1) : line))
    .join(", ");
  if (constraints) text = text ? `${text} (${constraints})` : constraints;
  return text ? [`@param ${local} - ${text}`] : [];
}

export function typesInterface(procedures: JsonObject, mapper: TypeMapper, named = false): string {
  const root = namespace();
  for (const wireName of sortedPy(procedures.keys())) {
    let node = root;
    const segments = wireName.split(".");
    for (const segment of segments.slice(0, -1)) node = child(node, segment);
    const leaf = child(node, segments[segments.length - 1] as string);
    const value = procedures.get(wireName) as Json;
    const procedure = isObject(value) ? value : new JsonObject();
    const returns = isStream(procedure) ? "AsyncIterable" : "Promise";
    const sign = named ? namedSignature : signature;
    leaf.procedure = { ...sign(wireName, procedure, mapper, INDENT.repeat(segments.length)), returns };
  }
  return renderMembers(root, INDENT);
}

function child(node: Namespace, segment: string): Namespace {
  let next = node.children.get(segment);
  if (next === undefined) {
    next = namespace();
    node.children.set(segment, next);
  }
  return next;
}

function renderMembers(node: Namespace, indent: string): string {
  const out: string[] = [];
  for (const segment of [...node.children.keys()].sort(comparePy)) {
    const childNode = node.children.get(segment) as Namespace;
    const key = propertyKey(segment);
    const sig = childNode.procedure;
    if (sig !== undefined) out.push(jsdoc.block(sig.docLines, indent));
    if (childNode.children.size === 0 && sig !== undefined) {
      out.push(`${indent}${key}(${sig.parameters}): ${sig.returns}<${sig.result}>;\n`);
      continue;
    }
    out.push(`${indent}${key}: {\n`);
    if (sig !== undefined) out.push(`${indent}${INDENT}(${sig.parameters}): ${sig.returns}<${sig.result}>;\n`);
    out.push(renderMembers(childNode, indent + INDENT));
    out.push(`${indent}};\n`);
  }
  return out.join("");
}

export function proceduresInterface(procedures: JsonObject, mapper: TypeMapper, named = false): string {
  const out: string[] = [];
  const inner = INDENT.repeat(2);
  for (const wireName of sortedPy(procedures.keys())) {
    const value = procedures.get(wireName) as Json;
    const procedure = isObject(value) ? value : new JsonObject();
    const params: Json = procedure.has("params") ? (procedure.get("params") as Json) : true;
    let paramsType = mapper.map(params, inner).text;
    // Named: the one object of the call, written once.
    const args = named
      ? namedParameter(params, paramsType, `Procedures[${quote(wireName)}]["params"]`)
      : signature(wireName, procedure, mapper, inner).parameters;
    if (paramsType === "{}") paramsType = "{ [key: string]: never }";
    const result = mapper.map(procedure.has("result") ? (procedure.get("result") as Json) : true, inner).text;
    out.push(`${INDENT}${propertyKey(wireName)}: {\n`);
    out.push(`${inner}params: ${paramsType};\n${inner}args: [${args}];\n${inner}result: ${result};\n`);
    out.push(`${isStream(procedure) ? `${inner}stream: true;\n` : ""}${errorsMember(procedure, mapper, inner)}${INDENT}};\n`);
  }
  return out.join("");
}

/** The entry's declared errors (`"errors"`) a client can tell apart: objects with an integer `code`. */
export function declaredErrors(procedure: Json | undefined): (JsonObject & { get(key: "code"): bigint })[] {
  const errors = isObject(procedure) ? procedure.get("errors") : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.filter((error): error is JsonObject & { get(key: "code"): bigint } => isObject(error) && typeof error.get("code") === "bigint");
}

/**
 * `errors`: the union of the declared errors, `{ code: 4004; message: string; data: T }` each;
 * `data?: unknown` for one whose entry has no data type; left out when there are none.
 */
function errorsMember(procedure: JsonObject, mapper: TypeMapper, inner: string): string {
  const members = declaredErrors(procedure).map((error) => {
    const data = error.has("data") ? `data: ${mapper.map(error.get("data") as Json, inner + INDENT).text}` : "data?: unknown";
    return `{ code: ${dumps(error.get("code"))}; message: string; ${data} }`;
  });
  if (members.length === 0) return "";
  if (members.length === 1) return `${inner}errors: ${members[0]};\n`;
  return `${inner}errors:${members.map((member) => `\n${inner}${INDENT}| ${member}`).join("")};\n`;
}
