"""`protokit release` tags a clean tree; `protokit build` derives its version from what changed."""

from __future__ import annotations

import pytest

from protokit.core.errors import UsageError
from protokit.core.workspace import open_workspace
from protokit.dist.version import derive_version
from protokit.tools.image import build_image

from .conftest import Repo, edit, one_error_line

ADDITIVE = ("  int64 price = 2;\n", "  int64 price = 2;\n  string title = 3;\n")
BREAKING = ("  int64 price = 2;\n", "  string price = 2;\n")


def derived(repo: Repo, requested: str | None = None) -> str:
    ws = open_workspace(repo.root)
    return derive_version(ws, build_image(ws), requested).version


def change(repo: Repo, old_new: tuple[str, str], message: str) -> None:
    edit(repo, *old_new)
    repo.ok("gen")
    repo.commit(message)


def test_release_commits_the_frozen_release_and_tags_it_annotated(shop: Repo) -> None:
    shop.ok("release", "1.0.0")
    assert shop.git("cat-file", "-t", "v1.0.0") == "tag"
    assert shop.git("rev-parse", "v1.0.0^{commit}") == shop.git("rev-parse", "HEAD")
    assert shop.git("status", "--porcelain") == ""
    assert "compat/releases/1.0.0/image.binpb" in shop.git("ls-files", "compat")


def test_a_release_whose_commit_fails_leaves_the_tree_and_history_as_they_were(
    shop: Repo,
) -> None:
    hook = shop.root / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'commits are frozen today' >&2\nexit 1\n")
    hook.chmod(0o755)
    head = shop.git("rev-parse", "HEAD")
    line = one_error_line(shop.protokit("release", "1.0.0"))
    assert "git commit failed" in line
    assert shop.git("rev-parse", "HEAD") == head
    assert shop.git("status", "--porcelain", "--untracked-files=all") == ""
    assert shop.git("tag", "--list") == ""
    assert not (shop.root / "compat" / "releases" / "1.0.0").exists()


def test_build_on_the_release_tag_gives_the_release_version(released: Repo) -> None:
    files = released.build()
    assert sorted(p.name for p in files) == [
        "shop_contracts-1.0.0-py3-none-any.whl",
        "shop_contracts-1.0.0.tar.gz",
    ]


def test_an_additive_change_gives_the_next_minor_dev_version(released: Repo) -> None:
    change(released, ADDITIVE, "add a title")
    assert derived(released) == "1.1.0.dev1"


def test_a_breaking_change_gives_the_next_major_dev_version(released: Repo) -> None:
    change(released, BREAKING, "price becomes text")
    (released.root / "NOTES.md").write_text("notes\n")
    released.commit("a second commit")
    assert derived(released) == "2.0.0.dev2"


def test_a_version_smaller_than_the_changes_imply_is_refused(released: Repo) -> None:
    change(released, BREAKING, "price becomes text")
    with pytest.raises(
        UsageError, match=r"version 1\.1\.0 is too small: the changes since 1\.0\.0 are major"
    ):
        derived(released, "1.1.0")
    assert derived(released, "2.0.0rc1") == "2.0.0rc1"


def test_without_a_release_the_version_is_a_first_dev_version(shop: Repo) -> None:
    assert derived(shop) == "0.1.0.dev1"


def test_an_invalid_version_string_is_one_clear_line(shop: Repo) -> None:
    line = one_error_line(shop.protokit("build", "--version", "one.two"), code=2)
    assert "'one.two' is not a valid PEP 440 version" in line


def test_release_refuses_uncommitted_contract_changes(shop: Repo) -> None:
    edit(shop, *ADDITIVE)
    line = one_error_line(shop.protokit("release", "1.0.0"))
    assert "uncommitted contract changes (proto/shop/v1/shop.proto)" in line
    assert not (shop.root / "compat").exists()


def test_release_refuses_lint_findings(shop: Repo) -> None:
    edit(
        shop,
        "// Item is one thing for sale.\nmessage Item {",
        "// Item is one thing for sale.\nmessage item_v {",
    )
    edit(shop, "  Item item = 1;", "  item_v item = 1;")
    shop.ok("gen")
    shop.commit("a badly named message")
    line = one_error_line(shop.protokit("release", "1.0.0"))
    assert "not clean to release" in line and "MESSAGE_PASCAL_CASE" in line
    assert shop.git("tag") == ""


def test_release_refuses_stale_generated_stubs(shop: Repo) -> None:
    edit(shop, *ADDITIVE)
    shop.commit("a field without regenerating")
    line = one_error_line(shop.protokit("release", "1.0.0"))
    assert "GEN_STALE" in line


def test_release_uses_the_configured_tag_pattern(shop: Repo) -> None:
    (shop.root / "pyproject.toml").write_text(
        '[tool.protokit]\nrelease_tag = "contracts-{version}"\n'
    )
    shop.commit("settings")
    shop.ok("release", "1.0.0")
    assert shop.git("tag") == "contracts-1.0.0"
    change(shop, ADDITIVE, "add a title")
    assert derived(shop) == "1.1.0.dev1"


def test_release_refuses_an_existing_tag(shop: Repo) -> None:
    shop.git("tag", "v1.0.0")
    line = one_error_line(shop.protokit("release", "1.0.0"))
    assert "git tag v1.0.0 already exists" in line
