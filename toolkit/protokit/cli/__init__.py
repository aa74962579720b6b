"""The command line: the Click group, its one error boundary, the commands and every echo.

This package is the only part of protokit that prints; everything below it returns data.
``app`` holds the group, its command table (``COMMANDS``, each command imported only when it
runs) and the boundary, ``options`` the shared options and finding output, each ``*_commands``
module one area's commands, ``early`` what runs before Click loads.

``main`` runs a command line. It loads Click and the group (``app``) only after ``early`` has
started what ``protokit check`` can start from the raw arguments; ``cli`` (the group) is imported
on first use (PEP 562). ``run`` is the ``protokit`` console script: ``main``, then the exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from protokit.cli import early

if TYPE_CHECKING:
    from protokit.cli.app import cli

__all__ = ["cli", "main", "run"]


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


def run() -> NoReturn:
    """The ``protokit`` console script (and ``python -m protokit``): ``main`` on the process's
    arguments, then the process ends without tearing the interpreter down. Freeing every loaded
    module object by object takes a short run a fifth of its time, and the operating system
    reclaims the memory at once anyway. By the time ``main`` returns, every file protokit wrote
    is closed and every process and thread it started has ended; only the standard streams are
    left to flush. Anything but an exit (a bug escaping ``main``) ends the ordinary way."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"): printed, as the interpreter would
            print(exc.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (`protokit gen | head`) or stream: nothing more can reach it
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def __getattr__(name: str) -> Any:
    if name == "cli":
        from protokit.cli.app import cli

        return cli
    raise AttributeError(f"module 'protokit.cli' has no attribute {name!r}")
