"""Where a ``pyrpc dev`` save's time goes, in process, on the dev bench's project (not part of ``make bench``).

    python -m bench.dev_profile [--procedures 500] [--saves 7]

``dev_bench`` times a real ``pyrpc dev`` from the save to the types on disk; this runs the same
session's ``regenerate`` in this process for the same two edits and splits each (median of the
saves, the debounce left out):

- re-importing the changed modules and what imports them (the user's code: pydantic builds
  its classes there);
- the procedures' params models and result adapters (built when the schema asks for them);
- generating the schema document;
- the emitter, the snapshot and the writes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

PARTS = ("re-import", "params models and result adapters", "schema", "types and snapshot")


class Splits:
    """Seconds by part for the save being timed; a part nested in another is taken out of it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[str] = []

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        self._stack.append(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self._stack.pop()
            self.seconds[name] += elapsed
            if self._stack:
                self.seconds[self._stack[-1]] -= elapsed


def _timed(splits: Splits, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        with splits.part(name):
            return function(*args, **kwargs)

    return timed


def profile(procedures: int, saves: int) -> dict[str, dict[str, float]]:
    """Median seconds by part, by edit (the dev bench's labels)."""
    from pyrpc_core import procedure as procedure_module
    from pyrpc_core.endpoint import Endpoint
    from pyrpc_core.tooling.config import load_config
    from pyrpc_core.tooling.dev import DevSession
    from pyrpc_core.tooling.reload import Project

    from .dev_bench import edits, write_project

    splits = Splits()
    # The session's own steps, wrapped where they are looked up (the classes and modules using them).
    Project.reload = _timed(splits, "re-import", Project.reload)  # type: ignore[method-assign]
    Endpoint.schema = _timed(splits, "schema", Endpoint.schema)  # type: ignore[method-assign]
    DevSession.write_types = _timed(splits, "types and snapshot", DevSession.write_types)  # type: ignore[method-assign]
    for name in ("params_model", "result_adapter"):  # built once per procedure object, when first asked for
        built = procedure_module.Procedure.__dict__[name]
        timed = cached_property(_timed(splits, "params models and result adapters", built.func))
        timed.__set_name__(procedure_module.Procedure, name)
        setattr(procedure_module.Procedure, name, timed)

    with tempfile.TemporaryDirectory() as temporary:
        package = write_project(Path(temporary), procedures)
        backend = package.parent
        sys.path.insert(0, str(backend))
        from pyrpc_core.plugins import get_plugin_manager

        project = Project(load_config(backend / "pyrpc.json"))
        session = DevSession(project, project.load(), get_plugin_manager().get_emitter("typescript"))
        session.write_types()
        results: dict[str, dict[str, float]] = {}
        for label, (path, old, new) in edits(package).items():
            source = path.read_text()
            by_part: dict[str, list[float]] = defaultdict(list)
            for save in range(saves):
                path.write_text(source.replace(old, new.format(save)))
                splits.seconds.clear()
                started = time.perf_counter()
                session.regenerate([path])
                total = time.perf_counter() - started
                for part in PARTS:
                    by_part[part].append(splits.seconds.get(part, 0.0))
                by_part["all"].append(total)
            results[label] = {part: statistics.median(values) for part, values in by_part.items()}
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procedures", type=int, default=500)
    parser.add_argument("--saves", type=int, default=7)
    args = parser.parse_args()
    for label, parts in profile(args.procedures, args.saves).items():
        print(label)
        for part, seconds in parts.items():
            print(f"  {part:36} {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
