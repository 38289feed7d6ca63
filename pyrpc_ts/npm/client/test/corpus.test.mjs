// The shared golden corpus (tests/corpus at the repository root): the JavaScript port of the
// emitter must give, for each case's schema.json, exactly the bytes in expected/ that the
// Python emitter gives (tests/ts/test_corpus.py holds the Python side to the same files).
// A case's options.json holds the emitter's options. This side never rewrites the files: it must match them.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { generate, generateFromText } from "../dist/esm/emitter/index.js";

const corpus = fileURLToPath(new URL("../../../../tests/corpus/", import.meta.url));
const cases = readdirSync(corpus).filter((name) => existsSync(`${corpus}${name}/schema.json`)).sort();

test("the corpus is there", () => {
  for (const name of ["zoo", "odd", "empty", "numbers", "names", "text", "deep", "meta", "stream", "calls", "calls-named"]) assert.ok(cases.includes(name), name);
});

for (const name of cases) {
  test(`corpus case ${name}: byte-identical to the Python emitter`, () => {
    // The emitter's options, when the case has them (calls-named: {"calls": "named"}).
    const options = existsSync(`${corpus}${name}/options.json`) ? JSON.parse(readFileSync(`${corpus}${name}/options.json`, "utf8")) : {};
    const files = generateFromText(readFileSync(`${corpus}${name}/schema.json`, "utf8"), options);
    const expectedDir = `${corpus}${name}/expected/`;
    assert.deepEqual(Object.keys(files).sort(), readdirSync(expectedDir).sort());
    for (const [file, text] of Object.entries(files)) {
      const expected = readFileSync(expectedDir + file);
      assert.equal(text, expected.toString("utf8"), `${name}/expected/${file}`);
      assert.ok(Buffer.from(text, "utf8").equals(expected), `${name}/expected/${file} (bytes)`);
    }
  });
}

test("plain values from JSON.parse work too (same bytes when the schema has no 1.0 or integer-like keys)", () => {
  const text = readFileSync(`${corpus}odd/schema.json`, "utf8");
  assert.deepEqual(generate(JSON.parse(text)), generateFromText(text));
  assert.match(generate(JSON.parse(text))["index.d.ts"], /odd\(/);
  assert.deepEqual(generate(undefined), generateFromText("{}"));
});
