"""The PyPA tools as subprocesses: ``python -m build``, ``twine`` and ``pip download``.

Each runs with the interpreter protokit runs on (so the pinned versions beside it are used) and
a timeout; a tool that is missing or hangs becomes a ``ProtokitError``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from protokit.core.errors import ToolMissingError
from protokit.tools.process import run_tool
from protokit.tools.toolchain import dist_version

BUILD_TIMEOUT = 300.0
UPLOAD_TIMEOUT = 300.0
DOWNLOAD_TIMEOUT = 300.0


def _run(
    tool: str,
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    module = {"build": "build", "twine": "twine", "pip": "pip"}[tool]
    if dist_version(tool) is None:
        raise ToolMissingError(f"{tool} is not installed; install it with `pip install {tool}`")
    proc = run_tool(
        tool,
        [sys.executable, "-m", module, *args],
        cwd=cwd if cwd is not None else Path.cwd(),
        env=env,
        label=f"python -m {module} {args[0] if args else ''}".strip(),
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def last_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The line of a tool's output that says what went wrong (the last non-empty one)."""
    lines = [
        line.strip() for line in (proc.stderr + "\n" + proc.stdout).splitlines() if line.strip()
    ]
    errors = [line for line in lines if "ERROR" in line or "error" in line.lower()]
    return (errors or lines or [f"exit code {proc.returncode}"])[-1]


def build_distributions(source: Path, out: Path, epoch: int) -> subprocess.CompletedProcess[str]:
    """``python -m build --sdist --wheel`` of ``source`` into ``out`` with the build backend
    installed beside protokit (no isolated download), timestamps from ``epoch``."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    env.pop("PYTHONPATH", None)
    return _run(
        "build",
        ["--sdist", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
        cwd=source,
        env=env,
        timeout=BUILD_TIMEOUT,
    )


def twine_upload(args: Sequence[str], files: Sequence[Path]) -> subprocess.CompletedProcess[str]:
    """``twine upload``: credentials by twine's own conventions (TWINE_USERNAME/TWINE_PASSWORD,
    ``~/.pypirc``, keyring); never prompts."""
    return _run(
        "twine",
        ["upload", "--non-interactive", "--disable-progress-bar", *args, *map(str, files)],
        timeout=UPLOAD_TIMEOUT,
    )


def pip_download(spec: str, dest: Path, index_url: str | None) -> subprocess.CompletedProcess[str]:
    """``pip download --no-deps --only-binary :all: SPEC`` into ``dest``."""
    args = ["download", "--no-deps", "--only-binary", ":all:", "--dest", str(dest), "--quiet"]
    if index_url:
        args += ["--index-url", index_url]
    return _run("pip", [*args, spec], timeout=DOWNLOAD_TIMEOUT)
