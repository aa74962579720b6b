"""What `protokit diff` and `check` report: exit codes, formats, the next version, baselines
that do not exist, and the changelog `release` writes."""

from __future__ import annotations

import json

from .conftest import SERVICE, SHOP, Repo
from .test_releases import freeze


def test_diff_exit_code_is_100_on_a_breaking_change(repo: Repo) -> None:
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    repo.commit("type change")
    assert repo.protokit("diff", "--against", "main").returncode == 0
    assert repo.protokit("diff", "--against", "main", "--exit-code").returncode == 100


def test_diff_exit_code_is_0_on_an_additive_change(repo: Repo) -> None:
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "  COLOR_GREEN = 2;\n  COLOR_BLUE = 3;\n")
    repo.commit("new value")
    assert repo.protokit("diff", "--against", "main", "--exit-code").returncode == 0


def test_diff_markdown_lists_each_change_under_its_kind(repo: Repo) -> None:
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "  COLOR_GREEN = 2;\n  COLOR_BLUE = 3;\n")
    repo.commit("two changes")
    text = repo.protokit("diff", "--against", "main", "--format", "markdown").stdout
    assert "### Breaking changes" in text
    (breaking,) = [ln for ln in text.splitlines() if "FIELD_SAME_TYPE" in ln]
    assert breaking.startswith("- field shop.v1.Item.price (2) changed type from int64 to string")
    assert breaking.endswith(f"(`FIELD_SAME_TYPE`) — `{SHOP}:18:3`"), breaking  # below the value
    assert "### Additions and deprecations" in text
    assert "new enum value shop.v1.Color.COLOR_BLUE (3)" in text


def test_diff_github_format_annotates_each_breaking_change_once(repo: Repo) -> None:
    repo.replace(SHOP, "  Node tree = 9;", "  int32 tree = 9;")
    repo.commit("message to scalar")
    out = repo.protokit("diff", "--against", "main", "--format", "github").stdout
    (line,) = out.splitlines()
    assert line.startswith(f"::error file={SHOP},line=")
    assert "FIELD_SAME_TYPE (also FIELD_SAME_CARDINALITY)" in line


def test_a_deleted_file_is_reported_without_a_made_up_place(repo: Repo) -> None:
    repo.write("proto/shop/v1/extra.proto", 'syntax = "proto3";\n\npackage shop.v1;\n')
    repo.commit("extra file")
    repo.git("branch", "-f", "main")
    (repo.root / "proto/shop/v1/extra.proto").unlink()
    repo.commit("delete it")
    check = repo.protokit("check", "--against", "main")
    (line,) = [ln for ln in check.stdout.splitlines() if "FILE_NO_DELETE" in ln]
    assert line.startswith("FILE_NO_DELETE: ")
    github = repo.protokit("check", "--against", "main", "--format", "github").stdout
    (note,) = [ln for ln in github.splitlines() if "FILE_NO_DELETE" in ln]
    assert "file=" not in note and "line=" not in note


def test_next_version_counts_from_the_latest_release_not_the_baseline(repo: Repo) -> None:
    freeze(repo, "1.0.0")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "  COLOR_GREEN = 2;\n  COLOR_BLUE = 3;\n")
    repo.commit("additive, unreleased")
    repo.git("branch", "-f", "main")
    repo.replace(SHOP, "// Item is one thing for sale.", "// Item is one thing we sell.")
    repo.commit("comment only")
    data = repo.diff_json("--against", "main")
    assert data["bump"] == "patch"  # what this change did
    assert data["next_version"] == "1.1.0"  # what releasing now needs


def test_breaks_already_pending_since_the_release_are_listed_apart(repo: Repo) -> None:
    freeze(repo, "1.0.0")
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    repo.commit("break, unreleased")
    repo.git("branch", "-f", "main")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "  COLOR_GREEN = 2;\n  COLOR_BLUE = 3;\n")
    repo.commit("additive")
    data = repo.diff_json("--against", "main")
    assert data["breaking"] is False
    assert [c["rules"] for c in data["pending"]] == [["FIELD_SAME_TYPE"]]
    assert data["next_version"] == "2.0.0"


def test_a_version_that_is_no_release_lists_the_releases(repo: Repo) -> None:
    freeze(repo, "1.0.0")
    proc = repo.protokit("diff", "--against", "9.9.9")
    assert proc.returncode == 1
    assert "not a frozen release" in proc.stderr and "frozen releases: 1.0.0" in proc.stderr


def test_a_missing_image_file_is_named_as_missing(repo: Repo) -> None:
    proc = repo.protokit("check", "--against", "missing.binpb")
    assert proc.returncode == 1
    assert "baseline image file 'missing.binpb' does not exist" in proc.stderr


def test_release_adds_its_changelog_section_newest_first(repo: Repo) -> None:
    freeze(repo, "1.0.0")
    repo.replace(SERVICE, "// ShopService sells items.", "// ShopService sells items well.")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "  COLOR_GREEN = 2;\n  COLOR_BLUE = 3;\n")
    repo.commit("a new value")
    freeze(repo, "1.1.0")  # commits CHANGELOG.md with the release
    text = repo.read("CHANGELOG.md")
    assert text.startswith("# Changelog\n\n## 1.1.0\n")
    assert "new enum value shop.v1.Color.COLOR_BLUE (3)" in text
    assert text.index("## 1.1.0") < text.index("## 1.0.0")
    assert "First release." in text


def test_check_json_lists_the_rules_of_one_change_together(repo: Repo) -> None:
    repo.replace(SHOP, "  Node tree = 9;", "  int32 tree = 9;")
    repo.commit("message to scalar")
    findings = json.loads(repo.protokit("check", "--against", "main", "--format", "json").stdout)
    (finding,) = findings
    assert finding["rule"] == "FIELD_SAME_CARDINALITY" or finding["rule"] == "FIELD_SAME_TYPE"
    assert {"FIELD_SAME_TYPE", "FIELD_SAME_CARDINALITY"} <= {finding["rule"], *finding["also"]}


def test_check_sarif_locates_each_finding_for_code_scanning(repo: Repo) -> None:
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    repo.commit("type change")
    proc = repo.protokit("check", "--against", "main", "--format", "sarif")
    assert proc.returncode == 100
    log = json.loads(proc.stdout)
    assert log["version"] == "2.1.0"
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "FIELD_SAME_TYPE"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == SHOP
    assert location["region"] == {"startLine": 17, "startColumn": 3}


def test_a_two_change_pull_request_gets_two_findings(repo: Repo) -> None:
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    repo.replace(
        SHOP, "  string display_name = 11;", '  string display_name = 11 [json_name = "t"];'
    )
    repo.commit("two changes")
    findings = json.loads(repo.protokit("check", "--against", "main", "--format", "json").stdout)
    assert [(f["path"], f["line"], f["rule"]) for f in findings] == [
        (SHOP, 17, "FIELD_SAME_TYPE"),
        (SHOP, 28, "FIELD_SAME_JSON_NAME"),
    ]
