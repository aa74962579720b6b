"""The command line: the Click group, its one error boundary, the commands and every echo.

This package is the only part of protokit that prints; everything below it returns data.
``app`` holds the group, its command table (``COMMANDS``, each command imported only when it
runs) and the boundary, ``options`` the shared options and finding output, each ``*_commands``
module one area's commands.
"""

from protokit.cli.app import cli, main

__all__ = ["cli", "main"]
