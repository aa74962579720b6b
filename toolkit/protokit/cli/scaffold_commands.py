"""Scaffolding: ``new-service`` and ``new-version``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from protokit.cli.options import progress, root_option, workspace
from protokit.core.errors import ExitCode
from protokit.core.findings import OutputFormat, render

if TYPE_CHECKING:
    from protokit.scaffold import new_service as ns


@click.command("new-service")
@root_option
@click.argument("name")
@click.option("--unary", multiple=True, metavar="RPC", help="A unary RPC (repeatable).")
@click.option("--server-stream", multiple=True, metavar="RPC", help="A server-streaming RPC.")
@click.option("--client-stream", multiple=True, metavar="RPC", help="A client-streaming RPC.")
@click.option("--bidi", multiple=True, metavar="RPC", help="A bidirectional-streaming RPC.")
@click.option(
    "--package",
    default=None,
    help="Proto package (default: <org>.NAME.v1; org from [tool.protokit] org or the contracts).",
)
@click.option("--version", "api_version", metavar="vN", default=None, help="Default: v1.")
@click.option("--dry-run", is_flag=True, help="Write nothing; print what would be written.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing contract and its answers (backed up under .protokit/backups/).",
)
@click.option(
    "--flavour",
    type=click.Choice(["asyncio", "sync", "both"]),
    default=None,
    help="Servicers to scaffold: asyncio (default), sync, or both.",
)
@click.option(
    "--add-rpc",
    is_flag=True,
    help="Add the RPC flags' RPCs to the existing service NAME (contract, servicers, test).",
)
@click.option("-v", "--verbose", is_flag=True, help="Also list unchanged files gen checked.")
def new_service(
    root: Path | None,
    name: str,
    unary: tuple[str, ...],
    server_stream: tuple[str, ...],
    client_stream: tuple[str, ...],
    bidi: tuple[str, ...],
    package: str | None,
    api_version: str | None,
    dry_run: bool,
    force: bool,
    flavour: str | None,
    add_rpc: bool,
    verbose: bool,
) -> int:
    """Scaffold service NAME: a lint-clean versioned contract, its stubs, servicer and test.

    RPCs are listed unary first, then server-, client- and bidirectional streaming, each kind
    in the order given. With no RPC flags it re-runs the answers recorded for NAME, or asks
    (in a terminal).
    """
    from protokit.gen.model import RpcKind
    from protokit.gen.skeletons import Flavour
    from protokit.scaffold import new_service as ns

    flags = {
        RpcKind.UNARY_UNARY: unary,
        RpcKind.UNARY_STREAM: server_stream,
        RpcKind.STREAM_UNARY: client_stream,
        RpcKind.STREAM_STREAM: bidi,
    }
    rpcs = [ns.RpcSpec(rpc, kind) for kind, names in flags.items() for rpc in names]
    if add_rpc:
        return _add_rpc(root, name, rpcs, package, api_version, dry_run)
    interactive = sys.stdin is not None and sys.stdin.isatty()
    result = ns.run_new_service(
        workspace(root),
        name,
        rpcs,
        package=package,
        version=api_version,
        dry_run=dry_run,
        force=force,
        verbose=verbose,
        ask=_prompt_rpcs if interactive else None,
        flavour=Flavour(flavour) if flavour else None,
    )
    return _print_result(result, dry_run=dry_run)


@click.command("new-version")
@root_option
@click.argument("package")
@click.argument("version")
def new_version(root: Path | None, package: str, version: str) -> int:
    """Start the next major version of PACKAGE (acme.user.v1) as VERSION (v2)."""
    from protokit.scaffold.new_version import run_new_version

    for path in run_new_version(workspace(root), package, version):
        progress(f"create {path}")
    return ExitCode.CLEAN


def _add_rpc(
    root: Path | None,
    name: str,
    rpcs: list[ns.RpcSpec],
    package: str | None,
    version: str | None,
    dry_run: bool,
) -> int:
    from protokit.core.writer import Action
    from protokit.scaffold.add_rpc import run_add_rpc

    result = run_add_rpc(
        workspace(root), name, rpcs, package=package, version=version, dry_run=dry_run
    )
    for change in result.plan.changes:
        if change.action is not Action.IDENTICAL:
            click.echo(change.line(), err=True)
    if result.gen.missing:
        click.echo(render(list(result.gen.missing), OutputFormat.TEXT), err=True, nl=False)
    added = ", ".join(r.name for r in result.added)
    what = "would add" if dry_run else "added"
    click.echo(
        f"protokit: new-service: {what} {added} to {result.answers.package}"
        + (" (dry run: nothing written)" if dry_run else ""),
        err=True,
    )
    return ExitCode.CLEAN


def _print_result(result: ns.NewServiceResult, *, dry_run: bool) -> int:
    """One line per file (stderr), gen's warnings and the RPCs existing servicers lack, notes,
    and a summary with the next step."""
    for change in result.shown:
        click.echo(change.line(), err=True)
    for warning in result.gen.warnings:
        click.echo(f"protokit: warning: {warning}", err=True)
    if result.gen.missing:
        click.echo(render(list(result.gen.missing), OutputFormat.TEXT), err=True, nl=False)
    for note in result.notes:
        click.echo(f"protokit: new-service: {note}", err=True)
    scaffold = result.scaffold
    what = f"{scaffold.package}.{scaffold.service} ({len(scaffold.rpcs)} RPC(s))"
    summary = result.plan.summary() or "no files"
    if dry_run:
        click.echo(f"protokit: new-service: {what}: {summary} (dry run: nothing written)", err=True)
    else:
        click.echo(
            f"protokit: new-service: {what}: {summary}; implement it in "
            f"{result.servicer_path} and run `python -m pytest {result.test_path}`",
            err=True,
        )
    return ExitCode.CLEAN


def _prompt_rpcs() -> list[ns.RpcSpec]:
    """Ask for the RPCs on the terminal (names re-asked until valid); empty name ends."""
    from protokit.gen.model import RpcKind
    from protokit.scaffold import new_service as ns

    click.echo("No RPC flags given: name the RPCs, one per prompt (empty to finish).", err=True)
    rpcs: list[ns.RpcSpec] = []

    def check(value: str) -> str:
        value = value.strip()
        if value:
            problem = ns.rpc_name_problem(value)
            if problem is None and any(r.name == value for r in rpcs):
                problem = f"RPC {value} is already in the list"
            if problem:
                raise click.BadParameter(problem)
        elif not rpcs:
            raise click.BadParameter("a service needs at least one RPC")
        return value

    kinds = [kind.flag.removeprefix("--") for kind in RpcKind]
    while True:
        name = click.prompt("RPC name", default="", show_default=False, value_proc=check, err=True)
        if not name:
            return rpcs
        kind = click.prompt("kind", type=click.Choice(kinds), default=kinds[0], err=True)
        rpcs.append(ns.RpcSpec(name, RpcKind.from_word(kind.replace("-", "_"))))
