"""`protokit diff`: the exact `reserved` lines for deletions, and the text changelog."""

from __future__ import annotations

from typing import Any

from .conftest import SHOP, Repo


def changes(repo: Repo) -> list[dict[str, Any]]:
    repo.commit("change")
    data = repo.diff_json("--against", "main")
    result = data["changes"]
    assert isinstance(result, list)
    return result


def test_a_removed_unreserved_enum_value_gets_its_reserved_lines(repo: Repo) -> None:
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "")
    (change,) = changes(repo)
    assert change["rule"] == "ENUM_VALUE_NO_DELETE"
    assert change["fix"] == 'add to enum shop.v1.Color: reserved 2; reserved "COLOR_GREEN";'


def test_a_removed_field_that_is_already_reserved_needs_no_reserved_lines(repo: Repo) -> None:
    repo.replace(SHOP, "  int64 price = 2;\n", '  reserved 2;\n  reserved "price";\n')
    (change,) = changes(repo)
    assert change["rule"] == "FIELD_NO_DELETE"
    assert change["fix"] is None


def test_a_renumbered_field_reserves_only_the_old_number(repo: Repo) -> None:
    repo.replace(SHOP, "  shop.v1.Color color = 3;", "  shop.v1.Color color = 13;")
    removed = [c for c in changes(repo) if c["action"] == "removed"]
    assert [c["detail"] for c in removed] == [
        "field shop.v1.Item.color changed number from 3 to 13"
    ]
    assert removed[0]["fix"] == "add to message shop.v1.Item: reserved 3;"


def test_text_changelog_lists_each_change_with_rule_and_location(repo: Repo) -> None:
    repo.replace(SHOP, "  int64 price = 2;\n", "")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "  COLOR_GREEN = 2;\n  COLOR_BLUE = 3;\n")
    repo.commit("change")
    text = repo.protokit("diff", "--against", "main").stdout
    assert "breaking  removed" in text
    assert f"[FIELD_NO_DELETE]  ({SHOP}:16:1)" in text  # below the new value
    assert 'fix: add to message shop.v1.Item: reserved 2; reserved "price";' in text
    assert "additive  added" in text
    assert "new enum value shop.v1.Color.COLOR_BLUE (3)" in text
    assert "implied bump: major (no release frozen yet)" in text
