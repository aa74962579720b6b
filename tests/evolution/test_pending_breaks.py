"""check separates breaks introduced against the PR base from breaks pending since the latest
release, and names the next version against that release."""

from __future__ import annotations

from .conftest import SHOP, Repo


def test_a_break_already_on_the_base_is_pending_not_introduced(repo: Repo) -> None:
    assert repo.protokit("release", "1.0.0").returncode == 0
    repo.replace(SHOP, "  int64 price = 2;\n", "")
    repo.commit("delete price on the base")
    repo.git("branch", "-f", "base")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "")
    repo.commit("delete green in the PR")
    proc = repo.protokit("check", "--against", "base")
    assert proc.returncode == 100
    lines = proc.stdout.splitlines()
    introduced = [
        ln for ln in lines if "ENUM_VALUE_NO_DELETE" in ln and "BREAKING_PENDING" not in ln
    ]
    pending = [ln for ln in lines if "BREAKING_PENDING" in ln]
    assert introduced
    assert len(pending) == 1 and "shop.v1.Item.price" in pending[0]
    assert "not introduced against" in pending[0]
    assert "NEXT_VERSION: next version 2.0.0 (major since release 1.0.0)" in proc.stdout


def test_the_next_version_is_named_against_the_latest_release(repo: Repo) -> None:
    assert repo.protokit("release", "1.0.0").returncode == 0
    repo.git("branch", "-f", "base")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "  COLOR_GREEN = 2;\n  COLOR_BLUE = 3;\n")
    repo.commit("add blue")
    proc = repo.protokit("check", "--against", "base")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "NEXT_VERSION: next version 1.1.0 (minor since release 1.0.0)" in proc.stdout
    assert "BREAKING_PENDING" not in proc.stdout
