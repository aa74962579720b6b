"""A ``.proto`` file holding binary data is named, not reported as a bare buf failure."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import assert_one_error_line

BINARY = b"\x00\x00\x00garbage\x00"
UNFORMATTED = 'syntax = "proto3";\npackage   shop.extra.v1;\n'


@pytest.mark.parametrize("command", [["fmt"], ["check"]])
def test_a_binary_proto_file_is_a_finding_at_its_path(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    command: list[str],
) -> None:
    root = tiny_ws({"shop/bad/v1/bad.proto": BINARY})

    proc = protokit(*command, cwd=root)

    assert proc.returncode == 100, proc.stderr
    assert (
        "shop/bad/v1/bad.proto:1:1: FORMAT_BINARY: file holds binary data (NUL bytes)"
        in proc.stdout
    )
    assert "Traceback" not in proc.stderr
    assert "internal error" not in proc.stderr


def test_fmt_reports_a_binary_file_next_to_an_unformatted_one(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tiny_ws: Callable[..., Path]
) -> None:
    root = tiny_ws({"shop/bad/v1/bad.proto": BINARY, "shop/extra/v1/extra.proto": UNFORMATTED})

    proc = protokit("fmt", cwd=root)

    assert proc.returncode == 100, proc.stderr
    assert "shop/bad/v1/bad.proto:1:1: FORMAT_BINARY" in proc.stdout
    assert "shop/extra/v1/extra.proto:2:1: FORMAT:" in proc.stdout


def test_fmt_write_refuses_to_rewrite_and_leaves_every_file_as_it_was(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tiny_ws: Callable[..., Path]
) -> None:
    root = tiny_ws({"shop/bad/v1/bad.proto": BINARY, "shop/extra/v1/extra.proto": UNFORMATTED})

    line = assert_one_error_line(protokit("fmt", "--write", cwd=root), 1)

    assert line.startswith("protokit: error: shop/bad/v1/bad.proto: holds binary data")
    assert (root / "shop/bad/v1/bad.proto").read_bytes() == BINARY
    assert (root / "shop/extra/v1/extra.proto").read_text(encoding="utf-8") == UNFORMATTED
