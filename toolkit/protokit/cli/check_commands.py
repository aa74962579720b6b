"""The contract checks: ``check`` (the pull-request gate), ``lint``, ``fmt``, ``doctor``."""

from __future__ import annotations

from pathlib import Path

import click

from protokit.cli.options import format_option, progress, report, root_option, workspace
from protokit.core.errors import ExitCode


@click.command()
@root_option
@format_option
def lint(root: Path | None, output_format: str) -> int:
    """Run `buf lint` on the workspace and report its findings."""
    from protokit.check.lint import run_lint

    return report(run_lint(workspace(root)), output_format, what="lint")


@click.command()
@root_option
@format_option
@click.option("--write", is_flag=True, help="Rewrite unformatted files in place.")
def fmt(root: Path | None, output_format: str, write: bool) -> int:
    """Check (or with --write, fix) `.proto` formatting with `buf format`."""
    from protokit.check.lint import run_format_check, write_format

    ws = workspace(root)
    if write:
        for path in write_format(ws):
            click.echo(f"formatted {path}", err=True)
        return ExitCode.CLEAN
    return report(run_format_check(ws), output_format, what="format")


@click.command()
@root_option
@format_option
@click.option(
    "--against",
    default=None,
    metavar="BASE",
    help="Baseline: a frozen release (1.0.0), an image file, or a git ref/branch/tag "
    "(default: the latest frozen release).",
)
@click.option("--all-releases", is_flag=True, help="Check fixtures against every frozen release.")
def check(root: Path | None, output_format: str, against: str | None, all_releases: bool) -> int:
    """The pull-request gate: format, lint, breaking changes and fixture compatibility."""
    from protokit.check.run import CheckOptions, run_check

    options = CheckOptions(against=against, all_releases=all_releases)
    findings = run_check(workspace(root), options, log=progress)
    return report(findings, output_format, what="check")


@click.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def doctor(output_format: str) -> int:
    """Report the versions of buf, grpcio-tools, protobuf and grpcio, and any mismatch."""
    from protokit.cli.doctor import run_doctor

    return run_doctor(output_format)
