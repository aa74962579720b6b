"""Fixtures for the tests of this repository itself: its contracts, buf config and README."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import REPO


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of this repository's contracts and buf configuration."""
    dest = tmp_path / "repo"
    dest.mkdir()
    for name in ("buf.yaml", "buf.gen.yaml", "pyproject.toml"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "contracts", dest / "contracts")
    return dest
