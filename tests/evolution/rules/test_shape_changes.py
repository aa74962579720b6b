"""Every field-shape change, both directions, in one module: diff agrees with buf in every
category, message by message, and neither diff nor the fixture checks crash."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from protokit.evolution.compat import Compat, Snapshot
from protokit.evolution.rules import Category, Kind

from .agreement import buf_breaking, build, diff, load, write_module

SHAPES = (
    "int32 f = 1;",
    "optional int32 f = 1;",
    "repeated int32 f = 1;",
    "string f = 1;",
    "bytes f = 1;",
    "double f = 1;",
    "sint64 f = 1;",
    "fixed32 f = 1;",
    "E f = 1;",
    "repeated E f = 1;",
    "N f = 1;",
    "optional N f = 1;",
    "repeated N f = 1;",
    "oneof o { int32 f = 1; }",
    "map<string, int32> f = 1;",
    "map<string, N> f = 1;",
)
PAIRS = [(i, j) for i in range(len(SHAPES)) for j in range(len(SHAPES)) if i != j]


def module(side: int) -> dict[str, str]:
    lines = [
        'syntax = "proto3";',
        "package p.v1;",
        "enum E {\n  E_UNSPECIFIED = 0;\n  E_ONE = 1;\n}",
        "message N {\n  string s = 1;\n}",
    ]
    for i, j in PAIRS:
        lines.append(f"message X{i}x{j} {{\n  {SHAPES[(i, j)[side]]}\n}}")
    return {"p/v1/a.proto": "\n\n".join(lines) + "\n"}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("shapes")
    return build(write_module(root / "previous", module(0))), build(
        write_module(root / "current", module(1))
    )


def _message_of(text: str) -> str:
    found = re.search(r"X\d+x\d+", text)
    return found.group(0) if found else ""


@pytest.mark.parametrize("category", list(Category))
def test_diff_reports_the_rules_buf_reports_for_every_shape_change(
    images: tuple[Path, Path], category: Category, tmp_path: Path
) -> None:
    previous, current = images
    root = write_module(tmp_path / "current", module(1), category)
    by_buf: dict[str, set[str]] = defaultdict(set)
    for f in buf_breaking(root, previous):
        by_buf[_message_of(f.message) or f"line {f.line}"].add(f.rule)
    lines = (root / "p/v1/a.proto").read_text().splitlines()
    by_diff: dict[str, set[str]] = defaultdict(set)
    for c in diff(previous, current, category).changes:
        if c.kind is Kind.BREAKING:
            where = _message_of(c.name) or _message_of(lines[c.line - 1] if c.line else "")
            by_diff[where or f"line {c.line}"].update(c.rules)
    # buf names the message in most messages; for the rest it is the one at the finding's line
    for key in [k for k in by_buf if k.startswith("line ")]:
        line = int(key.split()[1])
        owner = next(
            _message_of(lines[n]) for n in range(line - 1, -1, -1) if _message_of(lines[n])
        )
        by_buf[owner] |= by_buf.pop(key)
    assert dict(by_diff) == dict(by_buf)


def test_fixture_checks_survive_every_shape_change_in_both_directions(
    images: tuple[Path, Path],
) -> None:
    previous, current = (load(path) for path in images)
    for old, new in ((previous, current), (current, previous)):
        findings = Compat(new).check(Snapshot.of_image("baseline", old))
        assert all(f.rule.startswith("COMPAT_") for f in findings)
