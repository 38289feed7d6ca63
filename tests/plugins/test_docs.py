"""docs/plugins.md: its hook reference is what the hookspecs' docstrings render, so it cannot drift."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType

from pyrpc_core.plugins import iter_hookspecs

from .conftest import REPO

SCRIPT = REPO / "docs" / "render_hook_reference.py"


def renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_hook_reference", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_is_what_the_docstrings_render() -> None:
    render = renderer()
    page = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert render.updated(page) == page, "run: .venv/bin/python docs/render_hook_reference.py"
    for name, _ in iter_hookspecs():
        assert f"### `{name}`" in page


def test_a_changed_docstring_makes_the_page_stale() -> None:
    render = renderer()
    page = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    from pyrpc_core import hookspecs

    original = hookspecs.pyrpc_emitters.__doc__
    try:
        hookspecs.pyrpc_emitters.__doc__ = "Something else.\n\nCalled never. Returns nothing."
        assert render.updated(page) != page
        assert "Called never. Returns nothing." in render.render()
    finally:
        hookspecs.pyrpc_emitters.__doc__ = original


def test_the_check_mode_of_the_script() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
