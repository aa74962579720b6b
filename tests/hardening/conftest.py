"""Fixtures for the hardening suites: a small generated and released workspace, copied per test.

The workspace is made once per session (one contract with a service, ``protokit gen`` and
``protokit release 1.0.0`` run on it); each test gets a byte-for-byte copy in its own folder,
beside an ``outside`` folder that must never change. ``Case.run`` runs the real ``protokit``
script; ``Case.refused`` asserts the shape every refusal has: the exit code, exactly one
``protokit: error:`` line naming what to look at, no traceback, the workspace byte-identical
and nothing outside it created or changed.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import BIN, assert_one_error_line, write_tree

TIMEOUT = 120

CONTRACT = "shop/core/v1/core.proto"
CORE_PROTO = """\
syntax = "proto3";

package shop.core.v1;

// PingRequest asks for a pong.
message PingRequest {
  // The id.
  string id = 1;
}

// PingResponse is the pong.
message PingResponse {
  // The id.
  string id = 1;
}

// PingService answers pings.
service PingService {
  // Ping answers one ping.
  rpc Ping(PingRequest) returns (PingResponse);
}
"""
EXTRA_FIELD = "string id = 1;\n  // More.\n  string more = 2;"
"""Replaces the first field of CORE_PROTO: a contract change that gen must write out."""
MANIFEST = "gen/python/.protokit-manifest.json"
RELEASE_JSON = "compat/releases/1.0.0/release.json"
COMPAT_TESTS = "tests/compat/test_compat_releases.py"
SERVICER = "services/core/servicer.py"

Snapshot = dict[str, tuple[object, ...]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under ``root`` (links not followed): its kind and bytes or target."""
    found: Snapshot = {}
    if not root.exists():
        return found
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[rel] = ("dir", stat.S_IMODE(info.st_mode))
            elif stat.S_ISREG(info.st_mode):
                found[rel] = ("file", path.read_bytes(), stat.S_IMODE(info.st_mode))
            else:
                found[rel] = ("special", stat.S_IFMT(info.st_mode))
    return found


def run_protokit(
    args: tuple[str, ...], cwd: Path, env: Mapping[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed ``protokit`` script, as a user runs it (no debug tracebacks)."""
    full = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    full.pop("PROTOKIT_DEBUG", None)
    full.setdefault("PROTOKIT_TOOL_TIMEOUT", "60")
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    return subprocess.run(
        [str(BIN / "protokit"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        env=full,
        timeout=TIMEOUT,
        check=False,
    )


@dataclass
class Case:
    """One test's workspace copy, the ``outside`` folder beside it, and snapshots of both."""

    root: Path
    outside: Path
    before: Snapshot = field(default_factory=dict)
    outside_before: Snapshot = field(default_factory=dict)

    def write(self, rel: str, content: str | bytes) -> Path:
        write_tree(self.root, {rel: content})
        return self.root / rel

    def _cleared(self, rel: str) -> Path:
        """``rel``'s place, emptied (whatever was there removed), its folder made."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        return path

    def link(self, rel: str, target: Path | str) -> Path:
        path = self._cleared(rel)
        path.symlink_to(target)
        return path

    def fifo(self, rel: str) -> Path:
        path = self._cleared(rel)
        os.mkfifo(path)
        return path

    def freeze(self) -> None:
        """Take the snapshots a refusal is compared with (after the test set up its damage)."""
        self.before = snapshot(self.root)
        self.outside_before = snapshot(self.outside)

    def run(
        self, *args: str, env: Mapping[str, str | None] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run_protokit(args, self.root, env)

    def refused(self, proc: subprocess.CompletedProcess[str], code: int, *names: str) -> str:
        """The run failed as every refusal must; returns its one error line."""
        line = assert_one_error_line(proc, code)
        for name in names:
            assert name in line, line
        self.unchanged()
        return line

    def unchanged(self) -> None:
        """The workspace is byte-identical to the frozen snapshot; nothing outside changed."""
        assert snapshot(self.root) == self.before
        assert snapshot(self.outside) == self.outside_before

    def outside_untouched(self) -> None:
        assert snapshot(self.outside) == self.outside_before


@pytest.fixture(scope="session")
def base_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hardening-base") / "ws"
    root.mkdir()
    (root / "buf.yaml").write_text("version: v2\n", encoding="utf-8")
    (root / CONTRACT).parent.mkdir(parents=True)
    (root / CONTRACT).write_text(CORE_PROTO, encoding="utf-8")
    for args in (("gen",), ("release", "1.0.0")):
        proc = run_protokit(args, root)
        assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture
def case(base_workspace: Path, tmp_path: Path) -> Case:
    root = tmp_path / "ws"
    shutil.copytree(base_workspace, root, symlinks=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("outside the workspace\n", encoding="utf-8")
    made = Case(root, outside)
    made.freeze()
    return made
