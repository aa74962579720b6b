"""Whole edits of a module, in every category: diff reports exactly the breaking rules buf
reports. Each edit is one the rule scenarios did not cover and a comparison of diff with buf
breaking on random edits found diff disagreeing on."""

from __future__ import annotations

from pathlib import Path

import pytest

from protokit.evolution.rules import Category, Kind

from .agreement import buf_breaking, build, diff, write_module

A = "p/v1/a.proto"
B = "p/v1/b.proto"
BEFORE = {
    A: 'syntax = "proto3";\n\npackage p.v1;\n\nimport "p/v1/b.proto";\n\n'
    "enum E {\n  E_UNSPECIFIED = 0;\n  E_ONE = 1;\n}\n\n"
    "message M {\n  string s = 1;\n  int64 n = 2;\n  N nested = 3;\n  int32 k = 4;\n"
    "  reserved 100 to max;\n}\n\n"
    "service S {\n  rpc Get(M) returns (M);\n}\n",
    B: 'syntax = "proto3";\n\npackage p.v1;\n\nmessage N {\n  string s = 1;\n}\n',
}


def _renumbered(files: dict[str, str]) -> dict[str, str]:
    return {**files, A: files[A].replace("int64 n = 2;", "int64 n = 12;")}


def _package_renamed(files: dict[str, str]) -> dict[str, str]:
    """Both files keep their paths; the package they declare is another."""
    return {name: text.replace("p.v1", "p.v2") for name, text in files.items()}


def _package_renamed_and_a_type_changed(files: dict[str, str]) -> dict[str, str]:
    renamed = _package_renamed(files)
    return {**renamed, A: renamed[A].replace("int64 n = 2;", "int32 n = 2;")}


def _jstype_set(files: dict[str, str]) -> dict[str, str]:
    return {**files, A: files[A].replace("int64 n = 2;", "int64 n = 2 [jstype = JS_STRING];")}


def _made_sixty_four_bit_with_jstype(files: dict[str, str]) -> dict[str, str]:
    """jstype means something for 64-bit integers only: to buf only the type changed."""
    return {**files, A: files[A].replace("int32 k = 4;", "int64 k = 4 [jstype = JS_STRING];")}


def _reserved_to_max_shrunk(files: dict[str, str]) -> dict[str, str]:
    """Past the first ten thousand numbers of a range: compared as ranges, not numbers."""
    return {**files, A: files[A].replace("reserved 100 to max;", "reserved 100 to 20000;")}


EDITS = {
    "a field renumbered": _renumbered,
    "a reserved range to max shrunk": _reserved_to_max_shrunk,
    "jstype set on a 64-bit field": _jstype_set,
    "a field made 64-bit with a jstype": _made_sixty_four_bit_with_jstype,
    "the package renamed where the files stay": _package_renamed,
    "the package renamed and a field's type changed": _package_renamed_and_a_type_changed,
}


@pytest.mark.parametrize("category", list(Category))
@pytest.mark.parametrize("edit", list(EDITS))
def test_diff_reports_exactly_the_rules_buf_reports(
    edit: str, category: Category, tmp_path: Path
) -> None:
    previous = build(write_module(tmp_path / "previous", BEFORE, category))
    root = write_module(tmp_path / "current", EDITS[edit](BEFORE), category)
    current = build(root)
    by_buf = {f.rule for f in buf_breaking(root, previous)}
    by_diff = {
        rule
        for change in diff(previous, current, category).changes
        if change.kind is Kind.BREAKING
        for rule in change.rules
    }
    if category is Category.FILE:
        assert by_buf, "every edit breaks under FILE"
    assert by_diff == by_buf
