"""Running ``git``: one place for the command, its timeout and its failures.

A missing git is a ``ToolMissingError``; a git that hangs is stopped after the tool timeout
(``PROTOKIT_TOOL_TIMEOUT``) and reported by command.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from protokit.core.errors import ToolMissingError
from protokit.tools.process import command_text, first_line, run_tool

__all__ = ["message", "output", "run_git"]


def run_git(
    args: Sequence[str], cwd: Path, *, timeout: float | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` in ``cwd``; non-zero exits return, a missing or hung git raises."""
    try:
        return run_tool(
            "git", ["git", *args], cwd=cwd, label=command_text("git", args), timeout=timeout
        )
    except ToolMissingError as exc:
        raise ToolMissingError(f"{exc.message}; install git") from exc


def output(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stdout.decode("utf-8", "replace").strip()


def message(proc: subprocess.CompletedProcess[bytes]) -> str:
    """git's own complaint, first line, for an error message."""
    text = proc.stderr or proc.stdout
    return first_line(text) if text.strip() else f"exit code {proc.returncode}"
