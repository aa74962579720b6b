"""protokit check includes `gen --check`: committed stubs that no longer match are findings."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from tests.support import REPO

Run = Callable[..., CompletedProcess[str]]


def _copy_repo(dest: Path) -> Path:
    dest.mkdir()
    for name in ("buf.yaml", "buf.gen.yaml", "pyproject.toml"):
        shutil.copy2(REPO / name, dest / name)
    for folder in ("contracts", "gen", "compat", "tests/compat"):
        shutil.copytree(
            REPO / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", "buf")
        )
    return dest


def test_check_reports_stale_generated_stubs_until_gen_runs(protokit: Run, tmp_path: Path) -> None:
    root = _copy_repo(tmp_path / "repo")
    proto = root / "contracts/acme/inventory/v1/inventory_service.proto"
    proto.write_text(
        proto.read_text().replace("// Units in stock across all warehouses.", "// Units on hand.")
    )

    stale = protokit("check", "--format", "json", cwd=root)
    assert stale.returncode == 100, stale.stderr
    findings = json.loads(stale.stdout)
    assert [(f["rule"], f["path"]) for f in findings if f["severity"] != "note"] == [
        ("GEN_STALE", "gen/python/acme/inventory/v1/inventory_service_pb2.pyi")
    ]

    assert protokit("gen", "--no-services", cwd=root).returncode == 0
    clean = protokit("check", cwd=root)
    assert clean.returncode == 0, clean.stdout + clean.stderr


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".egg-info" not in str(p)
    }


def test_gen_on_the_repository_changes_nothing_committed(protokit: Run, tmp_path: Path) -> None:
    """The committed gen/python, manifest included, is exactly what gen writes today, so the
    README's main job leaves a clean working tree."""
    root = _copy_repo(tmp_path / "repo")
    result = protokit("gen", "--no-services", cwd=root)
    assert result.returncode == 0, result.stderr
    assert _tree(root / "gen/python") == _tree(REPO / "gen/python")
