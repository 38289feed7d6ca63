"""pyrpc dev in a real subprocess, on a package: a save re-imports the saved module and what depends on it.

Every module of the project appends its name to ``imports.log`` when it is imported, so the
tests see which ones each save re-imported.
"""

from __future__ import annotations

import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pyrpc_core import RPCClient

from .conftest import Running
from .test_dev import flags, types_file

LOG = """from pathlib import Path

with open(Path(__file__).parents[1] / "imports.log", "a") as log:
    log.write(__name__ + "\\n")

"""

FILES = {
    "api/__init__.py": "from . import group_a, group_b\n",
    "api/models.py": """
        from pydantic import BaseModel


        class User(BaseModel):
            name: str
        """,
    "api/group_a.py": """
        from pyrpc_core import rpc

        from .models import User


        @rpc(name="a.get")
        def get(name: str) -> User:
            \"\"\"Get a user.\"\"\"
            return User(name=name)
        """,
    "api/group_b.py": """
        from pyrpc_core import rpc

        from .models import User


        @rpc(name="b.count")
        def count(users: list[User]) -> int:
            return len(users)
        """,
}


@pytest.fixture
def backend(tmp_path: Path) -> Path:
    root = tmp_path / "backend"
    (tmp_path / "frontend").mkdir()
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LOG + textwrap.dedent(text).lstrip())
    return root


def edit(backend: Path, name: str, *replacements: tuple[str, str]) -> None:
    """One save of ``name`` with each ``(old, new)`` replaced."""
    path = backend / name
    text = path.read_text()
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)


class Log:
    """The modules imported since the last look."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = 0

    def new(self) -> set[str]:
        lines = self.path.read_text().splitlines()
        fresh, self.seen = lines[self.seen :], len(lines)
        return set(fresh)


def dev_flags() -> list[str]:
    return [value if value != "main" else "api" for value in flags()]


def test_a_save_reimports_the_saved_module_and_its_importers_only(backend: Path, start: Any) -> None:
    dev: Running = start(dev_flags(), backend)
    url = dev.wait_for(r"serving 2 procedures at (http://\S+)").group(1)
    log = Log(backend / "imports.log")
    assert log.new() == {"api", "api.models", "api.group_a", "api.group_b"}

    edit(backend, "api/group_a.py", ("Get a user.", "Get one user."), ("User(name=name)", "User(name=name.upper())"))
    dev.wait_for(r"reloaded: ~ a\.get;")
    assert log.new() == {"api.group_a", "api"}
    assert "Get one user." in types_file(backend).read_text()
    with RPCClient(url) as client:
        assert client.a.get("ann") == {"name": "ANN"}
        assert client.b.count([{"name": "x"}]) == 1

    edit(backend, "api/models.py", ("name: str", "name: str\n    email: str = ''"))
    dev.wait_for(r"reloaded: ~ a\.get, ~ b\.count;")
    assert log.new() == {"api.models", "api.group_a", "api.group_b", "api"}
    assert "email" in types_file(backend).read_text()
    with RPCClient(url) as client:
        assert client.a.get("ann") == {"name": "ANN", "email": ""}


def test_a_broken_save_then_a_fix_then_a_new_module(backend: Path, start: Any) -> None:
    dev: Running = start(dev_flags(), backend)
    url = dev.wait_for(r"serving 2 procedures at (http://\S+)").group(1)
    good_types = types_file(backend).read_text()

    edit(backend, "api/group_b.py", ("return len(users)", "return len(users\n"))
    dev.wait_for(r"error: api/group_b\.py:\d+: SyntaxError")
    dev.wait_for(r"still serving the last good version")
    assert types_file(backend).read_text() == good_types
    with RPCClient(url) as client:
        assert client.b.count([]) == 0

    edit(backend, "api/group_b.py", ("return len(users\n", "return len(users) * 2"))
    dev.wait_for(r"reloaded: no API change")
    with RPCClient(url) as client:
        assert client.b.count([{"name": "x"}]) == 2

    (backend / "api" / "group_c.py").write_text(
        LOG + 'from pyrpc_core import rpc\n\n\n@rpc(name="c.ping")\ndef ping() -> str:\n    return "pong"\n'
    )
    edit(backend, "api/__init__.py", ("group_b", "group_b, group_c"))
    dev.wait_for(r"reloaded: \+ c\.ping")
    with RPCClient(url) as client:
        assert client.c.ping() == "pong"
        assert client.b.count([{"name": "x"}]) == 2


def test_an_edit_that_changes_many_procedures_names_the_first_and_counts(backend: Path, start: Any) -> None:
    # A model that a dozen procedures reach: its edit changes them all, and the line stays short.
    procedures = "".join(
        f'@rpc(name="c.get{index:02}")\ndef get{index:02}() -> User:\n    return User(name="x")\n\n\n'
        for index in range(10)
    )
    (backend / "api" / "group_c.py").write_text(
        LOG + f"from pyrpc_core import rpc\n\nfrom .models import User\n\n\n{procedures}"
    )
    edit(backend, "api/__init__.py", ("group_b", "group_b, group_c"))
    dev: Running = start(dev_flags(), backend)
    dev.wait_for(r"serving 12 procedures")

    edit(backend, "api/models.py", ("name: str", "name: str\n    email: str = ''"))
    shown = ", ".join(["~ a\\.get", "~ b\\.count", *(f"~ c\\.get{index:02}" for index in range(8))])
    dev.wait_for(rf"^pyrpc dev: reloaded: {shown} and 2 more \(12 changed\); wrote \d files?$")
    assert "email" in types_file(backend).read_text()


def test_a_save_that_renames_an_export_says_which(backend: Path, start: Any) -> None:
    dev: Running = start(dev_flags(), backend)
    dev.wait_for(r"serving 2 procedures")
    assert "export interface User {" in types_file(backend).read_text()

    # Another User, in another module: both are qualified, and the dev loop says so.
    (backend / "api" / "group_c.py").write_text(
        LOG + "from pydantic import BaseModel\nfrom pyrpc_core import rpc\n\n\n"
        "class User(BaseModel):\n    id: int\n\n\n"
        '@rpc(name="c.me")\ndef me() -> User:\n    return User(id=1)\n'
    )
    edit(backend, "api/__init__.py", ("group_b", "group_b, group_c"))
    dev.wait_for(r"reloaded: ~ a\.get, ~ b\.count, \+ c\.me;")  # renamed: a change of their types
    dev.wait_for(r"^pyrpc dev: User is now Models_User \(api\.group_c\.User is named User too\)$")
    types = types_file(backend).read_text()
    assert "export interface Models_User {" in types
    assert "export interface GroupC_User {" in types
    assert "export interface User {" not in types  # gone, rather than meaning the other one

    edit(backend, "api/__init__.py", ("group_b, group_c", "group_b"))
    dev.wait_for(r"reloaded: ~ a\.get, ~ b\.count, - c\.me;")
    dev.wait_for(r"^pyrpc dev: Models_User is now User \(no other class is named User now\)$")


def test_calls_made_while_a_reload_runs_wait_for_it(backend: Path, start: Any) -> None:
    # The edited module takes 0.8 s to import; its procedure is out of the registry meanwhile.
    dev: Running = start(dev_flags(), backend)
    url = dev.wait_for(r"serving 2 procedures at (http://\S+)").group(1)
    failures: list[BaseException] = []
    answers: list[Any] = []
    done = threading.Event()

    def call_in_a_loop() -> None:
        with RPCClient(url) as client:
            while not done.is_set():
                try:
                    answers.append(client.a.get("ann"))
                except Exception as exc:  # Method not found, had the call not waited
                    failures.append(exc)
                time.sleep(0.01)

    caller = threading.Thread(target=call_in_a_loop)
    caller.start()
    try:
        time.sleep(0.2)
        edit(
            backend,
            "api/group_a.py",
            ("from pyrpc_core import rpc", "import time\n\nfrom pyrpc_core import rpc\n\ntime.sleep(0.8)"),
        )
        dev.wait_for(r"reloaded: no API change")
        time.sleep(0.2)
    finally:
        done.set()
        caller.join(timeout=10)
    assert failures == []
    assert len(answers) > 20
    assert all(answer == {"name": "ann"} for answer in answers)
