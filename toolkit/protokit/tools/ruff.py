"""The formatter stage: ruff sorts imports and formats rendered Python, all files in one go.

Runs isolated from any project configuration (fixed line length and first-party list), so the
same model and templates give the same bytes in every repository. Only code protokit renders
itself goes through here; protoc's and mypy-protobuf's output is kept byte for byte.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from protokit.core.errors import ProtokitError, ToolMissingError
from protokit.tools.process import first_line, run_tool

__all__ = ["LINE_LENGTH", "format_python"]

LINE_LENGTH = 100


@cache
def _binary() -> str:
    """ruff's executable, found as ``python -m ruff`` finds it (run directly: not through a
    second Python process that only starts it)."""
    try:
        from ruff import find_ruff_bin  # type: ignore[import-untyped]
    except ImportError:
        message = "ruff is not installed; install it with `pip install ruff`"
        raise ToolMissingError(message) from None
    try:
        return str(find_ruff_bin())
    except FileNotFoundError:
        raise ToolMissingError(
            "ruff's Python package is installed but its binary is missing; reinstall it with "
            "`pip install --force-reinstall ruff`"
        ) from None


def _ruff(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = run_tool("ruff", [_binary(), *args], cwd=cwd)
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def format_python(files: Mapping[str, str], *, first_party: Sequence[str] = ()) -> dict[str, str]:
    """``files`` (path → source) with imports sorted, unused imports dropped, then formatted."""
    if not files:
        return {}
    config = [
        "--isolated",
        "--no-cache",
        "--config",
        f"line-length = {LINE_LENGTH}",
        "--config",
        'target-version = "py311"',
    ]
    known = ", ".join(f'"{name}"' for name in sorted(set(first_party)))
    with tempfile.TemporaryDirectory(prefix="protokit-fmt-") as tmp:
        folder = Path(tmp)
        for rel, text in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        fix = _ruff(
            [
                "check",
                *config,
                "--config",
                f"lint.isort.known-first-party = [{known}]",
                "--select",
                "I,F401",
                "--fix",
                "--exit-zero",
                "--quiet",
                ".",
            ],
            folder,
        )
        if fix.returncode != 0:
            raise ProtokitError(f"`ruff check --fix` failed: {first_line(fix.stderr)}")
        fmt = _ruff(["format", *config, "."], folder)  # --quiet would hide its parse error
        if fmt.returncode != 0:
            first = next((ln for ln in fmt.stderr.splitlines() if ln.strip()), "no message")
            raise ProtokitError(
                "ruff could not format the rendered code (a template bug?): "
                f"{first.strip().removeprefix('error: ')[:300]}"
            )
        return {rel: (folder / rel).read_text(encoding="utf-8") for rel in files}
