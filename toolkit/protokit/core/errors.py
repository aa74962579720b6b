"""The errors protokit raises, and the exit codes the CLI maps them to.

Library code raises; only the CLI's single boundary prints.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes shared by every command."""

    CLEAN = 0
    ERROR = 1
    USAGE = 2
    FINDINGS = 100


class ProtokitError(Exception):
    """A failure the user can act on, shown as one line (``path:line:col: message`` where known).

    ``lines`` are what the line refers to (a plan, a diff), printed by the CLI before it."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        lines: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.lines = lines
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        location = self.path
        if self.line is not None:
            location += f":{self.line}"
            if self.column is not None:
                location += f":{self.column}"
        return f"{location}: {self.message}"


class UsageError(ProtokitError):
    """The command line itself is wrong (bad flag combination, bad argument)."""

    exit_code = ExitCode.USAGE


class ToolMissingError(ProtokitError):
    """An external tool protokit drives (buf, grpc_tools) is not installed."""
