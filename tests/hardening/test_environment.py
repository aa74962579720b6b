"""Class 9: with HOME unset or unusable, buf's cache goes to a folder protokit owns, never
into the workspace or the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.conftest import Case


@pytest.mark.parametrize("home", [None, "", "relative/home", "/nonexistent/home"])
def test_buf_never_caches_into_the_workspace_without_a_home(
    case: Case, tmp_path: Path, home: str | None
) -> None:
    env = {
        "HOME": home,
        "XDG_CACHE_HOME": None,
        "BUF_CACHE_DIR": None,
        "PROTOKIT_CACHE_DIR": str(tmp_path / "cache"),
    }

    proc = case.run("lint", env=env)

    assert proc.returncode == 0, proc.stderr
    case.unchanged()
    assert (tmp_path / "cache" / "buf").is_dir()
