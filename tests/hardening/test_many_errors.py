"""A tree that does not compile in many places is one line: the first error, located, then how
many there are, in how many files, and where all of them are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protokit.core.errors import ProtokitError
from protokit.tools.buf_output import parse_compile_errors, parse_json_findings
from tests.support import assert_one_error_line, run_protokit, write_tree

BROKEN = 40


def _broken_tree(root: Path) -> Path:
    files: dict[str, str | bytes] = {"buf.yaml": "version: v2\nmodules:\n  - path: protos\n"}
    for i in range(BROKEN):
        files[f"protos/shop/v1/m{i:02d}.proto"] = (
            f'syntax = "proto3";\npackage shop.v1;\nmessage M{i} {{\n  strin id = 1;\n}}\n'
        )
    return write_tree(root, files)


@pytest.mark.parametrize("command", [("gen",), ("check",), ("lint",), ("build",)])
def test_a_tree_with_many_compile_errors_is_one_line_with_their_count(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    root = _broken_tree(tmp_path / "ws")
    proc = run_protokit(*command, cwd=root, env={"PROTOKIT_CACHE_DIR": str(tmp_path / "c")})
    line = assert_one_error_line(proc, 1)
    assert line.startswith("protokit: error: protos/shop/v1/m00.proto:4:3: "), line
    assert line.endswith(
        f"(the first of {BROKEN} compile errors in {BROKEN} files; `buf build` lists them all)"
    ), line


def test_one_compile_error_is_named_alone() -> None:
    error = parse_compile_errors("a/b.proto:3:5: syntax error\n")
    assert error is not None
    assert str(error) == "a/b.proto:3:5: syntax error"


def test_the_count_is_of_distinct_errors_and_files() -> None:
    text = "a.proto:1:2: x\na.proto:1:2: x\na.proto:3:4: y\nb.proto:5:6: z\nnoise\n"
    error = parse_compile_errors(text)
    assert error is not None
    assert str(error) == (
        "a.proto:1:2: x (the first of 3 compile errors in 2 files; `buf build` lists them all)"
    )


def test_compile_entries_of_buf_json_output_are_one_error_not_findings() -> None:
    lines = [
        {"path": "a.proto", "start_line": 1, "start_column": 2, "type": "COMPILE", "message": "x"},
        {"path": "b.proto", "start_line": 3, "start_column": 4, "type": "COMPILE", "message": "y"},
    ]
    out = "".join(json.dumps(item) + "\n" for item in lines).encode()
    with pytest.raises(ProtokitError) as raised:
        parse_json_findings(out, "buf lint")
    assert str(raised.value) == (
        "a.proto:1:2: x (the first of 2 compile errors in 2 files; `buf build` lists them all)"
    )
