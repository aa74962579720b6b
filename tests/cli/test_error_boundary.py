"""The CLI boundary: versions, help, exit codes, and one line per failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import click
import pytest

from protokit import __version__
from protokit.cli import cli
from protokit.cli.app import ProtokitGroup
from protokit.core.errors import ProtokitError, UsageError
from tests.support import REPO

Run = Callable[..., CompletedProcess[str]]


def test_version_prints_the_package_version(protokit: Run) -> None:
    result = protokit("--version", cwd=REPO)
    assert result.returncode == 0
    assert result.stdout.strip() == f"protokit {__version__}"


@pytest.mark.parametrize("command", cli.list_commands(click.Context(cli)))
def test_every_command_has_help(protokit: Run, command: str) -> None:
    result = protokit(command, "--help", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "Usage: protokit " + command in result.stdout


def test_unknown_command_is_a_usage_error(protokit: Run) -> None:
    result = protokit("frobnicate", cwd=REPO)
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_option_value_is_a_usage_error(protokit: Run) -> None:
    result = protokit("lint", "--format", "xml", cwd=REPO)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_outside_a_workspace_is_one_line_error(protokit: Run, tmp_path: Path) -> None:
    result = protokit("lint", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("protokit: error: no buf.yaml found")


def test_workspace_without_protos_is_one_line_error(protokit: Run, tmp_path: Path) -> None:
    (tmp_path / "buf.yaml").write_text("version: v2\n", encoding="utf-8")
    result = protokit("lint", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "had no .proto files" in result.stderr


def _group_raising(exc: BaseException) -> ProtokitGroup:
    group = ProtokitGroup("probe")

    @group.command()
    def boom() -> None:
        raise exc

    return group


@pytest.mark.parametrize(
    ("exc", "code", "text"),
    [
        (
            ProtokitError("bad thing", path="a.proto", line=3, column=7),
            1,
            "protokit: error: a.proto:3:7: bad thing",
        ),
        (UsageError("wrong flags"), 2, "protokit: error: wrong flags"),
        (RuntimeError("surprise"), 1, "protokit: internal error: RuntimeError: surprise"),
        (KeyboardInterrupt(), 130, "protokit: interrupted"),
    ],
)
def test_boundary_maps_exceptions_to_one_line_and_exit_code(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
    code: int,
    text: str,
) -> None:
    monkeypatch.delenv("PROTOKIT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        _group_raising(exc).main(args=["boom"], prog_name="protokit")
    assert exit_info.value.code == code
    err = capsys.readouterr().err.strip()
    assert err.startswith(text)
    assert "\n" not in err
    assert "Traceback" not in err


def test_clean_repository_exits_zero(protokit: Run) -> None:
    result = protokit("check", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "clean" in result.stderr
