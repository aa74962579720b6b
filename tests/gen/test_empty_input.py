"""``gen --image`` with an image that holds nothing refuses instead of deleting every stub."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.support import assert_one_error_line


def test_gen_from_an_empty_image_keeps_the_generated_stubs(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    tmp_path: Path,
) -> None:
    root = tiny_ws()
    assert protokit("gen", "--no-services", cwd=root).returncode == 0
    stubs = root / "gen/python"
    before = {p: p.read_bytes() for p in stubs.rglob("*") if p.is_file()}
    empty = tmp_path / "empty.binpb"
    empty.write_bytes(b"")

    line = assert_one_error_line(protokit("gen", "--image", str(empty), cwd=root), 1)

    assert line == (
        f"protokit: error: {empty}: the image holds no .proto files; nothing to generate "
        "(and the generated stubs were left as they are)"
    )
    assert {p: p.read_bytes() for p in stubs.rglob("*") if p.is_file()} == before
