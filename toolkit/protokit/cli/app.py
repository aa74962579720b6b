"""The ``protokit`` Click group, its command table and its one error boundary.

This module is the one error boundary: library code raises ``ProtokitError``; here it becomes one
line on stderr and an exit code (0 clean, 100 findings, 1 error, 2 usage).

The group loads its commands lazily (Click's "lazily loading subcommands" pattern): ``COMMANDS``
names each command's ``module:attribute``, and a command's module is imported only when the
command is resolved, so ``protokit gen`` never imports what ``protokit check`` needs.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Mapping
from typing import Any

import click

from protokit import __version__
from protokit.core.errors import ExitCode, ProtokitError

DEBUG_ENV = "PROTOKIT_DEBUG"

# Every protokit command: its name and where it lives ("module:attribute"), imported on use.
COMMANDS: Mapping[str, str] = {
    "build": "protokit.cli.dist_commands:build",
    "check": "protokit.cli.check_commands:check",
    "compat-tests": "protokit.cli.evolution_commands:compat_tests",
    "diff": "protokit.cli.evolution_commands:diff",
    "doctor": "protokit.cli.check_commands:doctor",
    "fmt": "protokit.cli.check_commands:fmt",
    "gen": "protokit.cli.gen_commands:gen",
    "lint": "protokit.cli.check_commands:lint",
    "new-service": "protokit.cli.scaffold_commands:new_service",
    "new-version": "protokit.cli.scaffold_commands:new_version",
    "publish": "protokit.cli.dist_commands:publish",
    "record": "protokit.cli.conversation_commands:record",
    "release": "protokit.cli.evolution_commands:release",
}


class ProtokitGroup(click.Group):
    """A Click group whose ``main`` turns every failure into one line and an exit code, and
    whose ``lazy_commands`` (name → "module:attribute") are imported only when resolved."""

    def __init__(
        self, *args: Any, lazy_commands: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy_commands.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a Click command")
        return command

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
            for line in exc.lines:
                click.echo(line, err=True)
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


@click.group(
    cls=ProtokitGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="protokit", message="%(prog)s %(version)s")
def cli() -> None:
    """Keep a Protobuf contract repository lint-clean and breaking-change-free, and make it
    useful to Python teams."""
