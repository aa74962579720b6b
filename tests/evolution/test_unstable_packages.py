"""Unstable packages (`unstable_packages`): their breaks allowed in check and minor in diff."""

from __future__ import annotations

from .conftest import SHOP, Repo

LAB = "proto/shop/v1alpha1/lab.proto"
LAB_PROTO = """\
syntax = "proto3";

package shop.v1alpha1;

// Trial is an experiment.
message Trial {
  string id = 1;
  string note = 2;
}
"""


def with_lab(repo: Repo) -> None:
    repo.write(LAB, LAB_PROTO)
    repo.commit("an alpha package")
    repo.git("branch", "-f", "base")


def test_a_break_in_an_alpha_package_is_no_finding_and_a_minor_change(repo: Repo) -> None:
    with_lab(repo)
    repo.replace(LAB, "  string note = 2;\n", "")
    repo.commit("delete note")
    proc = repo.protokit("check", "--against", "base")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = repo.diff_json("--against", "base")
    assert data["breaking"] is False
    assert data["bump"] == "minor"


def test_buf_still_reports_the_alpha_break_that_protokit_allows(repo: Repo) -> None:
    with_lab(repo)
    repo.replace(LAB, "  string note = 2;\n", "")
    repo.commit("delete note")
    proc = repo.buf("breaking", "--against", ".git#branch=base")
    assert proc.returncode == 100
    assert 'field "2" with name "note" on message "Trial" was deleted' in proc.stdout


def test_configured_patterns_replace_the_default(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.protokit]\nunstable_packages = ["shop.v1"]\n')
    repo.replace(SHOP, "  int64 price = 2;\n", "")
    repo.commit("delete price in a package configured unstable")
    proc = repo.protokit("check", "--against", "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_stable_package_importing_an_unstable_one_is_a_finding(repo: Repo) -> None:
    with_lab(repo)
    repo.replace(
        SHOP,
        'import "google/protobuf/timestamp.proto";\n',
        'import "google/protobuf/timestamp.proto";\nimport "shop/v1alpha1/lab.proto";\n',
    )
    repo.replace(
        SHOP,
        "  string display_name = 11;\n",
        "  string display_name = 11;\n  shop.v1alpha1.Trial trial = 12;\n",
    )
    repo.commit("use the trial")
    proc = repo.protokit("check", "--against", "base")
    assert proc.returncode == 100
    assert f"{SHOP}:6:1: STABLE_IMPORTS_UNSTABLE: stable package shop.v1 imports" in proc.stdout


def test_unstable_packages_must_be_a_list_of_strings(repo: Repo) -> None:
    repo.write("pyproject.toml", '[tool.protokit]\nunstable_packages = "shop.v1"\n')
    proc = repo.protokit("diff", "--against", "main")
    assert proc.returncode != 0
    assert "unstable_packages must be a list of package patterns" in proc.stderr
    assert "pyproject.toml" in proc.stderr
