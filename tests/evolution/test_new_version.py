"""`protokit new-version`: the next major version beside the old one, lint- and format-clean."""

from __future__ import annotations

from .conftest import SERVICE, SHOP, Repo


def test_new_version_copies_the_package_renamed_with_imports_fixed(repo: Repo) -> None:
    proc = repo.protokit("new-version", "shop.v1", "v2")
    assert proc.returncode == 0, proc.stderr
    shop = repo.read("proto/shop/v2/shop.proto")
    service = repo.read("proto/shop/v2/shop_service.proto")
    assert "package shop.v2;" in shop
    assert "  shop.v2.Color color = 3;" in shop  # a fully-qualified reference to its own package
    assert 'import "shop/v2/shop.proto";' in service
    assert 'import "google/protobuf/timestamp.proto";' in shop
    assert "// Item is one thing for sale." in shop  # comments kept
    assert repo.buf("lint").returncode == 0
    assert repo.buf("format", "--diff", "--exit-code").returncode == 0
    assert "package shop.v1;" in repo.read(SHOP)
    assert 'import "shop/v1/shop.proto";' in repo.read(SERVICE)


def test_new_version_is_an_additive_change(repo: Repo) -> None:
    assert repo.protokit("new-version", "shop.v1", "v2").returncode == 0
    data = repo.diff_json("--against", "main")
    assert data["breaking"] is False
    assert data["bump"] == "minor"


def test_new_version_never_overwrites_an_existing_version(repo: Repo) -> None:
    assert repo.protokit("new-version", "shop.v1", "v2").returncode == 0
    before = repo.read("proto/shop/v2/shop.proto")
    proc = repo.protokit("new-version", "shop.v1", "v2")
    assert proc.returncode == 1
    assert "already exists" in proc.stderr
    assert repo.read("proto/shop/v2/shop.proto") == before


def test_new_version_refuses_bad_arguments(repo: Repo) -> None:
    assert repo.protokit("new-version", "shop", "v2").returncode == 2
    assert repo.protokit("new-version", "shop.v1", "2").returncode == 2
    unknown = repo.protokit("new-version", "nope.v1", "v2")
    assert unknown.returncode == 1
    assert "no package nope.v1" in unknown.stderr
    assert not (repo.root / "proto/shop/v2").exists()


def test_new_version_leaves_comments_and_strings_untouched(repo: Repo) -> None:
    hostile = '// Moved from package shop.v1; see import "shop/v1/shop.proto" and shop.v1.Item.\n'
    repo.replace(SHOP, "// Node is a recursive tree.\n", hostile + "// Node is a recursive tree.\n")
    assert repo.protokit("new-version", "shop.v1", "v2").returncode == 0
    assert hostile in repo.read("proto/shop/v2/shop.proto")
