"""Schema evolution: ``release``, ``compat-tests``, ``diff``."""

from __future__ import annotations

from pathlib import Path

import click

from protokit.cli.options import format_option, progress, report, root_option, workspace
from protokit.core.errors import ExitCode


@click.command()
@root_option
@click.argument("version")
def release(root: Path | None, version: str) -> int:
    """Freeze the current descriptor image and fixtures as release VERSION (e.g. 1.0.0); in a
    git repository, refuse an unclean tree, commit the release and tag it vVERSION."""
    from protokit.dist.release import run_tagged_release
    from protokit.evolution.changelog import CHANGELOG

    ws = workspace(root)
    result = run_tagged_release(ws, version)
    progress(f"froze release {version} in {result.folder}")
    progress(f"added release {version} to {CHANGELOG}")
    progress(f"{result.compat_tests} {ws.settings.compat_tests}")
    if result.tag is not None and result.commit is not None:
        progress(f"committed release {version} ({result.commit[:12]}) and tagged it {result.tag}")
        progress(f"next: git push --follow-tags (or git push origin {result.tag})")
    return ExitCode.CLEAN


@click.command("compat-tests")
@root_option
@click.option("--check", "check_only", is_flag=True, help="Only report whether it is stale.")
@format_option
def compat_tests(root: Path | None, check_only: bool, output_format: str) -> int:
    """Regenerate the compatibility test module from the frozen releases."""
    from protokit.evolution.compattests import (
        check_compat_tests,
        conversation_tests_path,
        write_compat_tests,
        write_conversation_tests,
    )

    ws = workspace(root)
    if check_only:
        return report(check_compat_tests(ws), output_format, what="compat-tests")
    progress(f"{write_compat_tests(ws)} {ws.settings.compat_tests}")
    status = write_conversation_tests(ws)
    if status != "none":
        progress(f"{status} {conversation_tests_path(ws)}")
    return ExitCode.CLEAN


@click.command()
@root_option
@click.option(
    "--against",
    default=None,
    metavar="BASE",
    help="Baseline: a frozen release, an image file, or a git ref (default: latest release).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown", "github"]),
    default="text",
    show_default=True,
    help="text, json, markdown (a pull-request comment) or github (annotations).",
)
@click.option(
    "--exit-code", is_flag=True, help="Exit 100 when there are breaking changes (for CI)."
)
def diff(root: Path | None, against: str | None, output_format: str, exit_code: bool) -> int:
    """The API changelog against a baseline, and the next version it implies."""
    from protokit.evolution.changelog import render_diff
    from protokit.evolution.checks import run_diff

    result = run_diff(workspace(root), against)
    click.echo(render_diff(result, output_format), nl=False)
    if exit_code and result.breaking:
        return ExitCode.FINDINGS
    return ExitCode.CLEAN
