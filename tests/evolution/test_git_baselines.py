"""Odd git baselines give one clear error line, never an internal error."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import assert_one_error_line


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=qa@example.com", "-c", "user.name=qa", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tiny_ws: Callable[..., Path]) -> Path:
    """A one-commit repository on branch ``main``, plus an orphan branch ``empty`` with no files."""
    root = tiny_ws()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "contracts")
    _git(root, "checkout", "-q", "--orphan", "empty")
    _git(root, "rm", "-rqf", ".")
    _git(root, "commit", "-q", "--allow-empty", "-m", "nothing")
    _git(root, "checkout", "-q", "main")
    return root


@pytest.mark.parametrize(
    ("command", "against", "expected"),
    [
        (["check"], "empty", "has no buf.yaml at the repository root"),
        (["diff"], "empty", "has no buf.yaml at the repository root"),
        (["check"], "HEAD:shop", "baseline 'HEAD:shop' is not a commit, branch or tag here"),
        (["diff"], "HEAD~1", "no baseline: HEAD is the repository's first commit"),
    ],
)
def test_an_odd_git_baseline_is_one_error_line(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    repo: Path,
    command: list[str],
    against: str,
    expected: str,
) -> None:
    line = assert_one_error_line(protokit(*command, "--against", against, cwd=repo), 1)

    assert expected in line
