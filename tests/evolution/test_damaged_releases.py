"""Damaged or blocked release folders give one located error line, never an internal error."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import assert_one_error_line


def _drop_metadata(release: Path) -> None:
    (release / "release.json").unlink()


def _future_format(release: Path) -> None:
    meta = release / "release.json"
    data = json.loads(meta.read_text(encoding="utf-8"))
    meta.write_text(json.dumps({**data, "format": 99}), encoding="utf-8")


def _list_metadata(release: Path) -> None:
    (release / "release.json").write_text("[]", encoding="utf-8")


def _stray_folder(release: Path) -> None:
    (release.parent / "2.0.0").mkdir()


@pytest.mark.parametrize(
    ("damage", "command", "expected"),
    [
        (
            _drop_metadata,
            ["check"],
            "compat/releases/1.0.0: release 1.0.0 has no release.json; restore it",
        ),
        (
            _drop_metadata,
            ["diff"],
            "compat/releases/1.0.0: release 1.0.0 has no release.json; restore it",
        ),
        (_stray_folder, ["check"], "compat/releases/2.0.0: release 2.0.0 has no release.json"),
        (
            _future_format,
            ["check"],
            "compat/releases/1.0.0/release.json: release metadata format 99 is not",
        ),
        (_list_metadata, ["diff"], "compat/releases/1.0.0/release.json: release metadata is not"),
    ],
)
def test_a_damaged_release_is_named_in_one_line(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    damage: Callable[[Path], None],
    command: list[str],
    expected: str,
) -> None:
    root = tiny_ws()
    assert protokit("release", "1.0.0", cwd=root).returncode == 0
    damage(root / "compat/releases/1.0.0")

    line = assert_one_error_line(protokit(*command, cwd=root), 1)

    assert line.startswith(f"protokit: error: {expected}")


def test_release_with_a_file_where_the_releases_folder_goes_is_one_error_line(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tiny_ws: Callable[..., Path]
) -> None:
    root = tiny_ws({"compat/releases": "not a folder\n"})

    line = assert_one_error_line(protokit("release", "1.0.0", cwd=root), 1)

    assert line == (
        "protokit: error: compat/releases: cannot write: a file is in the way of a folder "
        "protokit writes into; nothing was frozen"
    )
    assert (root / "compat/releases").read_text(encoding="utf-8") == "not a folder\n"
