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


def test_under_file_reserving_a_deleted_enum_value_is_not_offered_as_the_fix(repo: Repo) -> None:
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "")
    (change,) = changes(repo)
    assert change["rules"] == ["ENUM_VALUE_NO_DELETE"]
    assert "restore the value" in change["fix"]
    assert "reserved 2;" not in change["fix"]


def test_under_wire_json_a_deleted_enum_value_gets_its_reserved_lines(repo: Repo) -> None:
    repo.replace("buf.yaml", "    - FILE", "    - WIRE_JSON")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "")
    (change,) = changes(repo)
    assert change["rules"] == [
        "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
        "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
    ]
    assert change["fix"] == (
        'add to enum shop.v1.Color: reserved 2;; add to enum shop.v1.Color: reserved "COLOR_GREEN";'
    )


def test_under_wire_a_reserved_deletion_is_no_change_that_breaks(repo: Repo) -> None:
    repo.replace("buf.yaml", "    - FILE", "    - WIRE")
    repo.replace(SHOP, "  int64 price = 2;\n", "  reserved 2;\n")
    assert [c for c in changes(repo) if c["kind"] == "breaking"] == []


def test_a_renumbered_field_is_one_change_named_for_its_new_number(repo: Repo) -> None:
    repo.replace(SHOP, "  shop.v1.Color color = 3;", "  shop.v1.Color color = 13;")
    removed = [c for c in changes(repo) if c["action"] == "removed"]
    assert [c["detail"] for c in removed] == [
        "field shop.v1.Item.color changed number from 3 to 13"
    ]
    assert removed[0]["rules"] == ["FIELD_NO_DELETE"]


def test_under_wire_json_a_renumbered_field_breaks_both_rules_and_has_one_fix(repo: Repo) -> None:
    """buf judges deletion by number: the old number is gone, and the name, still in use, is
    not reserved (nor could it be). Restoring the number is the fix that clears both."""
    repo.replace("buf.yaml", "    - FILE", "    - WIRE_JSON")
    repo.replace(SHOP, "  shop.v1.Color color = 3;", "  shop.v1.Color color = 13;")
    (removed,) = [c for c in changes(repo) if c["action"] == "removed"]
    assert removed["rules"] == [
        "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
        "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
    ]
    assert removed["fix"] == (
        "give shop.v1.Item.color its number 3 back: a renumbered field reads as a deleted one"
    )


def test_text_changelog_lists_each_change_with_rule_and_location(repo: Repo) -> None:
    repo.replace(SHOP, "  int64 price = 2;\n", "")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "  COLOR_GREEN = 2;\n  COLOR_BLUE = 3;\n")
    repo.commit("change")
    text = repo.protokit("diff", "--against", "main").stdout
    assert "breaking  removed" in text
    assert f"[FIELD_NO_DELETE]  ({SHOP}:16:1)" in text  # below the new value
    assert "fix: restore the field and mark it `deprecated = true`" in text
    assert "additive  added" in text
    assert "new enum value shop.v1.Color.COLOR_BLUE (3)" in text
    assert "implied bump: major (no release frozen yet)" in text
