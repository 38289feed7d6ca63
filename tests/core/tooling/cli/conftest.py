"""The pyrpc command's tests drive it in subprocesses (see tests/pyrpc_command.py)."""

from pyrpc_command import PYRPC, Running, run

__all__ = ["PYRPC", "Running", "run"]
