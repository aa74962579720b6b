"""Helpers for the gen tests: buf workspaces copied to tmp folders; gen and the CLI run there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from protokit.core.workspace import open_workspace
from protokit.gen.pipeline import MANIFEST_NAME, GenResult, run_gen

REPO = Path(__file__).resolve().parents[2]
# One folder per golden case: protos/ (its buf workspace) beside expected/ (what gen writes).
CASES = Path(__file__).resolve().parent / "cases"
CLI_TIMEOUT = 120


def copy_example(dest: Path) -> Path:
    """The repository's own contracts as a fresh workspace (buf.yaml + contracts/)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "buf.yaml", dest / "buf.yaml")
    shutil.copytree(REPO / "contracts", dest / "contracts")
    return dest


def copy_case(name: str, dest: Path) -> Path:
    """A golden case's input workspace (``cases/<name>/protos``) as a fresh workspace."""
    shutil.copytree(CASES / name / "protos", dest)
    return dest


def gen(root: Path, **kwargs: object) -> GenResult:
    return run_gen(open_workspace(root), **kwargs)  # type: ignore[arg-type]


def snapshot(
    root: Path, folders: tuple[str, ...] = ("gen/python", "services", "tests")
) -> dict[str, bytes]:
    """Every file gen may write under ``folders`` (the manifest and build leftovers excluded)."""
    files: dict[str, bytes] = {}
    for folder in folders:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if (
                path.is_file()
                and path.name != MANIFEST_NAME
                and "__pycache__" not in rel
                and ".egg-info" not in rel
                and ".pytest_cache" not in rel
            ):
                files[rel] = path.read_bytes()
    return files


def env_with(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.pop("PROTOKIT_DEBUG", None)
    env.update(extra or {})
    return env


def cli(
    args: list[str], cwd: Path, *, extra_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``protokit ...`` as a user runs it: a real process, real exit code, real stderr."""
    return subprocess.run(
        [sys.executable, "-m", "protokit", *args],
        cwd=cwd,
        env=env_with(extra_env),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
