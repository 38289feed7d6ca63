"""Fixtures for the TypeScript emitter: the zoo's schema and files, and the real tsc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pyrpc_ts

from .zoo import zoo_schema

ROOT = Path(__file__).resolve().parents[2]
TSC = ROOT / "node_modules" / ".bin" / "tsc"


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    """The zoo's introspection document, built once."""
    return zoo_schema()


@pytest.fixture(scope="session")
def files(schema: dict[str, Any]) -> dict[str, str]:
    """The generated package for the zoo."""
    return pyrpc_ts.generate(schema)


@pytest.fixture(scope="session")
def tsc() -> Path:
    """The pinned TypeScript compiler that ``make setup`` installs with ``npm ci``."""
    if not TSC.exists():
        pytest.fail(f"{TSC} is missing: run `make setup` (it runs `npm ci` from package-lock.json)")
    return TSC


def interface(text: str, name: str) -> str:
    """The body of ``export interface <name> { ... }`` in ``text`` (top-level declarations only)."""
    start = text.index(f"export interface {name} {{\n")
    end = text.index("\n}\n", start)
    return text[start : end + 3]
