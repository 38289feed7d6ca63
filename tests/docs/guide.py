"""The steps of a guide written in Markdown, read from its own code blocks.

A guide marks what a reader does in ways that render well on GitHub (HTML comments are not
shown) and stay readable as text:

- a file to write: a code block whose first line is a comment naming the file
  (``# backend/main.py``, ``// frontend/src/call.ts``), or, for a language without comments
  (JSON, HTML), the line ``<!-- file: frontend/package.json -->`` just before the block.
  ``# backend/main.py (continued)`` appends the block to the file;
- commands: ``<!-- run in: frontend -->`` just before a ``console`` block, whose ``$ `` lines
  are the commands, run in order in that folder's terminal (a line ending in ``\\`` goes on in
  the next one); the lines after a command are its output. ``run in: backend, a fresh clone``
  is a terminal in a fresh clone of that folder;
- ``<!-- stop: backend -->``: Ctrl-C in that terminal (it runs a server);
- ``<!-- expect file: backend/pyrpc.json -->`` just before a block: the file written by a
  command holds exactly that text;
- ``<!-- page in: frontend shows: 1 + 2 = 3 | Dune (1965) -->``: the page served by that
  terminal shows these texts in a browser.

A block with neither is an illustration. Every block in a programming or data language must
be a step, though, and so must every ``console`` block with ``$ `` lines: code that a reader
copies is always run (``illustrations`` lists the others, for the test that says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FOLDERS = ("pyrpc", "backend", "frontend")
"""The folders of the guide's project, below its root."""

CLONE = ", a fresh clone"
"""The suffix of a terminal that runs in a fresh clone of a folder (``backend, a fresh clone``)."""

CODE_LANGUAGES = {"python", "ts", "typescript", "js", "json", "html", "toml", "gitignore"}
"""Languages whose blocks a reader copies into files: each must be a step."""


class GuideError(Exception):
    """The guide's markup is wrong: a marker without its block, a command block without commands..."""


@dataclass(frozen=True)
class File:
    """Write ``text`` into ``path`` (relative to the project root), or append it."""

    path: str
    text: str
    append: bool
    line: int


@dataclass(frozen=True)
class ExpectFile:
    """The file at ``path`` holds exactly ``text``."""

    path: str
    text: str
    line: int


@dataclass(frozen=True)
class Command:
    """One ``$`` command and the output lines shown under it."""

    text: str
    output: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Run:
    """Commands typed, in order, in a terminal."""

    terminal: str
    commands: tuple[Command, ...]
    line: int

    @property
    def folder(self) -> str:
        return folder_of(self.terminal)


@dataclass(frozen=True)
class Stop:
    """Ctrl-C in a terminal: what runs there stops."""

    terminal: str
    line: int


@dataclass(frozen=True)
class Page:
    """The page served from a terminal shows each of ``texts``."""

    terminal: str
    texts: tuple[str, ...]
    line: int


Step = File | ExpectFile | Run | Stop | Page


@dataclass(frozen=True)
class Block:
    """A fenced code block: its language, its lines, and the line number of its opening fence."""

    language: str
    lines: tuple[str, ...]
    line: int

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def folder_of(terminal: str) -> str:
    """The folder a terminal is about: ``backend`` for ``backend`` and ``backend, a fresh clone``."""
    return terminal.removesuffix(CLONE)


MARKER = re.compile(r"^<!--\s*(?P<kind>file|expect file|run in|stop|page in):\s*(?P<value>.*?)\s*-->$")
PATH_COMMENT = re.compile(
    r"^(?:#|//)\s*(?P<path>(?:" + "|".join(FOLDERS) + r")/[\w./-]+)(?P<continued>\s+\(continued\))?\s*$"
)
PAGE = re.compile(r"^(?P<terminal>.+?)\s+shows:\s*(?P<texts>.+)$")


def parse(markdown: str) -> list[Step]:
    """The steps of a guide, in order."""
    steps, _ = _parse(markdown)
    return steps


def illustrations(markdown: str) -> list[Block]:
    """The guide's blocks that are not steps (layouts, install lines for later, plain text)."""
    _, others = _parse(markdown)
    return others


def _parse(markdown: str) -> tuple[list[Step], list[Block]]:
    lines = markdown.splitlines()
    steps: list[Step] = []
    others: list[Block] = []
    pending: tuple[str, str, int] | None = None  # a marker waiting for its block
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        stripped = line.strip()
        marker = MARKER.match(stripped)
        if marker:
            if pending is not None:
                raise GuideError(f"line {pending[2]}: <!-- {pending[0]}: ... --> is not followed by its code block")
            kind, value = marker["kind"], marker["value"]
            if kind == "stop":
                _check_terminal(value, number)
                steps.append(Stop(value, number))
            elif kind == "page in":
                page = PAGE.match(value)
                if page is None:
                    raise GuideError(f"line {number}: write <!-- page in: TERMINAL shows: TEXT | TEXT -->")
                _check_terminal(page["terminal"], number)
                texts = tuple(text.strip() for text in page["texts"].split("|"))
                steps.append(Page(page["terminal"], texts, number))
            else:
                pending = (kind, value, number)
            index += 1
            continue
        if line.startswith("```"):
            block, index = _read_block(lines, index)
            if pending is not None:
                steps.append(_marked_step(pending, block))
                pending = None
            else:
                step = _unmarked_step(block)
                if step is None:
                    others.append(block)
                else:
                    steps.append(step)
            continue
        if pending is not None and stripped:
            raise GuideError(f"line {pending[2]}: <!-- {pending[0]}: ... --> is not followed by its code block")
        index += 1
    if pending is not None:
        raise GuideError(f"line {pending[2]}: <!-- {pending[0]}: ... --> is not followed by its code block")
    return steps, others


def _read_block(lines: list[str], start: int) -> tuple[Block, int]:
    language = lines[start][3:].strip()
    for end in range(start + 1, len(lines)):
        if lines[end].startswith("```"):
            return Block(language, tuple(lines[start + 1 : end]), start + 1), end + 1
    raise GuideError(f"line {start + 1}: the code block is never closed")


def _check_terminal(terminal: str, line: int) -> None:
    if folder_of(terminal) not in FOLDERS:
        raise GuideError(f"line {line}: unknown folder {terminal!r} (the guide's folders are {', '.join(FOLDERS)})")


def _check_path(path: str, line: int) -> None:
    parts = Path(path).parts
    if not parts or parts[0] not in FOLDERS or ".." in parts or Path(path).is_absolute():
        raise GuideError(f"line {line}: {path!r} is not a path inside one of the folders {', '.join(FOLDERS)}")


def _marked_step(pending: tuple[str, str, int], block: Block) -> Step:
    kind, value, _ = pending
    if kind == "run in":
        _check_terminal(value, block.line)
        if block.language != "console":
            raise GuideError(f"line {block.line}: <!-- run in: ... --> needs a ```console block")
        return Run(value, _commands(block), block.line)
    _check_path(value, block.line)
    if kind == "file":
        return File(value, block.text, False, block.line)
    return ExpectFile(value, block.text, block.line)


def _unmarked_step(block: Block) -> Step | None:
    first = block.lines[0] if block.lines else ""
    named = PATH_COMMENT.match(first)
    if named:
        _check_path(named["path"], block.line)
        return File(named["path"], block.text, bool(named["continued"]), block.line)
    if block.language in CODE_LANGUAGES:
        raise GuideError(
            f"line {block.line}: a {block.language} block that is not run: name its file on its first line"
            " (# backend/main.py) or mark it (<!-- file: ... -->)"
        )
    if block.language == "console" and any(line.startswith("$ ") for line in block.lines):
        raise GuideError(f"line {block.line}: a console block with commands needs <!-- run in: FOLDER --> before it")
    return None


def _commands(block: Block) -> tuple[Command, ...]:
    commands: list[Command] = []
    text: list[str] = []
    start = 0
    output: list[str] = []
    continued = False
    for offset, line in enumerate(block.lines, start=1):
        number = block.line + offset
        if continued:
            text.append(line.strip())
            continued = line.endswith("\\")
            continue
        if line.startswith("$ "):
            if text:
                commands.append(Command(_join(text), tuple(output), start))
            text, output, start = [line[2:].strip()], [], number
            continued = line.endswith("\\")
        elif not text:
            raise GuideError(f"line {number}: output before the first command of the block")
        else:
            output.append(line)
    if continued:
        raise GuideError(f"line {start}: the command goes on after the end of its block")
    if not text:
        raise GuideError(f"line {block.line}: a <!-- run in: ... --> block without any $ command")
    commands.append(Command(_join(text), tuple(output), start))
    return tuple(commands)


def _join(parts: list[str]) -> str:
    return " ".join(part.removesuffix("\\").strip() for part in parts)
