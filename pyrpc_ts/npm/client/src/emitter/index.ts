/** The TypeScript emitter, ported from pyrpc-ts: `generate(schema)` gives the files of `@pyrpc/types`. */
export { generate, generateFromText, BANNER, CALLS, FILES, type Calls, type EmitterOptions, type GeneratedFiles } from "./emit.js";
export { parse, dumps, fromPlain, JsonObject, JsonParseError, type Json } from "./json.js";
