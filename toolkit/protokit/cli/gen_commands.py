"""``protokit gen``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from protokit.cli.options import root_option, workspace
from protokit.core.errors import ExitCode
from protokit.core.findings import OutputFormat, render

if TYPE_CHECKING:
    from protokit.gen.pipeline import GenResult


@click.command()
@root_option
@click.option("--check", is_flag=True, help="Write nothing; list stale generated files, exit 100.")
@click.option("--dry-run", is_flag=True, help="Write nothing; print what would change.")
@click.option("--force", is_flag=True, help="Regenerate even when the inputs did not change.")
@click.option("--out", "stubs_out", default=None, help="Stub folder (default: gen/python).")
@click.option("--services-out", default=None, help="Skeleton folder (default: services).")
@click.option(
    "--services/--no-services", default=True, help="Create servicer skeletons (default: yes)."
)
@click.option(
    "--image",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Use this buf image / protoc descriptor set instead of running `buf build`.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also list files that are unchanged.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json prints the plan, stale files and warnings to stdout.",
)
def gen(
    root: Path | None,
    check: bool,
    dry_run: bool,
    force: bool,
    stubs_out: str | None,
    services_out: str | None,
    services: bool,
    image: Path | None,
    verbose: bool,
    output_format: str,
) -> int:
    """Generate stubs, typed stubs and servicer skeletons from the compiled contracts."""
    from protokit.gen.pipeline import run_gen

    result = run_gen(
        workspace(root),
        check=check,
        dry_run=dry_run,
        force=force,
        stubs_out=stubs_out,
        services_out=services_out,
        services=services,
        image_path=image,
    )
    return _print_result(
        result, check=check, dry_run=dry_run, verbose=verbose, as_json=output_format == "json"
    )


def _print_result(
    result: GenResult, *, check: bool, dry_run: bool, verbose: bool, as_json: bool = False
) -> int:
    """What ``protokit gen`` prints: one line per file, warnings, then a summary (stderr);
    with ``check`` the stale files go to stdout and the exit code is 100 when any exist;
    with ``as_json`` one JSON document (plan, stale files, warnings, missing methods) on stdout."""
    if as_json:
        from protokit.gen.pipeline import describe

        data = describe(result)
        data["missing"] = json.loads(render(list(result.missing), OutputFormat.JSON))
        click.echo(json.dumps(data, indent=2))
        return ExitCode.FINDINGS if check and result.stale else ExitCode.CLEAN

    for warning in result.warnings:
        click.echo(f"protokit: warning: {warning}", err=True)
    if check:
        stale = result.stale
        for line in stale:
            click.echo(line)
        if result.missing:
            click.echo(render(list(result.missing), OutputFormat.TEXT), err=True, nl=False)
        if stale:
            click.echo(
                f"protokit: gen --check: {len(stale)} generated file(s) are stale; "
                "run `protokit gen` and commit the result",
                err=True,
            )
            return ExitCode.FINDINGS
        click.echo("protokit: gen --check: generated files are up to date", err=True)
        return ExitCode.CLEAN
    for line in result.plan.lines(include_identical=verbose):
        click.echo(line, err=True)
    if result.missing:
        click.echo(render(list(result.missing), OutputFormat.TEXT), err=True, nl=False)
    work = (
        f"protoc ran {result.protoc_runs} time(s)"
        if result.generated
        else "inputs unchanged, nothing generated"
    )
    verb = "would change" if dry_run else "changed"
    pending = len(result.plan.pending)
    click.echo(
        f"protokit: gen: {result.plan.summary() or 'no files'} ({work}; {pending} {verb})",
        err=True,
    )
    return ExitCode.CLEAN
