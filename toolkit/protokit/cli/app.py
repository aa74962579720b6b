"""The ``protokit`` Click group and its one error boundary.

This module is the one error boundary: library code raises ``ProtokitError``; here it becomes one
line on stderr and an exit code (0 clean, 100 findings, 1 error, 2 usage).
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from protokit import __version__
from protokit.core.errors import ExitCode, ProtokitError

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


@click.group(cls=ProtokitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="protokit", message="%(prog)s %(version)s")
def cli() -> None:
    """Keep a Protobuf contract repository lint-clean and breaking-change-free, and make it
    useful to Python teams."""


def _terminated(signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so the tools protokit runs are stopped with it."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _terminated)
    cli.main(args=list(argv) if argv is not None else None, prog_name="protokit")
