"""PROTOKIT_BUF naming a program that is not buf must not make gen delete the stubs."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import BIN, assert_one_error_line


@pytest.mark.skipif(shutil.which("true") is None, reason="needs the `true` program")
def test_gen_with_a_buf_that_prints_nothing_keeps_the_stubs(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tiny_ws: Callable[..., Path]
) -> None:
    root = tiny_ws()
    assert protokit("gen", "--no-services", cwd=root).returncode == 0
    stubs = root / "gen/python"
    before = {p: p.read_bytes() for p in stubs.rglob("*") if p.is_file()}
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["PROTOKIT_BUF"] = str(shutil.which("true"))

    proc = subprocess.run(
        [str(BIN / "protokit"), "gen", "--no-services"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    line = assert_one_error_line(proc, 1)
    assert "`buf build` gave no compiled .proto files" in line
    assert {p: p.read_bytes() for p in stubs.rglob("*") if p.is_file()} == before
