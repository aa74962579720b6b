"""Thousands of findings on a terminal: the first ones, then the count and where all of them are.
A pipe, a file and the other formats get every finding."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from protokit.cli import options
from protokit.cli.options import SHOWN_ON_A_TERMINAL, report
from protokit.core.findings import Finding
from tests.support import BIN, run_protokit, write_tree

MANY = SHOWN_ON_A_TERMINAL + 50


def _findings(count: int) -> list[Finding]:
    return [
        Finding(
            path=f"protos/a/v1/f{i:04d}.proto", line=1, column=1, rule="R", message="m", source="s"
        )
        for i in range(count)
    ]


def _report(
    capsys: pytest.CaptureFixture[str], count: int, fmt: str = "text"
) -> tuple[int, str, str]:
    code = report(_findings(count), fmt, what="lint")
    out, err = capsys.readouterr()
    return code, out, err


def test_a_terminal_gets_the_first_findings_and_where_the_rest_are(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(options, "_to_a_terminal", lambda: True)
    code, out, err = _report(capsys, MANY)
    assert code == 100
    lines = out.splitlines()
    assert len(lines) == SHOWN_ON_A_TERMINAL
    assert lines[0].startswith("protos/a/v1/f0000.proto:1:1: R: m")  # the first, in order
    assert err == (
        f"protokit: lint: {MANY} findings; the first {SHOWN_ON_A_TERMINAL} above, all of them "
        "when stdout goes to a pipe or a file (`| less`, `> findings.txt`) or with "
        "`--format json`\n"
    )


@pytest.mark.parametrize(("terminal", "fmt"), [(False, "text"), (True, "json"), (True, "github")])
def test_a_pipe_or_another_format_gets_every_finding(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    terminal: bool,
    fmt: str,
) -> None:
    monkeypatch.setattr(options, "_to_a_terminal", lambda: terminal)
    code, out, err = _report(capsys, MANY, fmt)
    assert code == 100
    shown = len(json.loads(out)) if fmt == "json" else len(out.splitlines())
    assert shown == MANY
    assert err == f"protokit: lint: {MANY} findings\n"


def test_a_few_findings_on_a_terminal_are_all_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(options, "_to_a_terminal", lambda: True)
    _, out, err = _report(capsys, SHOWN_ON_A_TERMINAL)
    assert len(out.splitlines()) == SHOWN_ON_A_TERMINAL
    assert err == f"protokit: lint: {SHOWN_ON_A_TERMINAL} findings\n"


def _badly_named(root: Path) -> Path:
    messages = "".join(f"message bad_name_{i} {{}}\n" for i in range(MANY))
    return write_tree(
        root,
        {
            "buf.yaml": "version: v2\nmodules:\n  - path: protos\nlint:\n  use:\n    - STANDARD\n",
            "protos/a/v1/a.proto": f'syntax = "proto3";\npackage a.v1;\n{messages}',
        },
    )


def test_buf_lints_thousands_of_findings_to_a_real_terminal(tmp_path: Path) -> None:
    root = _badly_named(tmp_path / "ws")
    leader, follower = pty.openpty()
    env = {**os.environ, "PROTOKIT_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
    proc = subprocess.Popen(
        [str(BIN / "protokit"), "lint"],
        cwd=root,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the process is done with it
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(leader)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 100, err
    shown = [line for line in seen.decode().splitlines() if "PASCAL_CASE" in line]
    assert len(shown) == SHOWN_ON_A_TERMINAL
    assert f"{MANY} findings; the first {SHOWN_ON_A_TERMINAL} above" in err
    piped = run_protokit("lint", cwd=root, env={"PROTOKIT_CACHE_DIR": str(tmp_path / "cache")})
    assert piped.returncode == 100
    assert len([ln for ln in piped.stdout.splitlines() if "PASCAL_CASE" in ln]) == MANY
