"""Run the benchmarks and print one table of ratios measured side by side in this run.

    make bench                       # the full run (a few minutes)
    python -m bench.run --tiny       # a seconds-long smoke run (what the test suite does)

Absolute numbers depend on the machine; the targets are ratios against peers measured in the
same run. ``--markdown FILE`` also writes the tables as Markdown (docs/performance.md).
"""

from __future__ import annotations

import argparse
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from . import (
    batch_bench,
    cli_bench,
    codegen_bench,
    dev_bench,
    hook_bench,
    http_bench,
    memory_bench,
    startup_bench,
    stream_bench,
)
from .synthetic import GROUPS


@dataclass(frozen=True)
class Settings:
    http_seconds: float
    http_rounds: int
    connections: int
    batch_rounds: int
    batch_slow_rounds: int
    slow_batch_ms: tuple[int, int]
    procedures: int
    models: int
    dev_procedures: int
    dev_saves: int
    memory_requests: int
    hook_calls: int
    hook_runs: int
    cli_runs: int
    stream_items: int
    stream_rounds: int
    stream_firsts: int
    startup_runs: int


FULL = Settings(3, 5, 32, 30, 5, (800, 40), 2000, 1000, 500, 9, 100_000, 20_000, 5, 15, 10_000, 15, 50, 3)
TINY = Settings(0.3, 1, 4, 2, 1, (200, 10), 40, 20, 20, 1, 2_000, 300, 2, 1, 200, 1, 3, 1)


def ratio(value: float | None, reference: float | None) -> str:
    return f"{value / reference:.2f}" if value and reference else "n/a"


def seconds(value: float | None) -> str:
    return f"{value:.3f} s" if value is not None else "n/a"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def run(settings: Settings, only: set[str]) -> list[str]:
    """Measure and return the report as Markdown lines."""
    lines = [f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}", ""]
    if "http" in only:
        runs = http_bench.measure(
            http_bench.TARGETS,
            settings.http_seconds,
            settings.connections,
            warm_up=settings is FULL,
            rounds=settings.http_rounds,
        )
        results = {
            name: {call: http_bench.median_load(loads) for call, loads in calls.items()} for name, calls in runs.items()
        }
        floor = results["floor (hand-written ASGI)"]
        lines += [
            f"## Requests over HTTP (one server worker, 127.0.0.1; median of {settings.http_rounds} rounds)",
            "",
            "Ratios of the targets: the median of the ratios of the rounds, in which the servers take turns",
            "on each call.",
            "",
        ]
        lines += ["| server | call | req/s | p50 ms | p99 ms | errors | vs floor |", "|---|---|---|---|---|---|---|"]
        for name, calls in results.items():
            for call, load in calls.items():
                lines.append(
                    f"| {name} | {call} | {load.rps:,.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f} | {load.errors} "
                    f"| {ratio(load.rps, floor[call].rps)} |"
                )
        lines += ["", "| target | call | ratio | goal | |", "|---|---|---|---|---|"]
        goals = [
            ("pyrpc-asgi / floor", "pyrpc-asgi", "floor (hand-written ASGI)", 0.8),
            ("pyrpc-asgi, sync procedures / floor", "pyrpc-asgi (sync procedures)", "floor (hand-written ASGI)", 0.75),
            ("pyrpc-fastapi / fastapi-jsonrpc", "pyrpc-fastapi", "fastapi-jsonrpc", 2.0),
            ("pyrpc-fastapi / pyrpc-asgi", "pyrpc-fastapi", "pyrpc-asgi", 0.85),
            (
                "pyrpc-fastapi, FastAPI telemetry off / pyrpc-asgi",
                "pyrpc-fastapi (FastAPI telemetry off)",
                "pyrpc-asgi",
                0.85,
            ),
            ("pyrpc-flask / flask route", "pyrpc-flask", "flask (plain route)", 0.9),
        ]
        for label, ours, theirs, goal in goals:
            for call in http_bench.CALLS:
                value = http_bench.median_ratio(runs[ours][call], runs[theirs][call])
                lines.append(f"| {label} | {call} | {value:.2f} | ≥ {goal} | {verdict(value >= goal)} |")
        lines.append("")
    if "hook" in only:
        hook = hook_bench.measure(settings.hook_calls, settings.hook_runs)
        lines += [
            f"## The pyrpc_call hook: `add` through the dispatcher, in process (µs per call, best of "
            f"{settings.hook_runs} runs of {settings.hook_calls:,})",
            "",
            "| path | no pyrpc_call plugin | a no-op pyrpc_call wrapper | ratio |",
            "|---|---|---|---|",
        ]
        for result in hook:
            lines.append(
                f"| {result.path} | {result.none_us:.1f} µs | {result.no_op_us:.1f} µs "
                f"| {ratio(result.no_op_us, result.none_us)} |"
            )
        lines.append("")
    if "cli" in only:
        cli = cli_bench.measure(settings.cli_runs)
        lines += [
            f"## The pyrpc command's start, every plugin installed (median of {settings.cli_runs} runs)",
            "",
            "| command | time | goal |",
            "|---|---|---|",
        ]
        for name, took in cli.items():
            goal = cli_bench.GOALS[name]
            lines.append(f"| `{name}` | {took:.3f} s | < {goal} s: {verdict(took < goal)} |")
        lines.append("")
    if "batch" in only:
        batch = batch_bench.measure(settings.batch_rounds)
        lines += ["## A batch of 100 calls that each wait 20 ms", "", "| server | p50 ms | max ms | goal |"]
        lines.append("|---|---|---|---|")
        for name, result in batch.items():
            goal = f"< 60 ms: {verdict(result.p50_ms < 60)}" if name == "pyrpc-asgi" else ""
            lines.append(f"| {name} | {result.p50_ms:.1f} | {result.max_ms:.1f} | {goal} |")
        lines.append("")
        slow_ms, fast_ms = settings.slow_batch_ms
        slow = batch_bench.measure_slow(settings.batch_slow_rounds, slow_ms, fast_ms)
        lines += [
            f"## A batch of a {fast_ms} ms call beside a {slow_ms} ms one: when the fast answer arrives",
            "",
            "| answers | fast call's answer ms | whole response ms | fast answer / slow call |",
            "|---|---|---|---|",
        ]
        for mode, timing in slow.items():
            lines.append(f"| {mode} | {timing.fast_ms:.1f} | {timing.whole_ms:.1f} | {timing.fast_ms / slow_ms:.2f} |")
        lines.append("")
    if "stream" in only:
        streams = stream_bench.measure(settings.stream_items, settings.stream_rounds, settings.stream_firsts)
        lines += [
            f"## Streaming: a stream of {settings.stream_items:,} items over Server-Sent Events (one uvicorn "
            f"worker serving both; median of {settings.stream_rounds} rounds)",
            "",
            f"Time to the first item: from the request to the first event, median of {settings.stream_firsts} "
            f"streams of {stream_bench.FIRST_ITEMS} items. Ratios: the median of the ratios of the rounds, "
            "in which both servers take turns.",
            "",
            "| server | items | items/s | first item ms | vs floor |",
            "|---|---|---|---|---|",
        ]
        for name, by_method in streams.items():
            for method, result in by_method.items():
                lines.append(
                    f"| {name} | {stream_bench.ITEMS[method]} | {result.items_per_second:,.0f} | "
                    f"{result.first_ms:.2f} | {result.items_vs_floor:.2f} |"
                )
        lines += ["", "| target | items | ratio | goal | |", "|---|---|---|---|---|"]
        ours = streams["pyrpc-asgi"]
        for method in stream_bench.CALLS:
            value = ours[method].items_vs_floor
            lines.append(
                f"| pyrpc-asgi / floor, items/s | {stream_bench.ITEMS[method]} | {value:.2f} | ≥ 0.8 "
                f"| {verdict(value >= 0.8)} |"
            )
        for method in stream_bench.CALLS:
            lines.append(
                f"| pyrpc-asgi / floor, time to the first item | {stream_bench.ITEMS[method]} "
                f"| {ours[method].first_vs_floor:.2f} | (reported) | |"
            )
        lines.append("")
    if "codegen" in only:
        codegen = codegen_bench.measure(settings.procedures, settings.models, with_peer=settings is FULL)
        s = codegen.seconds
        peer = s.get("peer: pydantic-to-typescript")
        lines += [f"## Code generation: {codegen.procedures} procedures over {codegen.models} models", ""]
        lines += ["| step | time | vs peer | goal |", "|---|---|---|---|"]
        python_goal = verdict(s["python emitter"] < 0.5 if s["python emitter"] is not None else None)
        js = s.get("javascript emitter")
        lines.append(
            f"| python emitter | {seconds(s['python emitter'])} | {ratio(s['python emitter'], peer)} | "
            f"< 0.5 s: {python_goal} |"
        )
        lines.append(
            f"| javascript emitter | {seconds(js)} | {ratio(js, peer)} | "
            f"< 0.3 s: {verdict(js < 0.3 if js is not None else None)} |"
        )
        lines.append(f"| peer: pydantic-to-typescript | {seconds(peer)} | 1.00 | emitters ≥ 10x faster |")
        schema_seconds = s["schema (build_schema)"]
        lines.append(f"| schema document (build_schema) | {seconds(schema_seconds)} | | |")
        end_to_end = schema_seconds + s["python emitter"] if schema_seconds is not None else None
        lines.append(
            f"| models to TypeScript (build_schema + python emitter) | {seconds(end_to_end)} | "
            f"{ratio(end_to_end, peer)} | (what the peer does end to end) |"
        )
        half, full = s.get("tsc (half API)"), s.get("tsc (full API)")
        growth = ratio(full, half)
        lines.append(
            f"| tsc --noEmit, half / full API | {seconds(half)} / {seconds(full)} | growth x{growth} "
            f"for x2 the API | linear (≤ 2.2): {verdict(full / half <= 2.2 if full and half else None)} |"
        )
        lines.append("")
    if "startup" in only:
        startup = startup_bench.measure(settings.procedures, settings.models, settings.startup_runs)
        lines += [
            f"## Start-up: {startup.procedures} procedures over {startup.models} models "
            f"(fresh interpreters, median of {settings.startup_runs})",
            "",
            "| step | time | ratio | goal |",
            "|---|---|---|---|",
            f"| import the models alone | {seconds(startup.import_models)} | 1.00 | |",
            f"| import the API (models and procedures) | {seconds(startup.import_api)} | "
            f"{startup.import_ratio:.2f} | ≤ 1.25: {verdict(startup.import_ratio <= 1.25)} |",
            f"| pydantic's models_json_schema, the same models | {seconds(startup.models_json_schema)} | 1.00 | |",
            f"| build_schema, cold | {seconds(startup.build_schema)} | {startup.schema_ratio:.2f} | "
            f"≤ 1.5: {verdict(startup.schema_ratio <= 1.5)} |",
            "",
        ]
    if "dev" in only:
        by_edit = dev_bench.measure(settings.dev_procedures, settings.dev_saves)
        by_edit[dev_bench.FLOOR] = dev_bench.models_floor(settings.dev_procedures, settings.dev_saves)
        floor = dev_bench.p50(by_edit[dev_bench.FLOOR])
        lines += [
            f"## pyrpc dev: save to types, {settings.dev_procedures} procedures in {GROUPS} group modules",
            "",
        ]
        lines += ["| edit | saves | p50 | max | vs floor | goal |", "|---|---|---|---|---|---|"]
        goals = {
            dev_bench.LEAF: (0.4, "300 ms debounce included"),
            dev_bench.MODELS: (0.7, f"the floor below is {floor * 1000:.0f} ms"),
        }
        for edit, timings in by_edit.items():
            p50 = dev_bench.p50(timings)
            against = ratio(p50, floor) if edit == dev_bench.MODELS else ""
            goal = ""
            if edit in goals:
                limit, why = goals[edit]
                goal = f"< {limit * 1000:.0f} ms ({why}): {verdict(p50 < limit)}"
            lines.append(
                f"| {edit} | {len(timings)} | {p50 * 1000:.0f} ms | {max(timings) * 1000:.0f} ms | {against} | {goal} |"
            )
        lines.append("")
    if "memory" in only:
        memory = memory_bench.measure(settings.memory_requests)
        lines += ["## Server memory (pyrpc-asgi, the nested-model call)", ""]
        lines += ["| requests | before | after | growth | goal |", "|---|---|---|---|---|"]
        lines.append(
            f"| {memory.requests:,} | {memory.before_mb:.1f} MB | {memory.after_mb:.1f} MB | "
            f"{memory.growth_mb:+.1f} MB | < 5 MB: {verdict(memory.growth_mb < 5)} |"
        )
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="a seconds-long smoke run")
    parser.add_argument(
        "--only", default="http,hook,cli,batch,stream,codegen,startup,dev,memory", help="comma-separated benchmarks"
    )
    parser.add_argument("--markdown", type=Path, help="also write the report to this Markdown file")
    args = parser.parse_args(argv)
    lines = run(TINY if args.tiny else FULL, set(args.only.split(",")))
    report = "\n".join(lines)
    print(report)
    if args.markdown:
        write_report(args.markdown, report)
    return 0


START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def write_report(path: Path, report: str) -> None:
    """Put the report between the markers of ``path`` (keeping the prose around them), or write it whole."""
    text = path.read_text() if path.exists() else ""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        path.write_text(f"{head}{START}\n{report}\n{END}{rest.split(END, 1)[1]}")
    else:
        path.write_text(report + "\n")


if __name__ == "__main__":
    sys.exit(main())
