"""Helpers shared by the feature folders: the real ``protokit`` script, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
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


def run_protokit(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``protokit`` console script as a user would (no debug tracebacks)."""
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


def assert_one_error_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The failure is one ``protokit: error:`` line on stderr with exit ``code``; returns it."""
    # progress lines (``protokit: lint (buf lint)``) may come before the failure
    lines = proc.stderr.splitlines()
    lines = lines[next((i for i, ln in enumerate(lines) if "error:" in ln), 0) :]
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("protokit: error: "), proc.stderr
    return lines[0]


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{relative path: text or bytes}`` under ``root``; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
