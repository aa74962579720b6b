"""Bad baselines and damaged releases: one clear line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from .conftest import Repo


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    lines = lines[next((i for i, ln in enumerate(lines) if "error:" in ln), 0) :]  # after progress
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("protokit: error: ")
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_first_commit_has_no_baseline(new_repo: Callable[[str], Repo]) -> None:
    repo = new_repo("first")
    assert_one_line_error(repo.protokit("check", "--against", "HEAD~1"), "first commit")


def test_diff_without_a_release_or_against_says_there_is_no_baseline(repo: Repo) -> None:
    assert_one_line_error(repo.protokit("diff"), "no baseline", "protokit release")


def test_a_ref_that_does_not_exist_is_named(repo: Repo) -> None:
    assert_one_line_error(
        repo.protokit("check", "--against", "no-such-branch"),
        "'no-such-branch' is not a commit, branch or tag",
    )


def test_a_repository_without_commits_has_no_baseline(repo: Repo) -> None:
    repo.git("checkout", "-q", "--orphan", "unborn")
    assert_one_line_error(repo.protokit("check", "--against", "HEAD"), "no commits yet")


def test_a_baseline_before_the_contracts_existed_is_explained(
    new_repo: Callable[[str], Repo],
) -> None:
    repo = new_repo("late")
    repo.git("checkout", "-q", "--orphan", "history")
    repo.git("rm", "-q", "-r", "--cached", ".")
    (repo.root / "README").write_text("before the contracts\n")
    repo.git("add", "README")
    repo.git("commit", "-q", "-m", "readme only")
    repo.git("checkout", "-q", "-f", "main")
    assert_one_line_error(repo.protokit("check", "--against", "history"), "has no buf.yaml")


def test_a_corrupted_fixture_file_is_named_with_the_fix(repo: Repo) -> None:
    assert repo.protokit("release", "1.0.0").returncode == 0
    fixture = repo.root / "compat/releases/1.0.0/fixtures/shop.v1.Item/values.binpb"
    fixture.write_bytes(b"\xff\xff\xff\xff")
    assert_one_line_error(
        repo.protokit("check"),
        "compat/releases/1.0.0/fixtures/shop.v1.Item/values.binpb",
        "corrupted",
        "git checkout --",
    )


def test_a_baseline_image_from_another_module_is_refused(
    repo: Repo, new_repo: Callable[[str], Repo]
) -> None:
    other = new_repo("other")
    for rel in ("proto/shop/v1/shop.proto", "proto/shop/v1/shop_service.proto"):
        text = other.read(rel).replace("shop.v1", "billing.v1").replace("shop/v1", "billing/v1")
        (other.root / rel).unlink()
        other.write(rel.replace("shop/v1", "billing/v1"), text)
    built = other.buf("build", "-o", str(repo.root / "other.binpb"))
    assert built.returncode == 0, built.stderr
    assert_one_line_error(
        repo.protokit("check", "--against", "other.binpb"), "from another module", "billing.v1"
    )


def test_a_package_renamed_where_its_files_stay_is_judged_not_refused(repo: Repo) -> None:
    """The baseline shares no package with the module, but its files: the module's own change,
    which breaks as FILE_SAME_PACKAGE, not a baseline from another module."""
    for rel in ("proto/shop/v1/shop.proto", "proto/shop/v1/shop_service.proto"):
        repo.write(rel, repo.read(rel).replace("shop.v1", "shop.v2"))
    repo.commit("package renamed in place")
    data = repo.diff_json("--against", "main")
    rules = {rule for change in data["changes"] for rule in change["rules"]}
    assert "FILE_SAME_PACKAGE" in rules


def test_a_file_that_is_not_an_image_is_refused(repo: Repo) -> None:
    (repo.root / "garbage.binpb").write_bytes(b"\x0a\xff\xff")
    assert_one_line_error(
        repo.protokit("diff", "--against", "garbage.binpb"), "not a descriptor set"
    )
