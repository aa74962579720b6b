"""Frozen releases, the generated compatibility tests, and `protokit check` against releases."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import SHOP, Repo, run


def freeze(repo: Repo, version: str = "1.0.0") -> None:
    proc = repo.protokit("release", version)
    assert proc.returncode == 0, proc.stderr
    assert repo.git("status", "--porcelain") == ""  # release committed itself


def run_generated_tests(repo: Repo) -> subprocess.CompletedProcess[str]:
    module = "tests/compat/test_compat_releases.py"
    return run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", module], repo.root)


def test_release_writes_image_fixtures_metadata_and_the_test_module(repo: Repo) -> None:
    freeze(repo)
    folder = repo.root / "compat/releases/1.0.0"
    assert (folder / "image.binpb").is_file()
    assert (folder / "fixtures/shop.v1.Item/values.binpb").is_file()
    assert (folder / "fixtures/shop.v1.Item/values.json").is_file()
    metadata = json.loads((folder / "release.json").read_text())
    assert metadata["version"] == "1.0.0"
    assert "fixtures/shop.v1.Item/limits.binpb" in metadata["sha256"]
    assert (repo.root / "tests/compat/test_compat_releases.py").is_file()
    assert repo.protokit("compat-tests", "--check").returncode == 0


def test_release_is_byte_identical_when_frozen_twice(repo: Repo, tmp_path: object) -> None:
    freeze(repo, "1.0.0")
    first = {
        p.relative_to(repo.root / "compat/releases/1.0.0"): p.read_bytes()
        for p in sorted((repo.root / "compat/releases/1.0.0").rglob("*"))
        if p.is_file()
    }
    repo.git("rm", "-q", "-r", "compat")
    repo.commit("drop release")
    repo.git("tag", "-d", "v1.0.0")
    freeze(repo, "1.0.0")
    second = {
        p.relative_to(repo.root / "compat/releases/1.0.0"): p.read_bytes()
        for p in sorted((repo.root / "compat/releases/1.0.0").rglob("*"))
        if p.is_file()
    }
    assert first == second


def test_release_refuses_to_overwrite_an_existing_release(repo: Repo) -> None:
    freeze(repo)
    proc = repo.protokit("release", "1.0.0")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert "already exists" in proc.stderr


def test_release_refuses_a_version_that_is_not_semver_or_not_newer(repo: Repo) -> None:
    bad = repo.protokit("release", "v1")
    assert bad.returncode == 2
    assert "MAJOR.MINOR.PATCH" in bad.stderr
    freeze(repo, "1.2.0")
    older = repo.protokit("release", "1.1.0")
    assert older.returncode == 2
    assert "newer than the latest release 1.2.0" in older.stderr


def test_generated_tests_pass_on_an_unchanged_schema(repo: Repo) -> None:
    freeze(repo)
    proc = run_generated_tests(repo)
    assert proc.returncode == 0, proc.stdout
    assert " passed" in proc.stdout


def test_generated_tests_catch_a_field_type_change_without_buf_breaking(repo: Repo) -> None:
    freeze(repo)
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    proc = run_generated_tests(repo)
    assert proc.returncode == 1, proc.stdout
    assert "COMPAT_WIRE_TYPE" in proc.stdout
    assert "test_current_schema_reads_release_payloads[1.0.0:shop.v1.Item]" in proc.stdout
    assert "test_release_schema_reads_current_payloads[1.0.0:shop.v1.Item]" in proc.stdout


def test_generated_tests_keep_unknown_fields_of_a_reserved_deletion(repo: Repo) -> None:
    freeze(repo)
    repo.replace(SHOP, "  int64 price = 2;\n", '  reserved 2;\n  reserved "price";\n')
    proc = run_generated_tests(repo)
    assert proc.returncode == 0, proc.stdout


def test_generated_tests_catch_a_renamed_json_name(repo: Repo) -> None:
    freeze(repo)
    repo.replace(
        SHOP, "  string display_name = 11;", '  string display_name = 11 [json_name = "title"];'
    )
    proc = run_generated_tests(repo)
    assert proc.returncode == 1
    assert "COMPAT_JSON_NAME" in proc.stdout
    assert "'displayName'" in proc.stdout


def test_check_defaults_to_the_latest_release_and_finds_the_type_change(repo: Repo) -> None:
    freeze(repo)
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    proc = repo.protokit("check")
    assert proc.returncode == 100
    # one change, one finding, its rules listed together (beside the next-version note)
    (line,) = [ln for ln in proc.stdout.splitlines() if not ln.startswith("NEXT_VERSION")]
    assert line.startswith(f"{SHOP}:17:3: FIELD_SAME_TYPE (also ")
    assert "COMPAT_WIRE_TYPE" in line.split(": ")[1]
    assert "against release 1.0.0" in proc.stderr


def test_check_all_releases_reads_every_frozen_release(repo: Repo) -> None:
    freeze(repo, "1.0.0")
    repo.replace(
        SHOP, "  string display_name = 11;\n", "  string display_name = 11;\n  int32 rank = 12;\n"
    )
    repo.commit("add rank")
    freeze(repo, "1.1.0")
    proc = repo.protokit("check", "--all-releases")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "release 1.0.0" in proc.stderr
    assert "release 1.1.0" in proc.stderr


def test_check_reports_a_stale_generated_test_module(repo: Repo) -> None:
    freeze(repo)
    (repo.root / "tests/compat/test_compat_releases.py").write_text("# edited\n")
    proc = repo.protokit("check")
    assert proc.returncode == 100
    assert "tests/compat/test_compat_releases.py:1:1: COMPAT_TESTS_STALE" in proc.stdout
    assert repo.protokit("compat-tests").returncode == 0
    assert repo.protokit("check").returncode == 0


def test_check_github_format_annotates_the_changed_line(repo: Repo) -> None:
    freeze(repo)
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    proc = repo.protokit("check", "--format", "github")
    assert proc.returncode == 100
    assert f"::error file={SHOP},line=17,col=3" in proc.stdout


def test_diff_implies_the_next_version_from_the_latest_release(repo: Repo) -> None:
    freeze(repo, "1.4.2")
    repo.replace(
        SHOP, "  string display_name = 11;\n", "  string display_name = 11;\n  int32 rank = 12;\n"
    )
    data = repo.diff_json()
    assert data["bump"] == "minor"
    assert data["next_version"] == "1.5.0"
    text = repo.protokit("diff").stdout
    assert "new field shop.v1.Item.rank (12, int32)" in text
    assert "next version 1.5.0" in text


def test_check_accepts_a_tag_a_release_or_an_image_file_as_baseline(repo: Repo) -> None:
    freeze(repo)  # tags v1.0.0
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    for against in ("v1.0.0", "1.0.0", "compat/releases/1.0.0/image.binpb"):
        proc = repo.protokit("check", "--against", against, "--format", "json")
        assert proc.returncode == 100, (against, proc.stderr)
        rules = {r for f in json.loads(proc.stdout) for r in (f["rule"], *f["also"])}
        assert {"FIELD_SAME_TYPE", "COMPAT_WIRE_TYPE"} <= rules, against


def test_release_refuses_a_version_smaller_than_the_changes_imply(repo: Repo) -> None:
    freeze(repo, "1.0.0")
    repo.replace(SHOP, "  int64 price = 2;", "  string price = 2;")
    repo.commit("price becomes a string")
    proc = repo.protokit("release", "1.1.0")
    assert proc.returncode == 2
    assert "the changes since 1.0.0 are major" in proc.stderr
    assert "release 2.0.0 or later" in proc.stderr
    assert not (repo.root / "compat/releases/1.1.0").exists()
    assert repo.protokit("release", "2.0.0").returncode == 0
