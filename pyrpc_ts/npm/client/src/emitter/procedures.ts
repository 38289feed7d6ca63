/**
 * Procedures as TypeScript: `Types` nested by dotted name (a streaming procedure returns
 * `AsyncIterable<Item>`), `Procedures` flat with params by name (`params`) and by position
 * (`args`), and `stream: true` for a streaming one (port of procedures.py).
 */

import * as jsdoc from "./jsdoc.js";
import { type Json, JsonObject, comparePy, isObject, sortedPy } from "./json.js";
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
  let lastRequired = -1;
  names.forEach((n, i) => {
    if (requiredNames.has(n)) lastRequired = i;
  });
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
  const resultLines = isObject(resultSchema) ? jsdoc.textLines(resultSchema.get("description")) : [];
  if (resultLines.length) tags.push("@returns " + resultLines.join(" "));
  if (doc.length && tags.length) doc.push("");
  return { name, parameters: rendered.join(", "), result, docLines: [...doc, ...tags] };
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

export function typesInterface(procedures: JsonObject, mapper: TypeMapper): string {
  const root = namespace();
  for (const wireName of sortedPy(procedures.keys())) {
    let node = root;
    const segments = wireName.split(".");
    for (const segment of segments.slice(0, -1)) node = child(node, segment);
    const leaf = child(node, segments[segments.length - 1] as string);
    const value = procedures.get(wireName) as Json;
    const procedure = isObject(value) ? value : new JsonObject();
    const returns = isStream(procedure) ? "AsyncIterable" : "Promise";
    leaf.procedure = { ...signature(wireName, procedure, mapper, INDENT.repeat(segments.length)), returns };
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

export function proceduresInterface(procedures: JsonObject, mapper: TypeMapper): string {
  const out: string[] = [];
  const inner = INDENT.repeat(2);
  for (const wireName of sortedPy(procedures.keys())) {
    const value = procedures.get(wireName) as Json;
    const procedure = isObject(value) ? value : new JsonObject();
    const params: Json = procedure.has("params") ? (procedure.get("params") as Json) : true;
    let paramsType = mapper.map(params, inner).text;
    if (paramsType === "{}") paramsType = "{ [key: string]: never }";
    const args = signature(wireName, procedure, mapper, inner).parameters;
    const result = mapper.map(procedure.has("result") ? (procedure.get("result") as Json) : true, inner).text;
    out.push(`${INDENT}${propertyKey(wireName)}: {\n`);
    out.push(`${inner}params: ${paramsType};\n${inner}args: [${args}];\n${inner}result: ${result};\n`);
    out.push(`${isStream(procedure) ? `${inner}stream: true;\n` : ""}${INDENT}};\n`);
  }
  return out.join("");
}
