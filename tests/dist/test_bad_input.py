"""Bad input to build and publish: one clear line each, non-zero exit, nothing half-written."""

from __future__ import annotations

import pytest

from .conftest import Repo, one_error_line


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('stubs_distribution = "-acme contracts"', "is not a valid Python distribution name"),
        ("distributions = []", "distributions must be a table"),
        ('distributions = { "acme-x" = "acme.user.v1" }', "distributions.acme-x must be a list"),
        ('release_tag = "v1"', "must hold '{version}' once"),
    ],
)
def test_a_broken_setting_is_one_clear_line(
    fresh_example: Repo, setting: str, expected: str
) -> None:
    fresh_example.settings(setting)
    line = one_error_line(fresh_example.protokit("build"))
    assert line.startswith("protokit: error: pyproject.toml: ") and expected in line
    assert not (fresh_example.root / "dist").exists()


def test_build_refuses_a_dist_folder_holding_foreign_files(fresh_example: Repo) -> None:
    (fresh_example.root / "dist").mkdir()
    (fresh_example.root / "dist" / "notes.txt").write_text("mine\n")
    line = one_error_line(fresh_example.protokit("build"))
    assert (
        "dist: the build folder holds files that are not builds of acme_contracts (notes.txt)"
        in line
    )
    assert sorted(p.name for p in (fresh_example.root / "dist").iterdir()) == ["notes.txt"]


def test_publish_refuses_a_dist_folder_holding_foreign_files(fresh_example: Repo) -> None:
    (fresh_example.root / "dist").mkdir()
    (fresh_example.root / "dist" / "notes.txt").write_text("mine\n")
    line = one_error_line(
        fresh_example.protokit("publish", "--repository-url", "http://127.0.0.1:9/")
    )
    assert "dist/ holds files that are not wheels or sdists (notes.txt)" in line


def test_publish_with_nothing_built_is_one_clear_line(fresh_example: Repo) -> None:
    line = one_error_line(fresh_example.protokit("publish"), code=2)
    assert "nothing to publish in dist/; run `protokit build` first" in line


def test_build_refuses_an_out_folder_outside_the_workspace(fresh_example: Repo) -> None:
    outside = fresh_example.root.parent / "elsewhere"
    line = one_error_line(fresh_example.protokit("build", "--out", str(outside)), code=2)
    assert "is outside the workspace" in line
    assert not outside.exists()


def test_publish_refuses_a_file_that_is_no_distribution(fresh_example: Repo) -> None:
    line = one_error_line(fresh_example.protokit("publish", "LICENSE"))
    assert "LICENSE: not a wheel (.whl) or sdist (.tar.gz)" in line
