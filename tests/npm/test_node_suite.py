"""The node side's own tests (node --test: the runtime with a fake fetch, the emitter port
against the shared corpus, sync, postinstall), run as part of the Python test suite so that
`make test` and CI run everything."""

from __future__ import annotations

from .conftest import ROOT, run


def test_npm_test_passes(npm: str) -> None:
    completed = run([npm, "test", "--workspace", "@pyrpc/client"], cwd=ROOT, timeout=300)
    assert "# fail 0" in completed.stdout
    assert "# pass" in completed.stdout


def test_client_sources_pass_tsc_strict(npm: str) -> None:
    run([npm, "run", "typecheck", "--workspace", "@pyrpc/client"], cwd=ROOT)
