"""protokit lint / fmt / check over the real buf binary, on clean and broken protos."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

Run = Callable[..., CompletedProcess[str]]
Make = Callable[[dict[str, str]], Path]

GOOD = 'syntax = "proto3";\n\npackage shop.v1;\n\nmessage Item {\n  string id = 1;\n}\n'
BAD_NAMES = 'syntax = "proto3";\n\npackage shop.v1;\n\nmessage item_thing {\n  string ID = 1;\n}\n'
UNFORMATTED = 'syntax = "proto3";\npackage shop.v1;\n\n\n\nmessage Item {   string id = 1; }\n'


def test_lint_reports_findings_with_location_and_rule(protokit: Run, workspace: Make) -> None:
    root = workspace({"proto/shop/v1/item.proto": BAD_NAMES})
    result = protokit("lint", cwd=root)
    assert result.returncode == 100, result.stderr
    lines = result.stdout.splitlines()
    assert "proto/shop/v1/item.proto:5:9: MESSAGE_PASCAL_CASE: " in lines[0]
    assert any(
        line.startswith("proto/shop/v1/item.proto:6:10: FIELD_LOWER_SNAKE_CASE: ") for line in lines
    )
    assert "2 findings" in result.stderr


def test_lint_json_format_is_machine_readable(protokit: Run, workspace: Make) -> None:
    root = workspace({"proto/shop/v1/item.proto": BAD_NAMES})
    result = protokit("lint", "--format", "json", cwd=root)
    assert result.returncode == 100
    data = json.loads(result.stdout)
    assert {item["rule"] for item in data} == {"MESSAGE_PASCAL_CASE", "FIELD_LOWER_SNAKE_CASE"}
    first = data[0]
    assert (first["path"], first["line"], first["column"]) == ("proto/shop/v1/item.proto", 5, 9)
    assert first["source"] == "buf lint"


def test_lint_github_format_emits_annotations(protokit: Run, workspace: Make) -> None:
    root = workspace({"proto/shop/v1/item.proto": BAD_NAMES})
    result = protokit("lint", "--format", "github", cwd=root)
    assert result.returncode == 100
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error file=proto/shop/v1/item.proto,line=5,col=9,")
    assert "title=buf lint MESSAGE_PASCAL_CASE::" in first


def test_clean_workspace_lints_clean(protokit: Run, workspace: Make) -> None:
    root = workspace({"proto/shop/v1/item.proto": GOOD})
    result = protokit("lint", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_fmt_reports_the_first_changed_line(protokit: Run, workspace: Make) -> None:
    root = workspace({"proto/shop/v1/item.proto": UNFORMATTED})
    result = protokit("fmt", cwd=root)
    assert result.returncode == 100
    assert result.stdout.startswith("proto/shop/v1/item.proto:4:1: FORMAT: ")
    assert "protokit fmt --write" in result.stdout


def test_fmt_write_fixes_the_file(protokit: Run, workspace: Make) -> None:
    root = workspace({"proto/shop/v1/item.proto": UNFORMATTED})
    result = protokit("fmt", "--write", cwd=root)
    assert result.returncode == 0
    assert "formatted proto/shop/v1/item.proto" in result.stderr
    assert (
        "message Item {\n  string id = 1;\n}\n" in (root / "proto/shop/v1/item.proto").read_text()
    )
    assert protokit("fmt", cwd=root).returncode == 0


def test_check_combines_format_and_lint(protokit: Run, workspace: Make) -> None:
    root = workspace({"proto/shop/v1/item.proto": UNFORMATTED.replace("Item", "item_thing")})
    result = protokit("check", "--format", "json", cwd=root)
    assert result.returncode == 100
    rules = {item["rule"] for item in json.loads(result.stdout)}
    assert {"FORMAT", "MESSAGE_PASCAL_CASE"} <= rules


SYNTAX_ERROR = 'syntax = "proto3";\n\npackage shop.v1;\n\nmessage Item {\n  string id = 1\n}\n'
MISSING_IMPORT = 'syntax = "proto3";\n\npackage shop.v1;\n\nimport "shop/v1/nope.proto";\n'


# `buf format` only parses leniently and never resolves imports, so `fmt` is not in this list;
# `check` runs lint too and must fail on both.
@pytest.mark.parametrize("command", ["lint", "check"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SYNTAX_ERROR, "protokit: error: proto/shop/v1/item.proto:7:1: "),
        (MISSING_IMPORT, "protokit: error: proto/shop/v1/item.proto:5:"),
    ],
    ids=["syntax-error", "missing-import"],
)
def test_broken_proto_is_one_line_error_with_location(
    protokit: Run, workspace: Make, command: str, text: str, expected: str
) -> None:
    root = workspace({"proto/shop/v1/item.proto": text})
    result = protokit(command, cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith(expected), result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_unknown_buf_config_key_names_file_and_line(protokit: Run, workspace: Make) -> None:
    root = workspace({"proto/shop/v1/item.proto": GOOD})
    (root / "buf.yaml").write_text(
        "version: v2\nmodules:\n  - path: proto\nlintt:\n  use: [STANDARD]\n"
    )
    result = protokit("lint", cwd=root)
    assert result.returncode == 1
    assert (
        result.stderr
        == "protokit: error: buf.yaml:4: invalid buf configuration: field lintt not found\n"
    )


def test_unknown_protokit_setting_is_refused_with_suggestion(
    protokit: Run, workspace: Make
) -> None:
    root = workspace({"proto/shop/v1/item.proto": GOOD})
    (root / "pyproject.toml").write_text('[tool.protokit]\nstub_out = "x"\n')
    result = protokit("lint", cwd=root)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "protokit: error: pyproject.toml: unknown key 'stub_out' in [tool.protokit]"
    )
    assert "did you mean 'stubs_out'?" in result.stderr


def test_missing_buf_binary_says_how_to_install(
    protokit: Run, workspace: Make, tmp_path: Path
) -> None:
    root = workspace({"proto/shop/v1/item.proto": GOOD})
    result = protokit("lint", cwd=root, env={"PROTOKIT_BUF": str(tmp_path / "no-such-buf")})
    assert result.returncode == 1
    assert "pip install buf-bin" in result.stderr
    assert result.stderr.count("\n") == 1
