"""Class 4: a run that fails leaves the tree exactly as it was (no temp files, no new empty
folders, no half release), whatever stops it: a file where a folder goes, a folder where a
file goes, or a folder that cannot be written."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening.conftest import COMPAT_TESTS, CONTRACT, CORE_PROTO, EXTRA_FIELD, Case

EXTRA_PROTO = """\
syntax = "proto3";

package shop.extra.v1;

// Extra is more.
message Extra {
  // The id.
  string id = 1;
}
"""


def _edit_contract(case: Case) -> None:
    case.write(CONTRACT, CORE_PROTO.replace("string id = 1;", EXTRA_FIELD, 1))


def _add_package(case: Case) -> None:
    case.write("shop/extra/v1/extra.proto", EXTRA_PROTO)


@pytest.mark.parametrize(
    ("prepare", "blocker", "kind", "args"),
    [
        (_add_package, "gen/python/shop/extra", "file", ("gen",)),
        (_add_package, "gen/python/shop/extra/v1/extra_pb2.py", "folder", ("gen",)),
        (_edit_contract, "gen/python/shop/core/v1/core_pb2.pyi", "folder", ("gen",)),
        (None, "services/billing", "file", ("new-service", "billing", "--unary", "Get")),
        (None, "tests/services", "file", ("new-service", "billing", "--unary", "Get")),
        (None, "shop/billing", "file", ("new-service", "billing", "--unary", "Get")),
        (_edit_contract, "compat/releases/1.1.0", "file", ("release", "1.1.0")),
        (_edit_contract, COMPAT_TESTS, "folder", ("release", "1.1.0")),
        (_edit_contract, "tests/compat", "file", ("release", "1.1.0")),
        (None, "shop/core/v2", "file", ("new-version", "shop.core.v1", "v2")),
    ],
)
def test_a_failed_run_leaves_the_tree_as_it_was(
    case: Case, prepare: object, blocker: str, kind: str, args: tuple[str, ...]
) -> None:
    if callable(prepare):
        prepare(case)
    path = case.root / blocker
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    if kind == "file":
        case.write(blocker, "in the way\n")
    else:
        (path / "inner").mkdir(parents=True)
    case.freeze()

    case.refused(case.run(*args), 1, blocker)


def _chattr(flag: str, path: Path) -> bool:
    if shutil.which("chattr") is None:
        return False
    proc = subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False)
    return proc.returncode == 0


@pytest.fixture
def locked(case: Case) -> Iterator[Path]:
    """The stub folder of the contract, made immutable (root ignores permissions)."""
    folder = case.root / "gen/python/shop/core/v1"
    if not _chattr("+i", folder):
        pytest.skip("cannot make a folder immutable here (chattr +i)")
    yield folder
    _chattr("-i", folder)


def test_a_folder_that_cannot_be_written_midway_leaves_the_tree_as_it_was(
    case: Case, locked: Path
) -> None:
    _edit_contract(case)
    case.write("pyproject.toml", '[tool.protokit]\nstubs_distribution = "renamed-contracts"\n')
    case.freeze()

    case.refused(case.run("gen"), 1, "gen/python/shop/core/v1")
