"""Running an external tool: every subprocess protokit starts goes through ``run_tool``.

Each run has a timeout (``PROTOKIT_TOOL_TIMEOUT`` seconds, default 600); a tool that does not
finish is stopped with its whole process group (plugins it started included) and reported by
name and command. Output is bytes; ``first_line`` and ``json_lines`` read it defensively (any
encoding, any garbage), so a misbehaving tool is one clear error, never an internal one.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protokit.core.errors import ProtokitError, ToolMissingError

__all__ = [
    "TIMEOUT_ENV",
    "Spares",
    "Started",
    "first_line",
    "json_lines",
    "run_tool",
    "start_tool",
    "tool_timeout",
]

TIMEOUT_ENV = "PROTOKIT_TOOL_TIMEOUT"
DEFAULT_TIMEOUT = 600.0


def tool_timeout() -> float:
    """Seconds a tool may run: ``PROTOKIT_TOOL_TIMEOUT``, or 600."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e7:
        raise ProtokitError(f"{TIMEOUT_ENV}={raw[:40]!r} is not a number of seconds above 0")
    return value


def command_text(tool: str, args: Sequence[str]) -> str:
    """``tool`` and its first arguments (not file lists), for messages."""
    shown = [a for a in args[:3] if not a.startswith("-") or len(a) < 40]
    return " ".join([tool, *shown])[:120]


def first_line(data: bytes | str) -> str:
    """The first non-blank line of a tool's output, decoded whatever its encoding, shortened."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return "no message"


def run_tool(
    tool: str,
    argv: Sequence[str],
    *,
    cwd: Path,
    input_bytes: bytes | None = None,
    env: Mapping[str, str] | None = None,
    label: str | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` (``argv[0]`` the executable) in ``cwd``; the exit code is the caller's to
    judge. A tool that cannot start raises ``ToolMissingError``; one that outlives the timeout
    is killed (with its children) and raises ``ProtokitError`` naming ``label``."""
    started = start_tool(tool, argv, cwd=cwd, stdin=input_bytes is not None, env=env, label=label)
    return started.finish(input_bytes, timeout=timeout)


def start_tool(
    tool: str,
    argv: Sequence[str],
    *,
    cwd: Path,
    stdin: bool = False,
    env: Mapping[str, str] | None = None,
    label: str | None = None,
) -> Started:
    """``run_tool`` in two steps: the process starts now (``stdin``: with a pipe to give it its
    input later), and ``Started.finish`` gives it its input and waits, with the timeout counted
    from then; a process that is never finished is stopped by ``Started.stop``."""
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # one process group: a timeout stops its plugins too
        )
    except OSError as exc:
        raise ToolMissingError(f"could not run {tool} ({argv[0]}): {exc.strerror or exc}") from exc
    return Started(list(argv), label or command_text(tool, argv[1:]), proc)


@dataclass
class Started:
    """A tool process started by ``start_tool``."""

    argv: list[str]
    shown: str
    proc: subprocess.Popen[bytes]

    def finish(
        self, input_bytes: bytes | None = None, *, timeout: float | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        timeout = tool_timeout() if timeout is None else timeout
        try:
            stdout, stderr = self.proc.communicate(input_bytes, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(self.proc)
            raise ProtokitError(
                f"`{self.shown}` did not finish within {timeout:g} s and was stopped (set "
                f"{TIMEOUT_ENV} to allow longer)"
            ) from None
        except BaseException:
            _kill(self.proc)
            raise
        return subprocess.CompletedProcess(self.argv, self.proc.returncode, stdout, stderr)

    def stop(self) -> None:
        """Stop the process (with its children) if it still runs."""
        if self.proc.returncode is None:
            _kill(self.proc)


class Spares:
    """Processes started ahead of their work (each loads what it needs, then waits for its
    input on stdin): ``ahead`` starts some for a block, ``take`` hands each to one caller, and
    those no one took are stopped when the block ends."""

    def __init__(self, start: Callable[[], Started]) -> None:
        self._start = start
        self._waiting: list[Started] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def ahead(self, count: int = 1) -> Iterator[None]:
        started = [self._start() for _ in range(count)]
        with self._lock:
            self._waiting.extend(started)
        try:
            yield
        finally:
            with self._lock:
                left = [s for s in started if s in self._waiting]
                self._waiting = [s for s in self._waiting if s not in started]
            for spare in left:
                spare.stop()

    def take(self) -> Started:
        """A process started ahead, if one waits; else one started now."""
        with self._lock:
            started = self._waiting.pop(0) if self._waiting else None
        return started if started is not None else self._start()

    @property
    def waiting(self) -> list[Started]:
        with self._lock:
            return list(self._waiting)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()
    with contextlib.suppress(Exception):
        proc.communicate(timeout=5)


def json_lines(stdout: bytes, *, what: str) -> list[dict[str, Any]]:
    """One JSON object per non-blank line, as tools print with ``--format json``; anything else
    (not UTF-8, not JSON, not an object) is a ``ProtokitError`` naming ``what`` and the line."""
    items: list[dict[str, Any]] = []
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtokitError(
            f"`{what}` printed output that is not UTF-8 text: {first_line(stdout)}"
        ) from None
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            item = json.loads(raw)
        except (ValueError, RecursionError):
            raise ProtokitError(f"`{what}` printed output that is not JSON: {raw[:200]}") from None
        if not isinstance(item, dict):
            raise ProtokitError(f"`{what}` printed JSON of an unexpected shape: {raw[:200]}")
        items.append(item)
    return items
