"""``BigInt`` in the generated types: `` `${bigint}` `` in and out, checked with the real tsc.

A result's big integer goes through ``BigInt(...)`` exactly; a bigint goes in as `` `${n}` ``;
a number (or a string that is not an integer) for a ``BigInt`` parameter does not compile.
Each wrong line carries ``@ts-expect-error``, so it fails the run (TS2578) if it compiles.
"""

from __future__ import annotations

from pathlib import Path

import pyrpc_ts
from pyrpc_core import build_schema
from pyrpc_core.plugins import PluginManager
from pyrpc_core.testing.corpus import corpus_registries

from .tsc_project import run_tsc, write_project

STRICTEST = {"exactOptionalPropertyTypes": True, "noUncheckedIndexedAccess": True}

USE = """\
import type { Ledger, LedgerInput, Procedures, SnowflakeInput, Types } from "./types/index.js";

declare const client: Types;

export async function use(n: bigint): Promise<bigint> {
  const sum: bigint = BigInt(await client.big.add(`${n}`, "18446744073709551616"));
  const ledger: Ledger = await client.big.ledger(`${n}`);
  const id: bigint = BigInt(ledger.id);
  const history: bigint[] = ledger.history.map((value) => BigInt(value));
  const limit: bigint | null = ledger.limit === null ? null : BigInt(ledger.limit);
  const entries: number = ledger.entries; // a plain int stays a number
  const input: LedgerInput = { id: `${n}`, history: ["0", "-12"], by_day: { mon: `${-n}` } };
  const [saved, counts] = await client.big.save(input, { a: "1" });
  const total: bigint = BigInt(saved.balance) + BigInt(counts["a"] ?? "0");
  const args: Procedures["big.sum"]["args"] = [[`${n}`], null];
  const flake = await client.big.snowflake({ id: `${n}`, shards: { a: [`${n}`] } }); // a BigIntModel
  const parent: bigint = flake.parent === null ? 0n : BigInt(flake.parent);
  const tally = await client.big.tally({ [`${n}`]: 1, "-2": 3 }); // BigInt keys
  const counted: string | undefined = tally[`${n}`];
  void counted;
  const sums = [sum, id, history[0] ?? 0n, limit ?? 0n, BigInt(entries), total, BigInt(args.length), BigInt(flake.id)];
  return sums.reduce((a, b) => a + b, parent);
}

export async function misuse(n: bigint): Promise<void> {
  // @ts-expect-error a number is not a string of digits
  await client.big.add(1);
  // @ts-expect-error nor is a bigint: the wire carries strings (write `${n}`)
  await client.big.add(n);
  // @ts-expect-error a decimal is not an integer
  await client.big.add("1.5");
  // @ts-expect-error nor is a word
  await client.big.add("many");
  const ledger = await client.big.ledger("1");
  // @ts-expect-error the result is a string, not a number
  const id: number = ledger.id;
  // @ts-expect-error nor a bigint before BigInt(...)
  const big: bigint = ledger.id;
  // @ts-expect-error a number in a model's BigInt field
  const input: LedgerInput = { id: 1 };
  // @ts-expect-error a number in a BigIntModel's int field
  const flake: SnowflakeInput = { id: 1 };
  // @ts-expect-error a key that is not a string of digits
  await client.big.tally({ many: 1 });
  void [id, big, input, flake];
}
"""


def test_bigint_types_compile_for_bigint_use_and_refuse_numbers(tsc: Path, tmp_path: Path) -> None:
    document = build_schema(corpus_registries()["bigints"], PluginManager())
    for path, text in pyrpc_ts.generate(document).items():
        target = tmp_path / "types" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    write_project(tmp_path, {"use.ts": USE}, STRICTEST)
    diagnostics = run_tsc(tsc, tmp_path)
    assert [f"{d.file}:{d.line}: {d.code}: {d.message}" for d in diagnostics] == []


def test_plain_int_stays_number() -> None:
    document = build_schema(corpus_registries()["scalars"], PluginManager())
    assert "add(a: number, b: number): Promise<number>;" in pyrpc_ts.generate(document)["index.d.ts"]
