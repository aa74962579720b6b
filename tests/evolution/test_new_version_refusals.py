"""``new-version`` with a file where the new version's folder goes: one line, nothing written."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import assert_one_error_line


@pytest.mark.parametrize(
    ("blocker", "named"),
    [
        ("shop/core/v2", "shop/core/v2"),  # a file where the folder goes
        ("shop/core/v2/core.proto/README", "shop/core/v2/core.proto"),  # a folder for the file
    ],
)
def test_new_version_refuses_a_file_in_the_way(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    blocker: str,
    named: str,
) -> None:
    root = tiny_ws({blocker: "user notes\n"})

    line = assert_one_error_line(protokit("new-version", "shop.core.v1", "v2", cwd=root), 1)

    assert line.startswith(f"protokit: error: {named}: ")
    assert (root / blocker).read_text(encoding="utf-8") == "user notes\n"


@pytest.mark.parametrize("version", ["v1beta1", "v1alpha2"])
def test_new_version_refuses_a_version_older_than_the_package(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    version: str,
) -> None:
    root = tiny_ws()

    line = assert_one_error_line(protokit("new-version", "shop.core.v1", version, cwd=root), 2)

    assert line == (
        f"protokit: error: {version} is older than v1: new-version starts a later version of "
        "shop.core.v1 (such as v2)"
    )
    assert not (root / f"shop/core/{version}").exists()


def test_new_version_accepts_a_pre_release_of_the_next_major(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tiny_ws: Callable[..., Path]
) -> None:
    root = tiny_ws()

    proc = protokit("new-version", "shop.core.v1", "v2alpha1", cwd=root)

    assert proc.returncode == 0, proc.stderr
    assert "package shop.core.v2alpha1;" in (root / "shop/core/v2alpha1/core.proto").read_text()
