"""What every command shares: the common options, opening the workspace, and printing
findings and progress."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from protokit.core.errors import ExitCode
from protokit.core.findings import Finding, OutputFormat, Severity, render, sort_findings

if TYPE_CHECKING:
    from protokit.core.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


def root_option(func: F) -> F:
    return click.option(
        "--root",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help="The buf workspace (default: the nearest folder upwards holding buf.yaml).",
    )(func)


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice([f.value for f in OutputFormat]),
        default=OutputFormat.TEXT.value,
        show_default=True,
        help="How findings are printed: text, json, GitHub annotations, or SARIF (code scanning).",
    )(func)


SHOWN_ON_A_TERMINAL = 200
"""Findings printed as text to a terminal; past that, the summary says where all of them are (a
tree with thousands would otherwise scroll its first ones out of sight). A pipe, a file and
the other formats get every finding."""


def report(findings: Sequence[Finding], output_format: str, *, what: str) -> int:
    """Print findings to stdout and a summary to stderr; return the exit code."""
    ordered = sort_findings(findings)
    fmt = OutputFormat(output_format)
    shown = ordered
    if fmt is OutputFormat.TEXT and len(ordered) > SHOWN_ON_A_TERMINAL and _to_a_terminal():
        shown = ordered[:SHOWN_ON_A_TERMINAL]
    text = render(shown, fmt)
    if text:
        click.echo(text, nl=False)
    failing = [f for f in ordered if f.severity is not Severity.NOTE]
    notes = len(ordered) - len(failing)
    noted = f" ({notes} {'note' if notes == 1 else 'notes'})" if notes else ""
    if len(shown) < len(ordered):
        noted += (
            f"; the first {len(shown)} above, all of them when stdout goes to a pipe or a file "
            "(`| less`, `> findings.txt`) or with `--format json`"
        )
    if failing:
        noun = "finding" if len(failing) == 1 else "findings"
        click.echo(f"protokit: {what}: {len(failing):,} {noun}{noted}", err=True)
        return ExitCode.FINDINGS
    click.echo(f"protokit: {what}: clean{noted}", err=True)
    return ExitCode.CLEAN


def _to_a_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (OSError, ValueError):  # a closed or detached stream
        return False


def workspace(root: Path | None) -> Workspace:
    from protokit.core.workspace import open_workspace  # not needed for `--help`

    return open_workspace(root)


def progress(message: str) -> None:
    click.echo(f"protokit: {message}", err=True)
