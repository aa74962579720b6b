"""The command line: the Click group, its one error boundary, the commands and every echo.

This package is the only part of protokit that prints; everything below it returns data.
``app`` holds the group, its command table (``COMMANDS``, each command imported only when it
runs) and the boundary, ``options`` the shared options and finding output, each ``*_commands``
module one area's commands, ``early`` what runs before Click loads.

``main`` is the ``protokit`` console script. It loads Click and the group (``app``) only after
``early`` has started what ``protokit check`` can start from the raw arguments; ``cli`` (the
group) is imported on first use (PEP 562).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from protokit.cli import early

if TYPE_CHECKING:
    from protokit.cli.app import cli

__all__ = ["cli", "main"]


def _terminated(signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so the tools protokit runs are stopped with it."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _terminated)
    args = list(argv) if argv is not None else None
    started = early.start(sys.argv[1:] if args is None else args)
    try:
        from protokit.cli.app import cli

        cli.main(args=args, prog_name="protokit")
    finally:
        if started:
            early.forget()


def __getattr__(name: str) -> Any:
    if name == "cli":
        from protokit.cli.app import cli

        return cli
    raise AttributeError(f"module 'protokit.cli' has no attribute {name!r}")
