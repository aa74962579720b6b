"""``protokit`` the console script (``protokit.cli.run``): ``main``, then the process ends at once.
What it prints reaches a pipe whole, and its exit status is the command's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import protokit.cli


class _Ended(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _run_with(monkeypatch: pytest.MonkeyPatch, exit_with: object) -> int:
    def main() -> None:
        if exit_with is not None:
            raise SystemExit(exit_with)

    def end(code: int) -> None:
        raise _Ended(code)

    monkeypatch.setattr(protokit.cli, "main", main)
    monkeypatch.setattr(protokit.cli.os, "_exit", end)
    with pytest.raises(_Ended) as ended:
        protokit.cli.run()
    return ended.value.code


@pytest.mark.parametrize(
    ("exit_with", "code"), [(None, 0), (0, 0), (2, 2), (130, 130), ("a message", 1)]
)
def test_the_exit_status_is_the_commands(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exit_with: object,
    code: int,
) -> None:
    assert _run_with(monkeypatch, exit_with) == code
    if isinstance(exit_with, str):  # printed, as the interpreter prints sys.exit("...")
        assert capsys.readouterr().err == "a message\n"


def _help(tmp_path: Path, *start: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *start, "gen", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        # buffered, as stdout to a pipe is unless PYTHONUNBUFFERED says otherwise
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "COLUMNS": "80"},
        check=False,
    )


def test_everything_printed_reaches_a_pipe(tmp_path: Path) -> None:
    # The process ends without the interpreter's teardown: all of the output must be out by
    # then. The reference: main, ended by the interpreter's own exit.
    by_main = _help(tmp_path, "-c", "import sys; from protokit.cli import main; main(sys.argv[1:])")
    proc = _help(tmp_path, "-m", "protokit")
    assert proc.returncode == by_main.returncode == 0, proc.stderr
    assert proc.stdout == by_main.stdout
    assert proc.stdout.startswith("Usage: protokit gen") and proc.stdout.endswith("exit.\n")
    assert proc.stderr == ""


def test_an_error_keeps_its_status_and_its_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "protokit", "lint", "--root", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode not in (0, None)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("protokit: error:"), proc.stderr
    assert "nowhere" in lines[0]
