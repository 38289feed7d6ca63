"""``pyrpc plugins`` and broken plugins, in real ``pyrpc`` subprocesses.

Fake distributions (a module and a ``.dist-info`` with ``entry_points.txt``) go in a folder on
PYTHONPATH, beside the repository's real plugins: one that works, one that fails to import,
one whose hook has a wrong signature, two that claim the same adapter name, one that claims
the emitter name ``typescript`` of pyrpc-ts, and one whose entry-point name another takes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .fakes import install_fake, pyrpc

GOOD = """
from pyrpc_core import Emitter, hookimpl

def generate(schema):
    return {"procedures.txt": "\\n".join(sorted(schema["procedures"])) + "\\n"}

@hookimpl
def pyrpc_emitters():
    return [Emitter(name="names", language="text", generate=generate)]

@hookimpl
def pyrpc_amend_schema(schema, registry):
    schema["x-good"] = True
"""

SHARED_ADAPTER = """
from pyrpc_core import Adapter, hookimpl

@hookimpl
def pyrpc_adapters():
    return [Adapter(name="shared", interface="asgi", create_app=lambda registry, path: None)]
"""

FAKES = {
    "fakeplugin_good": ("fake-good", "fakeplugin_good", GOOD),
    "fakeplugin_broken": ("fake-broken", "fakeplugin_broken", "import libfoo_that_is_not_installed\n"),
    "fakeplugin_badsig": (
        "fake-badsig",
        "fakeplugin_badsig",
        "from pyrpc_core import hookimpl\n\n@hookimpl\ndef pyrpc_emitters(language):\n    return []\n",
    ),
    "fakeplugin_one": ("fake-one", "fakeplugin_one", SHARED_ADAPTER),
    "fakeplugin_two": ("fake-two", "fakeplugin_two", SHARED_ADAPTER),
    "fakeplugin_ts": (
        "fake-ts",
        "fakeplugin_ts",
        "from pyrpc_core import Emitter, hookimpl\n\n@hookimpl\ndef pyrpc_emitters():\n"
        "    return [Emitter(name='typescript', language='ts', generate=lambda schema: {})]\n",
    ),
    # Entry-point name "fakeplugin_good" again, from another distribution: both load, under two names.
    "fakeplugin_dupe": (
        "fake-other",
        "fakeplugin_good",
        "from pyrpc_core import Emitter, hookimpl\n\n@hookimpl\ndef pyrpc_emitters():\n"
        "    return [Emitter(name='other', language='text', generate=lambda schema: {'x.txt': 'x'})]\n",
    ),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for module, (dist, entry_name, source) in FAKES.items():
        install_fake(root, module, source, dist=dist, entry_name=entry_name)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text(
        "from pyrpc_core import rpc\n\n@rpc\ndef add(a: int, b: int) -> int:\n    return a + b\n"
    )
    return tmp_path


def test_lists_plugins_with_distribution_version_hooks_and_names(project: Path) -> None:
    result = pyrpc(["plugins"], project, None)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "typescript  (pyrpc-ts 2.0.0; pyrpc_ts.plugin)\n  hooks:    pyrpc_emitters\n  emitters: typescript\n" in (
        result.stdout
    )
    assert (
        "fastapi  (pyrpc-fastapi 2.0.0; pyrpc_fastapi.plugin)\n  hooks:    pyrpc_adapters\n  adapters: fastapi\n"
        in (result.stdout)
    )
    assert "otel  (pyrpc-otel 2.0.0; pyrpc_otel.plugin)\n  hooks:    pyrpc_call\n" in result.stdout
    # The development venv's: the four adapters, the TypeScript emitter and the three examples (examples/plugins).
    assert result.stdout.endswith("8 plugins\n")


def test_broken_plugins_are_named_and_the_rest_is_listed(project: Path, site: Path) -> None:
    result = pyrpc(["plugins"], project, site)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "fakeplugin_good  (fake-good 1.0; fakeplugin_good)\n  hooks:    pyrpc_amend_schema, pyrpc_emitters\n" in out
    assert "  emitters: names\n" in out
    assert "fakeplugin_one  (fake-one 1.0; fakeplugin_one)\n  hooks:    pyrpc_adapters\n  adapters: shared\n" in out
    assert "fakeplugin_broken" not in out
    assert "fakeplugin_badsig" not in out
    problems = result.stderr
    assert "5 problems (the other plugins work):" in problems
    assert "fakeplugin_good@fake-other  (fake-other 1.0; fakeplugin_dupe)\n" in out
    assert "  emitters: other\n" in out
    assert (
        "plugin 'fakeplugin_broken' (fakeplugin_broken from fake-broken 1.0) failed to import: "
        "ModuleNotFoundError: No module named 'libfoo_that_is_not_installed'"
    ) in problems
    assert "plugin 'fakeplugin_badsig' (fakeplugin_badsig from fake-badsig 1.0) was left out: " in problems
    assert "Argument(s) {'language'} are declared in the hookimpl but can not be found in the hookspec" in problems
    assert (
        "adapter name 'shared' is claimed by both plugin 'fakeplugin_one' (fakeplugin_one from fake-one 1.0) "
        "and plugin 'fakeplugin_two' (fakeplugin_two from fake-two 1.0); neither is used"
    ) in problems
    assert (
        "emitter name 'typescript' is claimed by both plugin 'fakeplugin_ts' (fakeplugin_ts from fake-ts 1.0) "
        "and plugin 'typescript' (pyrpc_ts.plugin from pyrpc-ts 2.0.0); neither is used"
    ) in problems
    assert (
        "plugin name 'fakeplugin_good' is used by both plugin 'fakeplugin_good' (fakeplugin_good from fake-good 1.0) "
        "and plugin 'fakeplugin_good' (fakeplugin_dupe from fake-other 1.0); both are loaded, the second as "
        "'fakeplugin_good@fake-other'"
    ) in problems

    checked = pyrpc(["plugins", "--check"], project, site)
    assert checked.returncode == 1
    assert pyrpc(["plugins", "--check"], project, None).returncode == 0

    document = json.loads(pyrpc(["plugins", "--json"], project, site).stdout)
    by_name = {plugin["name"]: plugin for plugin in document["plugins"]}
    assert by_name["fakeplugin_good"] == {
        "name": "fakeplugin_good",
        "module": "fakeplugin_good",
        "distribution": "fake-good",
        "version": "1.0",
        "hooks": ["pyrpc_amend_schema", "pyrpc_emitters"],
        "adapters": [],
        "emitters": ["names"],
    }
    assert by_name["typescript"]["emitters"] == ["typescript"]  # claimed, though not usable while the clash lasts
    assert len(document["problems"]) == 5


def test_other_commands_keep_working_and_warn_in_one_line_each(project: Path, site: Path) -> None:
    result = pyrpc(["codegen", "--entrypoint", "main", "--emitter", "names", "--out", "out"], project, site)
    assert result.returncode == 0, result.stderr
    assert (project / "out" / "procedures.txt").read_text() == "add\n"
    warnings = result.stderr.splitlines()
    assert len(warnings) == 5
    assert all(line.startswith("pyrpc: warning: ") and line.endswith("(see 'pyrpc plugins')") for line in warnings)
    assert any("fakeplugin_broken" in line and "failed to import" in line for line in warnings)

    inspected = pyrpc(["inspect", "--entrypoint", "main", "--json"], project, site)
    assert json.loads(inspected.stdout)["x-good"] is True  # the good plugin's pyrpc_amend_schema ran

    clash = pyrpc(["codegen", "--entrypoint", "main", "--emitter", "typescript", "--out", "ts"], project, site)
    assert clash.returncode == 1
    assert (
        "pyrpc codegen: error: the emitter name 'typescript' is claimed by plugin 'fakeplugin_ts' (fakeplugin_ts from "
        "fake-ts 1.0) and plugin 'typescript' (pyrpc_ts.plugin from pyrpc-ts 2.0.0), so neither is used; "
        "uninstall one of them"
    ) in clash.stderr
