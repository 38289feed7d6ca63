"""Reading a ``pyrpc`` command's own messages out of its output."""

from __future__ import annotations


def own_lines(stderr: str) -> list[str]:
    """The command's own lines: an installed plugin that is broken adds warnings of its own."""
    return [line for line in stderr.splitlines() if not line.startswith("pyrpc: warning: ")]
