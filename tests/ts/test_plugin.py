"""The emitter is found the way any third-party emitter would be: the ``pyrpc`` entry point."""

from __future__ import annotations

from typing import Any

import pyrpc_ts
from pyrpc_core.plugins import PluginManager


def test_registered_through_the_entry_point(schema: dict[str, Any], files: dict[str, str]) -> None:
    manager = PluginManager()
    manager.load_entrypoints()
    emitter = manager.get_emitter("typescript")
    assert emitter.language == "typescript"
    assert emitter.generate.target is pyrpc_ts.generate  # named lazily: imported on first use
    assert emitter.generate(schema) == files
    assert not [problem for problem in manager.problems if "typescript" in problem]


def test_plugin_module_alone() -> None:
    import pyrpc_ts.plugin

    manager = PluginManager()
    assert manager.register_checked(pyrpc_ts.plugin, "typescript")
    assert list(manager.emitters()) == ["typescript"]
