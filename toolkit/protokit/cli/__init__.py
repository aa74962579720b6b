"""The command line: the Click group, its one error boundary, the commands and every echo.

This package is the only part of protokit that prints; everything below it returns data.
``app`` holds the group and the boundary, ``options`` the shared options and finding output,
each ``*_commands`` module one area's commands.
"""

from protokit.cli import (
    check_commands,
    conversation_commands,
    dist_commands,
    evolution_commands,
    gen_commands,
    scaffold_commands,
)
from protokit.cli.app import cli, main

__all__ = [
    "check_commands",
    "cli",
    "conversation_commands",
    "dist_commands",
    "evolution_commands",
    "gen_commands",
    "main",
    "scaffold_commands",
]
