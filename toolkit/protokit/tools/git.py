"""Running ``git``: one place for the command, its timeout and its failures.

Library code asks questions (``head``, ``commit_time``, ``commits_since``, ``dirty_paths``) and
gets data back. Every command runs through ``process.run_tool``: a missing git is a
``ToolMissingError``; a git that hangs is stopped after its timeout (``GIT_TIMEOUT``, or
``PROTOKIT_TOOL_TIMEOUT`` when that is set) and reported by command.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from protokit.core.errors import ProtokitError, ToolMissingError
from protokit.tools.process import TIMEOUT_ENV, command_text, first_line, run_tool, tool_timeout

GIT_TIMEOUT = 120.0
"""Seconds one git command may take (an archive of a big tree, a fetch)."""


def run_git(
    args: Sequence[str], cwd: Path, *, timeout: float | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` in ``cwd``; non-zero exits return, a missing or hung git raises."""
    if timeout is None:
        timeout = tool_timeout() if os.environ.get(TIMEOUT_ENV) else GIT_TIMEOUT
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
    text = proc.stderr if proc.stderr.strip() else proc.stdout
    return first_line(text) if text.strip() else f"exit code {proc.returncode}"


def toplevel(cwd: Path) -> Path | None:
    """The repository's top folder, or None outside a git repository (or without commits)."""
    proc = run_git(["rev-parse", "--show-toplevel"], cwd)
    if proc.returncode != 0:
        return None
    if run_git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd).returncode != 0:
        return None
    return Path(output(proc))


def head(cwd: Path) -> str:
    return output(run_git(["rev-parse", "HEAD"], cwd))


def commit_time(cwd: Path, ref: str = "HEAD") -> int:
    """The committer timestamp (seconds since the epoch) of ``ref``."""
    proc = run_git(["log", "-1", "--format=%ct", ref, "--"], cwd)
    text = output(proc)
    if proc.returncode != 0 or not text.isdigit():
        raise ProtokitError(f"could not read the commit time of {ref}: {message(proc)}")
    return int(text)


def ref_commit(cwd: Path, ref: str) -> str | None:
    """The commit ``ref`` (a tag, branch or sha) points at, or None when there is no such ref."""
    proc = run_git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], cwd
    )
    return output(proc) if proc.returncode == 0 and output(proc) else None


def last_commit_touching(cwd: Path, path: str) -> str | None:
    """The newest commit that changed ``path`` (relative to ``cwd``), or None."""
    proc = run_git(["log", "-1", "--format=%H", "--", path], cwd)
    if proc.returncode != 0:
        return None
    return output(proc) or None


def commits_since(cwd: Path, base: str | None) -> int:
    """How many commits HEAD is ahead of ``base`` (all of HEAD's history when None)."""
    proc = run_git(["rev-list", "--count", f"{base}..HEAD" if base else "HEAD"], cwd)
    text = output(proc)
    return int(text) if proc.returncode == 0 and text.isdigit() else 0


def dirty_paths(cwd: Path, paths: Sequence[str] = ()) -> list[str]:
    """Uncommitted changes (staged, unstaged or untracked) under ``paths``, as git shows them."""
    proc = run_git(["status", "--porcelain", "--untracked-files=all", "--", *paths], cwd)
    if proc.returncode != 0:
        raise ProtokitError(f"git status failed: {message(proc)}")
    return [line[3:] for line in proc.stdout.decode("utf-8", "replace").splitlines() if line]


def create_tag(cwd: Path, name: str, text: str) -> None:
    """An annotated tag ``name`` on HEAD; an existing tag of that name is refused."""
    if ref_commit(cwd, f"refs/tags/{name}") is not None:
        raise ProtokitError(f"git tag {name} already exists; releases are frozen")
    proc = run_git(["tag", "--annotate", "--message", text, "--", name], cwd)
    if proc.returncode != 0:
        raise ProtokitError(f"could not create git tag {name}: {message(proc)}")


def commit_paths(cwd: Path, paths: Sequence[str], text: str) -> None:
    """Commit exactly ``paths`` (added first) with message ``text``."""
    add = run_git(["add", "--", *paths], cwd)
    if add.returncode != 0:
        raise ProtokitError(f"git add failed: {message(add)}")
    proc = run_git(["commit", "--quiet", "--message", text, "--", *paths], cwd)
    if proc.returncode != 0:
        raise ProtokitError(f"git commit failed: {message(proc)}")
