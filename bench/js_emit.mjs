// Times @pyrpc/client's JavaScript emitter on a schema file, cold, as `npx pyrpc sync` runs it once:
//   node bench/js_emit.mjs schema.json     (prints the seconds)
import { readFileSync } from "node:fs";
import { generateFromText } from "@pyrpc/client/emitter";

const text = readFileSync(process.argv[2], "utf8");
const started = performance.now();
const files = generateFromText(text);
const seconds = (performance.now() - started) / 1000;
if (!files["index.d.ts"]) throw new Error("no index.d.ts generated");
console.log(seconds);
