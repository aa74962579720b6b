"""Golden cases: gen's output for each case in tests/gen/cases/<case>/, diffed byte for byte.

A case folder holds its input (``protos/``, a buf workspace) beside its expected output
(``expected/``). Run ``pytest --update-golden`` to rewrite the ``expected/`` folders after an
intended change, and review the diff like code.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from tests.gen.helpers import CASES, REPO, cli, snapshot


def _compare(name: str, root: Path, update: bool, *, stubs_from: Path | None = None) -> None:
    """Diff gen's output in ``root`` with tests/gen/cases/<name>/expected. With ``stubs_from``, the
    generated stubs are diffed with that tree's committed gen/python instead of a golden copy
    (the repository's own stubs are golden output already; `protokit gen` rewrites them)."""
    actual = snapshot(root)
    golden_dir = CASES / name / "expected"
    if update:
        shutil.rmtree(golden_dir, ignore_errors=True)
        for rel, data in actual.items():
            if stubs_from is not None and rel.startswith("gen/python/"):
                continue
            target = golden_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return
    expected = snapshot(golden_dir)
    if stubs_from is not None:
        expected.update(snapshot(stubs_from, ("gen/python",)))
    assert expected, f"no golden files in {golden_dir}; run pytest --update-golden"
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert not missing and not extra, f"files differ: missing {missing}, unexpected {extra}"
    for rel in sorted(expected):
        if expected[rel] != actual[rel]:
            diff = "".join(
                difflib.unified_diff(
                    expected[rel].decode("utf-8", "replace").splitlines(keepends=True),
                    actual[rel].decode("utf-8", "replace").splitlines(keepends=True),
                    f"golden/{rel}",
                    f"generated/{rel}",
                )
            )
            pytest.fail(f"{rel} differs from its golden file (pytest --update-golden):\n{diff}")


def test_example_contracts_match_the_golden_files(example_ws: Path, update_golden: bool) -> None:
    _compare("example", example_ws, update_golden, stubs_from=REPO)


def test_edge_case_protos_match_the_golden_files(edge_ws: Path, update_golden: bool) -> None:
    _compare("edge", edge_ws, update_golden)


def test_the_committed_stubs_of_this_repository_are_up_to_date() -> None:
    result = cli(["gen", "--check"], REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_rerunning_gen_gives_byte_identical_output(example: Path) -> None:
    before = snapshot(example)
    manifest = (example / "gen/python/.protokit-manifest.json").read_bytes()
    result = cli(["gen", "--force"], example)
    assert result.returncode == 0, result.stderr
    assert snapshot(example) == before
    assert (example / "gen/python/.protokit-manifest.json").read_bytes() == manifest


def test_generated_files_hold_no_absolute_paths_or_timestamps(example_ws: Path) -> None:
    for rel, data in snapshot(example_ws).items():
        text = data.decode("utf-8", "replace")
        assert str(example_ws) not in text, rel
        assert "/tmp" not in text and "/home" not in text and "/root" not in text, rel
