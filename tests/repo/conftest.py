from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run_protokit(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``protokit`` console script, as a user would."""
    full_env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    full_env.pop("PROTOKIT_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [str(BIN / "protokit"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def protokit() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_protokit


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """A small buf v2 workspace in tmp_path built from ``{relative path: text}``."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "ws"
        root.mkdir(exist_ok=True)
        (root / "buf.yaml").write_text(
            "version: v2\nmodules:\n  - path: proto\nlint:\n  use:\n    - STANDARD\n",
            encoding="utf-8",
        )
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return make


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of this repository's contracts and buf configuration."""
    dest = tmp_path / "repo"
    dest.mkdir()
    for name in ("buf.yaml", "buf.gen.yaml", "pyproject.toml"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "contracts", dest / "contracts")
    return dest
