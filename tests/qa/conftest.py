"""Fixtures for the hostile-input tests: the real ``protokit`` script on tiny buf workspaces."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent

PING_PROTO = """\
syntax = "proto3";

package shop.core.v1;

// Ping is a ping.
message Ping {
  // The id.
  string id = 1;
}
"""


def run_protokit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed ``protokit`` console script as a user would (no debug tracebacks)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PROTOKIT_DEBUG", None)
    return subprocess.run(
        [str(BIN / "protokit"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def assert_one_error_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The failure is one ``protokit: error:`` line on stderr with exit ``code``; returns it."""
    # progress lines (``protokit: lint (buf lint)``) may come before the failure
    lines = proc.stderr.splitlines()
    lines = lines[next((i for i, ln in enumerate(lines) if "error:" in ln), 0) :]
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("protokit: error: "), proc.stderr
    return lines[0]


@pytest.fixture
def protokit() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_protokit


@pytest.fixture
def tiny_ws(tmp_path: Path) -> Callable[..., Path]:
    """A buf v2 workspace with one lint-clean proto, plus any extra ``{path: text|bytes}``."""

    def make(extra: dict[str, str | bytes] | None = None) -> Path:
        root = tmp_path / "ws"
        files: dict[str, str | bytes] = {
            "buf.yaml": "version: v2\n",
            "shop/core/v1/core.proto": PING_PROTO,
            **(extra or {}),
        }
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make
