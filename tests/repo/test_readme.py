"""README's two commands are what CI runs."""

from __future__ import annotations

import re

from tests.support import REPO


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block is not None, "README.md starts with a sh code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_setup_and_test_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].startswith("python3.11 -m venv .venv && ")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_commands_exactly() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in _readme_commands():
        assert command in ci, command
