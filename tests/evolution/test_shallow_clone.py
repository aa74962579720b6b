"""A pull-request CI checkout is shallow: the base is fetched, or the error says what to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import SHOP, Repo, git


@pytest.fixture
def shallow(repo: Repo, tmp_path: Path) -> Repo:
    """A depth-1 clone of the feature branch (with a breaking commit); origin/main is absent."""
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    repo.commit("break price")
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone", "-q", "--depth", "1", "--single-branch", "--branch", "feature",
        f"file://{repo.root}", str(clone),
    )  # fmt: skip
    shallow = Repo(clone)
    assert shallow.git("rev-parse", "--is-shallow-repository") == "true"
    return shallow


def test_shallow_clone_fetches_the_missing_base_from_its_remote(shallow: Repo) -> None:
    proc = shallow.protokit("check", "--against", "origin/main")
    assert proc.returncode == 100, proc.stderr
    assert "FIELD_SAME_TYPE" in proc.stdout


def test_shallow_clone_without_a_remote_says_exactly_what_to_run(shallow: Repo) -> None:
    shallow.git("remote", "remove", "origin")
    proc = shallow.protokit("check", "--against", "origin/main")
    assert proc.returncode == 1
    assert len([ln for ln in proc.stderr.splitlines() if "error" in ln]) == 1
    assert "git fetch --unshallow" in proc.stderr
    assert "fetch-depth: 0" in proc.stderr
