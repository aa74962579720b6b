"""Fixtures for the new-service tests: a copy of this repository in a real git repository.

The baseline is made once per session (contracts, buf config, pyproject, the committed stubs,
and the skeletons gen creates for the example services, committed on ``main``); each test gets
its own copy, so ``buf breaking --against .git#branch=main`` compares with the baseline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from protokit.cli import cli
from protokit.core.workspace import open_workspace
from protokit.gen.pipeline import run_gen

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 120
BILLING = ["billing", "--unary", "GetInvoice", "--server-stream", "WatchInvoices"]
CONTRACT = "contracts/acme/billing/v1/billing_service.proto"
ANSWERS = "contracts/acme/billing/v1/.protokit-answers.json"
OVERRIDE = "templates/new_service/service.proto.j2"


def builtin_template() -> str:
    """The built-in new-service contract template's source."""
    from protokit.core.templates import environment

    env = environment(None)
    assert env.loader is not None
    return env.loader.get_source(env, "new_service/service.proto.j2")[0]


def listed_files(stderr: str) -> list[str]:
    """The create/identical/... lines new-service printed, without its ``protokit:`` lines."""
    return [line for line in stderr.splitlines() if not line.startswith("protokit:")]


GIT = ["git", "-c", "user.name=protokit tests", "-c", "user.email=tests@example.invalid"]


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        [*GIT, *args], cwd=root, capture_output=True, text=True, timeout=TIMEOUT, check=True
    )
    return proc.stdout


def env_with(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("PROTOKIT_DEBUG", None)
    env.update(extra or {})
    return env


def run(args: list[str], root: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """A real process in ``root`` (``protokit``, ``buf``, ``pytest``...), stdin closed."""
    return subprocess.run(
        args,
        cwd=root,
        env=env_with(extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def protokit(root: Path, *args: str) -> Result:
    """``protokit ARGS --root ROOT`` in process (the CLI's real error boundary, stdin not a tty)."""
    command, *rest = args
    return CliRunner().invoke(cli, [command, "--root", str(root), *rest], catch_exceptions=False)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (git's own included), byte for byte."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def buf_clean(root: Path) -> None:
    """The repository passes buf lint, buf format and buf breaking against ``main``."""
    for args in (
        ["buf", "lint"],
        ["buf", "format", "--diff", "--exit-code"],
        ["buf", "breaking", "--against", ".git#branch=main"],
    ):
        result = run(args, root)
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}{result.stderr}"


def make_repo(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in ("buf.yaml", "buf.gen.yaml", "pyproject.toml", ".gitignore"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "contracts", dest / "contracts")
    shutil.copytree(
        REPO / "gen" / "python",
        dest / "gen" / "python",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    run_gen(open_workspace(dest))
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "baseline")
    return dest


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as committed on ``main``; tests copy it, never change it."""
    return make_repo(tmp_path_factory.mktemp("baseline") / "repo")


@pytest.fixture
def repo(baseline: Path, tmp_path: Path) -> Path:
    """A private copy of the baseline (git history included) a test may change."""
    dest = tmp_path / "repo"
    shutil.copytree(baseline, dest, symlinks=True)
    return dest
