/**
 * JSON as Python's `json` module sees it, so the port emits the same bytes as pyrpc-ts.
 *
 * `JSON.parse` loses two things the Python emitter keeps: the order of integer-like keys
 * (a JS object lists `"1"` before `"b"`) and the difference between `1` and `1.0`. So the
 * schema is read with this small parser into `JsonObject` (a `Map`, insertion order kept),
 * integers as `bigint` (exact, like Python's `int`) and other numbers as `number` (Python's
 * `float`). `dumps` writes values back the way `json.dumps(..., ensure_ascii=...)` does.
 */

export type Json = null | boolean | bigint | number | string | Json[] | JsonObject;

/** A JSON object: keys in document order, duplicates resolved like Python (the last wins). */
export class JsonObject extends Map<string, Json> {}

export function isObject(value: unknown): value is JsonObject {
  return value instanceof JsonObject;
}

/** Python's `isinstance(value, int)`: bools are ints too. */
export function isPyInt(value: unknown): value is bigint | boolean {
  return typeof value === "bigint" || typeof value === "boolean";
}

export class JsonParseError extends Error {
  override name = "JsonParseError";
  /** Where in the text (a UTF-16 index), line and column counted from 1. */
  readonly position: number;
  readonly line: number;
  readonly column: number;
  /** What is wrong, without the place (`message` has both). */
  readonly reason: string;

  constructor(reason: string, text: string, position: number) {
    super(`${reason} at position ${position}`);
    this.reason = reason;
    this.position = position;
    const before = text.slice(0, position);
    this.line = before.split("\n").length;
    this.column = position - (before.lastIndexOf("\n") + 1) + 1;
  }
}

/** Parse JSON text (also Python's `NaN`, `Infinity`, `-Infinity`, which `json.loads` accepts). */
export function parse(text: string): Json {
  let at = 0;
  const fail = (what: string): never => {
    throw new JsonParseError(what, text, at);
  };
  const space = (): void => {
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) at++;
      else break;
    }
  };
  const word = (w: string, value: Json): Json => {
    if (text.startsWith(w, at)) {
      at += w.length;
      return value;
    }
    return fail("unexpected token");
  };
  const string = (): string => {
    at++; // the opening quote
    let out = "";
    let start = at;
    for (;;) {
      if (at >= text.length) fail("unterminated string");
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        out += text.slice(start, at);
        at++;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c !== 0x5c) {
        at++;
        continue;
      }
      out += text.slice(start, at);
      const e = text[at + 1];
      at += 2;
      switch (e) {
        case '"': out += '"'; break;
        case "\\": out += "\\"; break;
        case "/": out += "/"; break;
        case "b": out += "\b"; break;
        case "f": out += "\f"; break;
        case "n": out += "\n"; break;
        case "r": out += "\r"; break;
        case "t": out += "\t"; break;
        case "u": {
          const hex = text.slice(at, at + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          at += 4;
          break;
        }
        default:
          fail("bad escape");
      }
      start = at;
    }
  };
  const number = (): Json => {
    const match = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(at));
    if (match === null) return fail("unexpected token");
    at += match[0].length;
    if (match[1] === undefined && match[2] === undefined) return BigInt(match[0]);
    return Number(match[0]);
  };
  const value = (depth: number): Json => {
    if (depth > 10000) fail("nested too deeply");
    space();
    const c = text[at];
    if (c === "{") {
      at++;
      const object = new JsonObject();
      space();
      if (text[at] === "}") {
        at++;
        return object;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail("expected a key");
        const key = string();
        space();
        if (text[at] !== ":") fail("expected ':'");
        at++;
        // A repeated key keeps its first place and takes the last value, as in a Python dict.
        object.set(key, value(depth + 1));
        space();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "}") {
          at++;
          return object;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      at++;
      const array: Json[] = [];
      space();
      if (text[at] === "]") {
        at++;
        return array;
      }
      for (;;) {
        array.push(value(depth + 1));
        space();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "]") {
          at++;
          return array;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === "t") return word("true", true);
    if (c === "f") return word("false", false);
    if (c === "n") return word("null", null);
    if (c === "N") return word("NaN", NaN);
    if (c === "I") return word("Infinity", Infinity);
    if (c === "-" && text.startsWith("-Infinity", at)) return word("-Infinity", -Infinity);
    return number();
  };
  const result = value(0);
  space();
  if (at !== text.length) fail("extra data");
  return result;
}

/** Python's `repr(float)`: the shortest digits that round-trip, Python's layout. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, exponent] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const point = Number(exponent) + 1; // the value is 0.<digits> * 10 ** point
  if (point > 16 || point <= -4) {
    const rest = digits.slice(1);
    const e = point - 1;
    const magnitude = String(Math.abs(e)).padStart(2, "0");
    return `${sign}${digits[0]}${rest ? "." + rest : ""}e${e < 0 ? "-" : "+"}${magnitude}`;
  }
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Python's `json.dumps` of a float. */
function floatJson(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return floatRepr(x);
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

function hex4(code: number): string {
  return "\\u" + code.toString(16).padStart(4, "0");
}

/** Python's `json.dumps(text, ensure_ascii=...)` of a string. */
export function quote(text: string, ensureAscii = false): string {
  const pattern = ensureAscii ? /["\\\x00-\x1f\x7f-\uffff]/g : /["\\\x00-\x1f]/g;
  return (
    '"' +
    text.replace(pattern, (c) => {
      const short = SHORT_ESCAPES[c];
      if (short !== undefined) return short;
      const code = c.charCodeAt(0);
      return code === 0x7f && !ensureAscii ? c : hex4(code);
    }) +
    '"'
  );
}

/** Python's string order: by code point (JS compares UTF-16 units, which differs above U+FFFF). */
export function comparePy(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

export function sortedPy(items: Iterable<string>): string[] {
  return [...items].sort(comparePy);
}

export interface DumpOptions {
  ensureAscii?: boolean;
  sortKeys?: boolean;
  /** Python's `indent`: a number of spaces or the text of one level; none writes one line. */
  indent?: number | string | undefined;
}

/**
 * Python's `json.dumps(value, ensure_ascii=..., sort_keys=..., indent=...)` with its default
 * separators (`", "` on one line, `","` and a newline with an indent). `dumps(value, 2)` is
 * `json.dumps(value, indent=2, ensure_ascii=False)`: empty containers stay `{}` and `[]`.
 */
export function dumps(value: Json, options: DumpOptions | number = {}): string {
  const settings: DumpOptions = typeof options === "number" ? { indent: options } : options;
  const ensureAscii = settings.ensureAscii ?? false;
  const sortKeys = settings.sortKeys ?? false;
  const indent = settings.indent;
  const unit = indent === undefined ? undefined : typeof indent === "number" ? " ".repeat(Math.max(0, indent)) : indent;
  const write = (v: Json, level: number): string => {
    if (v === null) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "number") return floatJson(v);
    if (typeof v === "string") return quote(v, ensureAscii);
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      if (unit === undefined) return "[" + v.map((item) => write(item, level)).join(", ") + "]";
      const inner = "\n" + unit.repeat(level + 1);
      return "[" + inner + v.map((item) => write(item, level + 1)).join("," + inner) + "\n" + unit.repeat(level) + "]";
    }
    const keys = sortKeys ? sortedPy(v.keys()) : [...v.keys()];
    if (keys.length === 0) return "{}";
    const member = (k: string, next: number): string => `${quote(k, ensureAscii)}: ${write(v.get(k) as Json, next)}`;
    if (unit === undefined) return "{" + keys.map((k) => member(k, level)).join(", ") + "}";
    const inner = "\n" + unit.repeat(level + 1);
    return "{" + inner + keys.map((k) => member(k, level + 1)).join("," + inner) + "\n" + unit.repeat(level) + "}";
  };
  return write(value, 0);
}

/** Plain JS values (as tests and callers write them) to `Json`: integral numbers become ints. */
export function fromPlain(value: unknown): Json {
  if (value === null || typeof value === "boolean" || typeof value === "string" || typeof value === "bigint") {
    return value;
  }
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(fromPlain);
  if (typeof value === "object") {
    const object = new JsonObject();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) object.set(k, fromPlain(v));
    return object;
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}
