// dumps(value, 2): byte for byte Python's json.dumps(value, indent=2, ensure_ascii=False), the
// text of the schema snapshot (pyrpc/schema.json) whichever side writes it.
// fixtures/dumps-expected.json is what Python printed for fixtures/dumps-input.json; with
// PYRPC_PYTHON set (a python executable), every corpus schema is checked against it live too.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { JsonParseError, dumps, fromPlain, parse } from "../dist/esm/emitter/json.js";
import { snapshotText } from "../dist/esm/project.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const corpus = fileURLToPath(new URL("../../../../tests/corpus/", import.meta.url));
const cases = readdirSync(corpus).filter((name) => existsSync(`${corpus}${name}/schema.json`)).sort();

describe("dumps with an indent", () => {
  test("the fixture: floats, big ints, NaN, text and control characters, empty containers, key order", () => {
    const input = readFileSync(`${fixtures}dumps-input.json`, "utf8");
    const expected = readFileSync(`${fixtures}dumps-expected.json`);
    const text = snapshotText(parse(input));
    assert.equal(text, expected.toString("utf8"));
    assert.ok(Buffer.from(text, "utf8").equals(expected));
    assert.equal(dumps(parse(input), 2) + "\n", text);
    assert.equal(dumps(parse(input), { indent: 2 }) + "\n", text);
  });

  test("small cases, as Python writes them", () => {
    const cases = [
      ["{}", "{}"],
      ["[]", "[]"],
      ["1.0", "1.0"],
      ["1e-7", "1e-07"],
      ["1e16", "1e+16"],
      ['"\\u00e9\\u0007\\ud83d\\ude00"', '"é\\u0007😀"'],
      ['{"a": []}', '{\n  "a": []\n}'],
      ['{"a": [{}, 1]}', '{\n  "a": [\n    {},\n    1\n  ]\n}'],
      ['[1, "x", null]', '[\n  1,\n  "x",\n  null\n]'],
    ];
    for (const [input, expected] of cases) assert.equal(dumps(parse(input), 2), expected, input);
    assert.equal(dumps(parse('{"a": [1, {}]}'), 0), '{\n"a": [\n1,\n{}\n]\n}');
    assert.equal(dumps(parse('{"a": [1]}'), { indent: "\t" }), '{\n\t"a": [\n\t\t1\n\t]\n}');
    // Without an indent: one line, Python's default separators (as the emitter uses it).
    assert.equal(dumps(parse('{"a": [1, {}], "b": []}')), '{"a": [1, {}], "b": []}');
    assert.equal(dumps(fromPlain({ b: 1, a: [2.5] }), { sortKeys: true, indent: 2 }), '{\n  "a": [\n    2.5\n  ],\n  "b": 1\n}');
  });

  for (const name of cases) {
    test(`corpus ${name}: parse(dumps(parse(text))) is the same document, and dumps is stable`, () => {
      const document = parse(readFileSync(`${corpus}${name}/schema.json`, "utf8"));
      const text = dumps(document, 2);
      assert.deepEqual(parse(text), document);
      assert.equal(dumps(parse(text), 2), text);
    });
  }

  const python = process.env.PYRPC_PYTHON;
  for (const name of cases) {
    test(`corpus ${name}: byte-identical to Python's json.dumps(indent=2, ensure_ascii=False)`, { skip: python ? false : "PYRPC_PYTHON is not set" }, () => {
      const file = `${corpus}${name}/schema.json`;
      const script = 'import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1], encoding="utf-8")), indent=2, ensure_ascii=False) + "\\n")';
      const completed = spawnSync(python, ["-c", script, file], { encoding: "buffer" });
      assert.equal(completed.status, 0, String(completed.stderr));
      assert.ok(Buffer.from(snapshotText(parse(readFileSync(file, "utf8"))), "utf8").equals(completed.stdout), name);
    });
  }
});

describe("parse errors", () => {
  test("carry the line and the column", () => {
    try {
      parse('{\n  "a": 1,\n  "b": nope\n}');
      assert.fail("no error");
    } catch (error) {
      assert.ok(error instanceof JsonParseError);
      assert.equal(error.line, 3);
      assert.equal(error.column, 8);
      assert.equal(error.reason, "unexpected token");
      assert.match(error.message, /unexpected token at position 19/);
    }
  });
});
