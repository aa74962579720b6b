"""buf's version is asked once per binary, and again when the binary changes on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from protokit.tools import buf as buf_module


def _fake_buf(path: Path, version: str, log: Path) -> None:
    path.write_text(f"#!/bin/sh\necho called >> '{log}'\necho {version}\n")
    path.chmod(0o755)


def test_the_version_is_remembered_across_runs_until_the_binary_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, log = tmp_path / "buf", tmp_path / "calls.log"
    _fake_buf(fake, "1.0.0", log)
    monkeypatch.setenv("PROTOKIT_BUF", str(fake))
    assert buf_module.buf_version() == "1.0.0"
    buf_module._VERSIONS.clear()  # a new process: only the cache folder's record is left
    assert buf_module.buf_version() == "1.0.0"
    assert log.read_text().count("called") == 1
    _fake_buf(fake, "2.0.10", log)  # replaced in place
    buf_module._VERSIONS.clear()
    assert buf_module.buf_version() == "2.0.10"
    assert log.read_text().count("called") == 2
