"""The stub distributions: ``build`` and ``publish``."""

from __future__ import annotations

from pathlib import Path

import click

from protokit.cli.options import progress, root_option, workspace
from protokit.core.errors import ExitCode


@click.command()
@root_option
@click.option(
    "--version",
    "version",
    default=None,
    metavar="V",
    help="Build this PEP 440 version (default: derived from the releases and git).",
)
@click.option("--out", default=None, metavar="DIR", help="Output folder (default: dist/).")
@click.option("--local", is_flag=True, help="Add the commit as a local version (+g<sha>).")
def build(root: Path | None, version: str | None, out: str | None, local: bool) -> int:
    """Build the stub distributions as reproducible wheels and sdists."""
    from protokit.dist.build import run_build

    ws = workspace(root)
    result = run_build(ws, version=version, out=out, local=local, log=progress)
    for path in result.files:
        click.echo(path)
    progress(f"build: {len(result.files)} file(s), version {result.version.version}")
    return ExitCode.CLEAN


@click.command()
@root_option
@click.argument(
    "files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path), metavar="[FILES]..."
)
@click.option("--repository-url", default=None, metavar="URL", help="The index's upload URL.")
@click.option("--repository", default=None, metavar="NAME", help="A section of ~/.pypirc.")
@click.option("--allow-dev", is_flag=True, help="Also upload development versions.")
def publish(
    root: Path | None,
    files: tuple[Path, ...],
    repository_url: str | None,
    repository: str | None,
    allow_dev: bool,
) -> int:
    """Upload built distributions (default: dist/) with twine, never over an existing version."""
    from protokit.dist.publish import run_publish

    result = run_publish(
        workspace(root),
        files,
        repository_url=repository_url,
        repository=repository,
        allow_dev=allow_dev,
        log=progress,
    )
    for name in result.uploaded:
        click.echo(name)
    progress(f"publish: {len(result.uploaded)} file(s) uploaded to {result.repository}")
    return ExitCode.CLEAN
