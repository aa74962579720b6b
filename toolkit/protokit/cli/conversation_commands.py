"""Conversations: ``record``."""

from __future__ import annotations

from pathlib import Path

import click

from protokit.cli.options import progress, root_option, workspace
from protokit.core.errors import ExitCode, ProtokitError


@click.command(context_settings={"ignore_unknown_options": True})
@root_option
@click.option(
    "--server", required=True, metavar="HOST:PORT", help="The running server to record against."
)
@click.option(
    "--case",
    default="recorded",
    show_default=True,
    help="Case name for calls without an x-protokit-case header.",
)
@click.option(
    "--vary",
    multiple=True,
    metavar="PATH[=KIND]",
    help="A field that varies: updated_at, receive[0].id=non_empty, "
    "status.message=regex:PATTERN (KIND: type, present, non_empty, regex).",
)
@click.option("--update", is_flag=True, help="Replace recorded cases that differ.")
@click.option(
    "--together",
    is_flag=True,
    help="Record every call COMMAND makes as one multi-call case (named by --case or "
    "x-protokit-case; each call by its x-protokit-call header or its method), its steps in the "
    "order they passed.",
)
@click.option("--timeout", default=120.0, show_default=True, help="Seconds the client may run.")
@click.option(
    "--case-timeout", default=10.0, show_default=True, help="Deadline written into each case."
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def record(
    root: Path | None,
    server: str,
    case: str,
    vary: tuple[str, ...],
    update: bool,
    together: bool,
    timeout: float,
    case_timeout: float,
    command: tuple[str, ...],
) -> int:
    """Record the conversations COMMAND has with the server at --server.

    COMMAND (a client script, or `python -m pytest ...`) dials $PROTOKIT_RECORD_TARGET (or
    `{target}` in its arguments): a recording proxy in front of the server. Each call becomes
    compat/conversations/<package>/<Service>/<Rpc>/<case>.json; with --together, all of them
    become one case filed under the first call's RPC.
    """
    from protokit.conversations.record import parse_vary, record_command
    from protokit.conversations.repository import plan_recording
    from protokit.core.writer import apply
    from protokit.evolution.fixtures import DynamicSchema
    from protokit.tools.image import build_image

    ws = workspace(root)
    varies = [parse_vary(v) for v in vary]
    schema = DynamicSchema(build_image(ws))
    recording = record_command(
        command,
        server,
        schema,
        case=case,
        vary=varies,
        timeout=timeout,
        case_timeout=case_timeout,
        together=together,
    )
    if recording.exit_code != 0:
        raise ProtokitError(
            f"the client command exited with {recording.exit_code}; nothing was recorded"
        )
    if not recording.conversations:
        raise ProtokitError("the client command made no call through the recording proxy")
    plan = plan_recording(ws, recording.conversations, schema, update=update)
    apply(plan)
    for change in plan.changes:
        progress(change.line())
    return ExitCode.CLEAN
