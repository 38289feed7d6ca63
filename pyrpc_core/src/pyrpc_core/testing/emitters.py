"""The emitter harness: a corpus of schema documents, and checks that an emitter turns them into stable files."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from ..plugins import Emitter

# -- the emitter harness -------------------------------------------------------------------
#
# An emitter author checks their emitter against a corpus of introspection documents:
#
#     from pyrpc_core.testing import EmitterHarness
#
#     class TestMyEmitter(EmitterHarness):
#         @pytest.fixture(scope="class")
#         @classmethod
#         def emitter(cls):
#             return Emitter(name="mylang", language="mylang", generate=my_generate)
#
# or, outside pytest, ``check_emitter(emitter)``.


def schema_corpus() -> dict[str, dict[str, Any]]:
    """The corpus: introspection documents an emitter must turn into files, by name.

    Built afresh with ``build_schema`` (without any installed plugin's amendments) from
    registries of assorted signatures: ``empty``; ``scalars`` (numbers, strings, bytes,
    dates and times, UUID, Decimal, Any, no params, no result, an injected Context);
    ``containers`` (lists, sets, tuples, dicts, nullable vs optional, literals, unions);
    ``models`` (pydantic models with distinct input and output shapes, string and integer
    enums, recursive and mutually recursive models, a generic model, a discriminated union,
    field names that are keywords or not identifiers, a dataclass, TypedDicts); ``names``
    (dotted namespaces, a name that is also a namespace, keywords, unicode, docs holding
    quotes, backslashes and control characters); ``aliases`` (field aliases, camelCase
    aliases from an alias generator, a computed field's alias, validation and serialization
    aliases that differ, an aliased parameter, in models, a dataclass and a TypedDict);
    ``amended`` (``scalars`` with keys a ``pyrpc_amend_schema`` plugin may add, which an
    emitter must ignore).
    """
    from .corpus import build_corpus

    return build_corpus()


def reordered(document: Any) -> Any:
    """``document`` with the key order of every mapping reversed, except the entries of ``properties``.

    The order of ``properties`` means something (the parameters' order, by-position calls);
    the order of every other mapping (the procedures, ``$defs``, the keys of a schema) does
    not, so an emitter's output must not depend on it.
    """
    return _reordered(document, keep_order=False)


def _reordered(value: Any, keep_order: bool) -> Any:
    if isinstance(value, list):
        return [_reordered(item, False) for item in value]
    if isinstance(value, dict):
        items = [(key, _reordered(item, key == "properties")) for key, item in value.items()]
        return dict(items if keep_order else reversed(items))
    return value


class EmitterCheckError(AssertionError):
    """An emitter failed a check of the harness; the message names the corpus document."""


def generate_checked(emitter: Emitter, name: str, document: dict[str, Any]) -> dict[str, str]:
    """``emitter.generate(document)``, checked: it did not raise, did not change ``document``,
    and returned ``{plain relative path: text}`` with at least one file."""
    before = json.dumps(document, sort_keys=True)
    try:
        files = emitter.generate(document)
    except Exception as exc:
        raise EmitterCheckError(
            f"emitter {emitter.name!r} raised on corpus document {name!r}: {type(exc).__name__}: {exc}"
        ) from exc
    if json.dumps(document, sort_keys=True) != before:
        raise EmitterCheckError(f"emitter {emitter.name!r} changed the document {name!r} it was given")
    if not isinstance(files, dict) or not files:
        raise EmitterCheckError(
            f"emitter {emitter.name!r} returned {files!r} for {name!r}, not a non-empty {{path: text}} dict"
        )
    for path, text in files.items():
        if not isinstance(path, str) or not _plain_relative(path):
            raise EmitterCheckError(f"emitter {emitter.name!r}: {path!r} (for {name!r}) is not a plain relative path")
        if not isinstance(text, str):
            raise EmitterCheckError(f"emitter {emitter.name!r}: {path!r} (for {name!r}) is {type(text).__name__}")
    return files


def _plain_relative(path: str) -> bool:
    return not any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in path.split("/"))


def check_emitter(emitter: Emitter, corpus: Mapping[str, dict[str, Any]] | None = None) -> dict[str, dict[str, str]]:
    """Check ``emitter`` on every document of ``corpus`` (``schema_corpus()`` by default).

    For each document: ``generate_checked``; the same output a second time; the same
    output when every mapping's key order is reversed (``reordered``). Raises
    ``EmitterCheckError`` naming the document; returns the outputs by document name.
    """
    outputs = {}
    for name, document in (corpus if corpus is not None else schema_corpus()).items():
        first = generate_checked(emitter, name, copy.deepcopy(document))
        if generate_checked(emitter, name, copy.deepcopy(document)) != first:
            raise EmitterCheckError(f"emitter {emitter.name!r} gave different output twice for {name!r}")
        if generate_checked(emitter, name, reordered(document)) != first:
            raise EmitterCheckError(
                f"emitter {emitter.name!r}: the output for {name!r} depends on the key order of the document"
            )
        outputs[name] = first
    return outputs


_FRESH_PROCESS = """
import json, sys
from pyrpc_core import get_plugin_manager
from pyrpc_core.testing import schema_corpus

emitter = get_plugin_manager().get_emitter(sys.argv[1])
print(json.dumps({name: emitter.generate(document) for name, document in schema_corpus().items()}))
"""


def generate_in_fresh_process(name: str, hash_seed: int) -> dict[str, dict[str, str]]:
    """The output of the installed emitter ``name`` on the corpus, from a new Python process.

    ``hash_seed`` sets ``PYTHONHASHSEED``: an emitter that iterates over a ``set`` of strings
    gives different files from one run to the next, which shows here.
    """
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, name],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
        check=False,
    )
    if result.returncode != 0:
        raise EmitterCheckError(f"emitter {name!r} failed in a fresh process:\n{result.stderr}")
    outputs: dict[str, dict[str, str]] = json.loads(result.stdout)
    return outputs


UPDATE_SNAPSHOTS = "PYRPC_UPDATE_SNAPSHOTS"
"""Set this environment variable to 1 to (re)write an ``EmitterHarness``'s snapshots."""


class EmitterHarness:
    """The emitter suite; subclass it (as ``Test...``) and provide the ``emitter`` fixture.

    ``emitter`` returns the ``pyrpc_core.Emitter`` under test. Every check runs on every
    document of ``schema_corpus()``. Set ``snapshot_dir`` to a folder to also compare the
    output with files committed there (run once with ``PYRPC_UPDATE_SNAPSHOTS=1`` to write
    them): the output then stays stable from one version of the emitter to the next, and
    any change shows in review.
    """

    snapshot_dir: Path | None = None

    @pytest.fixture(scope="class")
    @classmethod
    def corpus(cls) -> dict[str, dict[str, Any]]:
        return schema_corpus()

    @pytest.fixture(scope="class")
    @classmethod
    def outputs(cls, emitter: Emitter, corpus: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
        return {name: generate_checked(emitter, name, copy.deepcopy(document)) for name, document in corpus.items()}

    def test_every_document_gives_text_files_at_plain_relative_paths(
        self, emitter: Emitter, corpus: dict[str, dict[str, Any]]
    ) -> None:
        for name, document in corpus.items():
            generate_checked(emitter, name, copy.deepcopy(document))

    def test_descriptor(self, emitter: Emitter) -> None:
        assert isinstance(emitter, Emitter)
        assert emitter.name, emitter
        assert emitter.name == emitter.name.strip(), emitter
        assert emitter.language, emitter

    def test_same_output_twice(
        self, emitter: Emitter, corpus: dict[str, dict[str, Any]], outputs: dict[str, dict[str, str]]
    ) -> None:
        for name, document in corpus.items():
            assert generate_checked(emitter, name, copy.deepcopy(document)) == outputs[name], name

    def test_output_does_not_depend_on_key_order(
        self, emitter: Emitter, corpus: dict[str, dict[str, Any]], outputs: dict[str, dict[str, str]]
    ) -> None:
        for name, document in corpus.items():
            assert generate_checked(emitter, name, reordered(document)) == outputs[name], name

    def test_same_output_in_fresh_processes(self, emitter: Emitter, outputs: dict[str, dict[str, str]]) -> None:
        from ..plugins import get_plugin_manager

        if emitter.name not in get_plugin_manager().emitters():
            pytest.skip(f"emitter {emitter.name!r} is not installed as a plugin; it cannot be found by name")
        for seed in (1, 2):
            assert generate_in_fresh_process(emitter.name, seed) == outputs, f"PYTHONHASHSEED={seed}"

    def test_files_can_be_written(self, outputs: dict[str, dict[str, str]], tmp_path: Path) -> None:
        from ..tooling.files import write_files

        for name, files in outputs.items():
            write_files(tmp_path / name, files)
            for path, text in files.items():
                assert (tmp_path / name / path).read_text(encoding="utf-8") == text

    def test_output_matches_snapshots(self, outputs: dict[str, dict[str, str]]) -> None:
        if self.snapshot_dir is None:
            pytest.skip("no snapshot_dir set")
        from ..tooling.files import write_files

        for name, files in outputs.items():
            folder = self.snapshot_dir / name
            if os.environ.get(UPDATE_SNAPSHOTS) == "1":
                for stale in folder.rglob("*") if folder.exists() else []:
                    if stale.is_file() and stale.relative_to(folder).as_posix() not in files:
                        stale.unlink()
                write_files(folder, files)
            committed = {
                path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
                for path in (folder.rglob("*") if folder.exists() else [])
                if path.is_file()
            }
            assert committed == files, (
                f"the output for {name!r} differs from the snapshots in {folder}; "
                f"if the change is intended, run again with {UPDATE_SNAPSHOTS}=1 and review the diff"
            )
