"""``protokit check`` loads only what its checks need, and starts buf first: buf format and buf
lint are running before Click and the checks are imported, the gRPC runtime is never loaded to
read a status code, and Jinja, the wheel layout and the API diff load only for a run that uses
them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import REPO

# A fresh interpreter runs the console script's main() on ``root`` and writes, at exit, the
# modules it imported and, for each buf format, lint and breaking it started, whether Click was
# loaded and which thread pool started it.
_SCRIPT = """
import atexit, json, subprocess, sys, threading

out, root = sys.argv[1], sys.argv[2]
started = []
real_init = subprocess.Popen.__init__

def spy(self, args, *rest, **kwargs):
    if list(args)[1:2] in (["format"], ["lint"], ["breaking"]):
        pool = threading.current_thread().name.rpartition("_")[0]  # which thread pool started it
        started.append([args[1], "click" in sys.modules, pool])
    real_init(self, args, *rest, **kwargs)

subprocess.Popen.__init__ = spy

def report():
    with open(out, "w") as f:
        json.dump({"modules": sorted(sys.modules), "started": started}, f)

atexit.register(report)
from protokit.cli import main
main(["check", "--root", root])
"""


def _check(root: Path, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "loaded.json"
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(out), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.is_file(), proc.stderr
    return proc.returncode, json.loads(out.read_text())


def _within(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_check_of_the_example_repository_reads_its_conversations_without_grpc(
    tmp_path: Path,
) -> None:
    """Conversations, a frozen release and its compatibility tests are all checked; none of it
    needs the gRPC runtime or the wheel layout."""
    code, loaded = _check(REPO, tmp_path)
    assert code == 0
    assert "protokit.conversations.parse" in loaded["modules"]  # the conversations were read
    unneeded = ("grpc", "protokit.dist")
    assert _within(loaded["modules"], unneeded) == []


def test_check_without_releases_or_conversations_loads_none_of_their_machinery(
    tiny_ws: Callable[..., Path], tmp_path: Path
) -> None:
    code, loaded = _check(tiny_ws(), tmp_path)
    assert code == 0
    unneeded = (
        "grpc",
        "jinja2",
        "protokit.core.templates",
        "protokit.conversations.model",
        "protokit.conversations.parse",
        "protokit.dist",
        "protokit.evolution.apidiff",
        "protokit.evolution.fixtures",
    )
    assert _within(loaded["modules"], unneeded) == []


def test_check_starts_buf_format_and_buf_lint_before_click_loads(
    tiny_ws: Callable[..., Path],
) -> None:
    script = (
        "import sys\n"
        "from protokit.cli import early\n"
        "print(early.start(['check', '--root', sys.argv[1]]), 'click' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tiny_ws())],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert proc.stdout.split() == ["True", "False"]


def test_check_runs_buf_format_and_buf_lint_once_each(
    tiny_ws: Callable[..., Path], tmp_path: Path
) -> None:
    """The runs started before the command line was parsed are the ones check reports."""
    _, loaded = _check(tiny_ws(), tmp_path)
    assert [name for name, *_ in loaded["started"]] == ["lint", "format"]


def test_the_early_start_knows_checks_options() -> None:
    """A check option the early start does not know would start nothing early; one it knows
    that check lost would start buf for a command line Click then refuses."""
    import click

    from protokit.cli.check_commands import check
    from protokit.cli.early import FLAGS, VALUED

    options = [p for p in check.params if isinstance(p, click.Option) and "--help" not in p.opts]
    assert sorted(o for p in options if not p.is_flag for o in p.opts) == sorted(VALUED)
    assert sorted(o for p in options if p.is_flag for o in p.opts) == sorted(FLAGS)


def test_only_a_plain_check_command_line_starts_early() -> None:
    from protokit.cli.early import check_options

    assert check_options(["check"]) == {}
    assert check_options(["check", "--root", "ws", "--format=json", "--all-releases"]) == {
        "--root": "ws",
        "--format": "json",
        "--all-releases": "",
    }
    assert check_options(["check", "--root=ws", "--against", "1.0.0"]) == {
        "--root": "ws",
        "--against": "1.0.0",
    }
    for refused in (["gen"], ["check", "--help"], ["check", "--root"], ["check", "extra"], []):
        assert check_options(refused) is None


def test_check_against_the_latest_release_starts_buf_breaking_with_format_and_lint_once(
    tmp_path: Path,
) -> None:
    """The example repository has a frozen release: its image is the baseline, so buf breaking
    starts beside buf format and buf lint, before the checks load, and that run is the one check
    reports (buf breaking runs once)."""
    code, loaded = _check(REPO, tmp_path)
    assert code == 0
    assert sorted(name for name, *_ in loaded["started"]) == ["breaking", "format", "lint"]
    # all three before Click loads, from the command's own thread (not a pool's, whose thread
    # starts only after the Python work around it), buf lint, the longest, first
    assert loaded["started"] == [[name, False, ""] for name in ("lint", "format", "breaking")], (
        loaded["started"]
    )
