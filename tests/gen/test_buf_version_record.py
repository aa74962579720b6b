"""buf's version is asked once per binary, and again when the binary changes on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from protokit.core.workspace import open_workspace
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


def _answer(path: Path, modules: list[str]) -> None:
    path.write_text("".join(f'{{"path": "{m}"}}\n' for m in modules))


def test_module_folders_are_remembered_across_runs_until_the_configuration_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "buf.yaml").write_text("version: v2\nmodules:\n  - path: protos\n")
    fake, log, answer = tmp_path / "buf", tmp_path / "calls.log", tmp_path / "answer.jsonl"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> '{log}'\ncat '{answer}'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PROTOKIT_BUF", str(fake))
    ws = open_workspace(root)
    _answer(answer, ["protos"])
    assert buf_module.module_paths(ws) == ["protos"]
    _answer(answer, ["elsewhere"])  # were buf asked again, this is what it would say
    buf_module._MODULES.clear()  # a new process: only the cache folder's record is left
    assert buf_module.module_paths(ws) == ["protos"]
    assert log.read_text().count("ls-modules") == 1
    (root / "buf.yaml").write_text("version: v2\nmodules:\n  - path: elsewhere\n")
    buf_module._MODULES.clear()
    assert buf_module.module_paths(ws) == ["elsewhere"]
    assert log.read_text().count("ls-modules") == 2
