"""A wrong command line is one ``protokit: error:`` line naming the help to read, exit 2."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import assert_one_error_line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["frobnicate"], "No such command 'frobnicate'; see `protokit --help`"),
        (["lint", "--bogus"], "No such option '--bogus'; see `protokit lint --help`"),
        (["lint", "--format", "xml"], "Invalid value for '--format'"),
        (["release"], "Missing argument 'VERSION'; see `protokit release --help`"),
        (["new-version", "acme.user.v1"], "Missing argument 'VERSION'"),
        (["new-service"], "Missing argument 'NAME'; see `protokit new-service --help`"),
        (["gen", "--image", "no-such-image.binpb"], "Invalid value for '--image'"),
        (["lint", "--root", "buf.yaml"], "Invalid value for '--root'"),
        (["lint", "--root", "no-such-folder"], "Directory 'no-such-folder' does not exist"),
        (["gen", "--root", "~"], "Directory '~' does not exist"),
        (["fmt", "extra"], "Got unexpected extra argument (extra)"),
        (["check", "--against"], "Option '--against' requires an argument"),
    ],
)
def test_a_wrong_command_line_is_one_usage_line(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    args: list[str],
    expected: str,
) -> None:
    root = tiny_ws()

    line = assert_one_error_line(protokit(*args, cwd=root), 2)

    assert expected in line


def test_bare_protokit_still_prints_the_help(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    proc = protokit(cwd=tmp_path)

    assert proc.returncode == 2
    assert "Commands:" in proc.stdout + proc.stderr


def test_a_buf_v1_work_yaml_workspace_says_what_to_do(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    (tmp_path / "buf.work.yaml").write_text("version: v1\ndirectories:\n  - a\n", encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "a/buf.yaml").write_text("version: v1\n", encoding="utf-8")

    line = assert_one_error_line(protokit("lint", cwd=tmp_path), 1)

    assert line == (
        f"protokit: error: {tmp_path.resolve() / 'buf.work.yaml'}: this is a buf v1 workspace "
        "(buf.work.yaml) without a buf.yaml; protokit needs a buf v2 workspace: run `buf config "
        "migrate` here, or pass --root a module"
    )
