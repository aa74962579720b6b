"""The ``protokit`` command line: thin Click commands over the typed library.

This module is the one error boundary: library code raises ``ProtokitError``; here it becomes one
line on stderr and an exit code (0 clean, 100 findings, 1 error, 2 usage).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from protokit import __version__
from protokit.errors import ExitCode, ProtokitError
from protokit.findings import Finding, OutputFormat, render, sort_findings
from protokit.workspace import Workspace, open_workspace

F = TypeVar("F", bound=Callable[..., Any])
DEBUG_ENV = "PROTOKIT_DEBUG"


class ProtokitGroup(click.Group):
    """A Click group whose ``main`` turns every failure into one line and an exit code."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):
                click.echo("protokit: interrupted", err=True)
                sys.exit(130)
            click.echo("protokit: aborted", err=True)
            sys.exit(ExitCode.ERROR)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()  # bare `protokit`: the help text is the answer
            sys.exit(ExitCode.USAGE)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "protokit"
            message = " ".join(exc.format_message().split())
            click.echo(f"protokit: error: {message.rstrip('.')}; see `{where} --help`", err=True)
            sys.exit(ExitCode.USAGE)
        except click.ClickException as exc:
            click.echo(f"protokit: error: {' '.join(exc.format_message().split())}", err=True)
            sys.exit(ExitCode.ERROR)
        except ProtokitError as exc:
            click.echo(f"protokit: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("protokit: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # the boundary: never a traceback unless asked for
            if os.environ.get(DEBUG_ENV):
                traceback.print_exc()
            else:
                click.echo(
                    f"protokit: internal error: {type(exc).__name__}: {exc} "
                    f"(set {DEBUG_ENV}=1 for the traceback)",
                    err=True,
                )
            sys.exit(ExitCode.ERROR)
        sys.exit(int(result) if isinstance(result, int) else 0)


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
        help="How findings are printed: text, json, or GitHub annotations.",
    )(func)


def report(findings: Sequence[Finding], output_format: str, *, what: str) -> int:
    """Print findings to stdout and a summary to stderr; return the exit code."""
    ordered = sort_findings(findings)
    fmt = OutputFormat(output_format)
    text = render(ordered, fmt)
    if text:
        click.echo(text, nl=False)
    if ordered:
        noun = "finding" if len(ordered) == 1 else "findings"
        click.echo(f"protokit: {what}: {len(ordered)} {noun}", err=True)
        return ExitCode.FINDINGS
    click.echo(f"protokit: {what}: clean", err=True)
    return ExitCode.CLEAN


def workspace(root: Path | None) -> Workspace:
    return open_workspace(root)


@click.group(cls=ProtokitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="protokit", message="%(prog)s %(version)s")
def cli() -> None:
    """Keep a Protobuf contract repository lint-clean and breaking-change-free, and make it
    useful to Python teams."""


@cli.command()
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def doctor(output_format: str) -> int:
    """Report the versions of buf, grpcio-tools, protobuf and grpcio, and any mismatch."""
    from protokit.doctor import run_doctor

    return run_doctor(output_format)


@cli.command()
@root_option
@format_option
def lint(root: Path | None, output_format: str) -> int:
    """Run `buf lint` on the workspace and report its findings."""
    from protokit.lint import run_lint

    return report(run_lint(workspace(root)), output_format, what="lint")


@cli.command()
@root_option
@format_option
@click.option("--write", is_flag=True, help="Rewrite unformatted files in place.")
def fmt(root: Path | None, output_format: str, write: bool) -> int:
    """Check (or with --write, fix) `.proto` formatting with `buf format`."""
    from protokit.lint import run_format_check, write_format

    ws = workspace(root)
    if write:
        for path in write_format(ws):
            click.echo(f"formatted {path}", err=True)
        return ExitCode.CLEAN
    return report(run_format_check(ws), output_format, what="format")


@cli.command()
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
    from protokit.check import CheckOptions, run_check

    options = CheckOptions(against=against, all_releases=all_releases)
    findings = run_check(workspace(root), options, log=_progress)
    return report(findings, output_format, what="check")


@cli.command()
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
    from protokit.gen import print_result, run_gen

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
    return print_result(
        result, check=check, dry_run=dry_run, verbose=verbose, as_json=output_format == "json"
    )


@cli.command("new-service")
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
    verbose: bool,
) -> int:
    """Scaffold service NAME: a lint-clean versioned contract, its stubs, servicer and test.

    RPCs are listed unary first, then server-, client- and bidirectional streaming, each kind
    in the order given. With no RPC flags it re-runs the answers recorded for NAME, or asks
    (in a terminal).
    """
    from protokit import new_service as ns

    flags = {
        ns.Shape.UNARY: unary,
        ns.Shape.SERVER_STREAM: server_stream,
        ns.Shape.CLIENT_STREAM: client_stream,
        ns.Shape.BIDI: bidi,
    }
    rpcs = [ns.RpcSpec(rpc, shape) for shape, names in flags.items() for rpc in names]
    interactive = sys.stdin is not None and sys.stdin.isatty()
    try:
        result = ns.run_new_service(
            workspace(root),
            name,
            rpcs,
            package=package,
            version=api_version,
            dry_run=dry_run,
            force=force,
            verbose=verbose,
            ask=ns.prompt_rpcs if interactive else None,
        )
    except ns.ScaffoldConflictError as exc:
        for line in exc.lines:
            click.echo(line, err=True)
        raise
    return ns.print_result(result, dry_run=dry_run)


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="protokit")


# ---- schema evolution: release, compat-tests, diff, new-version ----


def _progress(message: str) -> None:
    click.echo(f"protokit: {message}", err=True)


@cli.command()
@root_option
@click.argument("version")
def release(root: Path | None, version: str) -> int:
    """Freeze the current descriptor image and fixtures as release VERSION (e.g. 1.0.0)."""
    from protokit.compattests import write_compat_tests
    from protokit.evolution import run_release

    ws = workspace(root)
    folder = run_release(ws, version)
    _progress(f"froze release {version} in {folder.relative_to(ws.root).as_posix()}")
    _progress(f"{write_compat_tests(ws)} {ws.settings.compat_tests}")
    return ExitCode.CLEAN


@cli.command("compat-tests")
@root_option
@click.option("--check", "check_only", is_flag=True, help="Only report whether it is stale.")
@format_option
def compat_tests(root: Path | None, check_only: bool, output_format: str) -> int:
    """Regenerate the compatibility test module from the frozen releases."""
    from protokit.compattests import check_compat_tests, write_compat_tests

    ws = workspace(root)
    if check_only:
        return report(check_compat_tests(ws), output_format, what="compat-tests")
    _progress(f"{write_compat_tests(ws)} {ws.settings.compat_tests}")
    return ExitCode.CLEAN


@cli.command()
@root_option
@click.option(
    "--against",
    default=None,
    metavar="BASE",
    help="Baseline: a frozen release, an image file, or a git ref (default: latest release).",
)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def diff(root: Path | None, against: str | None, output_format: str) -> int:
    """The API changelog against a baseline, and the next version it implies."""
    from protokit.apidiff import render_json, render_text
    from protokit.evolution import run_diff

    result = run_diff(workspace(root), against)
    click.echo(render_json(result) if output_format == "json" else render_text(result), nl=False)
    return ExitCode.CLEAN


@cli.command("new-version")
@root_option
@click.argument("package")
@click.argument("version")
def new_version(root: Path | None, package: str, version: str) -> int:
    """Start the next major version of PACKAGE (acme.user.v1) as VERSION (v2)."""
    from protokit.newversion import run_new_version

    for path in run_new_version(workspace(root), package, version):
        _progress(f"create {path}")
    return ExitCode.CLEAN
