"""``gen`` writes only into a folder of its own inside the workspace, whatever --out says."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import assert_one_error_line

USER_PYPROJECT = '[project]\nname = "mine"\n'


@pytest.mark.parametrize(
    ("flags", "settings", "expected"),
    [
        (["--out", "."], "", "is the workspace root"),
        (["--out", "./"], "", "is the workspace root"),
        (["--services-out", "."], "", "is the workspace root"),
        (["--out", "../escape"], "", "leaves the workspace"),
        (["--out", "gen/../.."], "", "leaves the workspace"),
        (["--out", "/OUTSIDE"], "", "is outside the workspace"),
        (["--services-out", "/OUTSIDE"], "", "is outside the workspace"),
    ],
)
def test_gen_refuses_output_folders_outside_or_at_the_root(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    tmp_path: Path,
    flags: list[str],
    settings: str,
    expected: str,
) -> None:
    outside = tmp_path / "outside"
    flags = [flag.replace("/OUTSIDE", str(outside)) for flag in flags]
    settings = settings.replace("/OUTSIDE", str(outside))
    root = tiny_ws({"pyproject.toml": USER_PYPROJECT + "\n[tool.protokit]\n" + settings})
    before = sorted(p.relative_to(root) for p in root.rglob("*"))

    line = assert_one_error_line(protokit("gen", *flags, cwd=root), 2)

    assert expected in line
    assert (root / "pyproject.toml").read_text(encoding="utf-8").startswith(USER_PYPROJECT)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert not outside.exists()


@pytest.mark.parametrize("out", ["ROOT/stubs", "gen/../stubs", "./stubs/"])
def test_gen_accepts_any_spelling_of_a_folder_inside_the_workspace(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    out: str,
) -> None:
    root = tiny_ws()

    proc = protokit("gen", "--no-services", "--out", out.replace("ROOT", str(root)), cwd=root)

    assert proc.returncode == 0, proc.stderr
    assert (root / "stubs/shop/core/v1/core_pb2.py").is_file()
    assert (root / "stubs/pyproject.toml").is_file()


@pytest.mark.parametrize(
    ("blocker", "content"),
    [
        ("stubs/pyproject.toml", USER_PYPROJECT),
        ("stubs/shop/core/v1/__init__.py", "from .helpers import *\n"),
        ("stubs/shop/core/v1/core_pb2.py", "# my own module\n"),
    ],
)
def test_gen_never_overwrites_a_file_it_did_not_write(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    blocker: str,
    content: str,
) -> None:
    root = tiny_ws({blocker: content})

    line = assert_one_error_line(protokit("gen", "--out", "stubs", cwd=root), 1)

    assert line.startswith(f"protokit: error: {blocker}: exists and was not written by a generator")
    assert (root / blocker).read_text(encoding="utf-8") == content
    assert not (root / "stubs/.protokit-manifest.json").exists()


def test_gen_without_its_manifest_still_refreshes_its_own_stale_files(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tiny_ws: Callable[..., Path]
) -> None:
    root = tiny_ws()
    assert protokit("gen", "--no-services", cwd=root).returncode == 0
    stub = root / "gen/python/shop/core/v1/core_pb2.py"
    fresh = stub.read_bytes()
    stub.write_bytes(fresh.replace(b"DESCRIPTOR", b"DESCRIPTOR_EDITED", 1))
    (root / "gen/python/.protokit-manifest.json").unlink()

    proc = protokit("gen", "--no-services", cwd=root)

    assert proc.returncode == 0, proc.stderr
    assert stub.read_bytes() == fresh
