"""Where conversations live in a contract repository, and what ``check`` says about them.

``<fixtures_out>/conversations/<package>/<Service>/<Rpc>/<case>.json`` (``compat/...`` by
default); a release freezes them as ``compat/releases/<VERSION>/conversations/...``. Every file
must parse under the current schema; one that does not is a finding at the file (and the line
of the step) and a second at the RPC's line in the ``.proto``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding
from protokit.core.workspace import Workspace

# Reading, comparing and writing conversations is imported where it happens: `check` on a
# repository without conversations only lists the folders.
if TYPE_CHECKING:
    from protokit.conversations.model import Conversation
    from protokit.core.descriptors import Image
    from protokit.core.writer import Plan
    from protokit.evolution.fixtures import DynamicSchema

__all__ = [
    "CONVERSATIONS_DIR",
    "RULE_INVALID",
    "conversation_files",
    "conversation_findings",
    "conversations_root",
    "plan_recording",
    "read_conversation",
]

CONVERSATIONS_DIR = "conversations"
RULE_INVALID = "CONVERSATION_INVALID"
SUFFIX = ".json"


def conversations_root(ws: Workspace) -> str:
    return PurePosixPath(ws.settings.fixtures_out.strip("/"), CONVERSATIONS_DIR).as_posix()


def conversation_files(root: Path, base: str) -> list[str]:
    """``*.json`` regular files under ``root/base``, as paths relative to ``root``, sorted."""
    folder = root / base
    if not folder.is_dir():
        return []
    found = [
        p.relative_to(root).as_posix()
        for p in folder.rglob(f"*{SUFFIX}")
        if p.is_file() and not p.is_symlink()
    ]
    return sorted(found)


def read_conversation(root: Path, rel: str, schema: DynamicSchema) -> Conversation:
    from protokit.conversations.model import MAX_BYTES
    from protokit.conversations.parse import load_conversation

    path = root / rel
    try:
        size = path.stat().st_size
        data = b"x" * (MAX_BYTES + 1) if size > MAX_BYTES else path.read_bytes()
    except OSError as exc:
        raise ProtokitError(f"cannot read: {exc.strerror}", path=rel) from exc
    return load_conversation(rel, data, schema)


def _rpc_of(root: Path, rel: str) -> str | None:
    """The ``rpc`` a file names, read leniently (for locating a finding in the ``.proto``)."""
    import json

    from protokit.conversations.model import MAX_BYTES

    try:
        raw = json.loads((root / rel).read_bytes()[:MAX_BYTES])
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    calls = raw.get("calls")
    if isinstance(calls, dict) and calls:  # a multi-call case: filed under its first call
        first = next(iter(calls.values()))
        raw = first if isinstance(first, dict) else {}
    rpc = raw.get("rpc")
    return rpc if isinstance(rpc, str) else None


def conversation_findings(
    ws: Workspace, image: Image, frozen: Sequence[tuple[str, str]] = ()
) -> list[Finding]:
    """Every conversation of the repository (and ``frozen``: releases' conversation folders as
    (version, folder) pairs) must parse under the current schema."""
    files = conversation_files(ws.root, conversations_root(ws))
    for _version, folder in frozen:
        files.extend(conversation_files(ws.root, folder))
    findings: list[Finding] = []
    if not files:
        return findings  # nothing to read: a big tree's schema and source map are not built
    from protokit.core.sourcemap import SourceMap
    from protokit.evolution.fixtures import DynamicSchema

    schema = DynamicSchema(image)
    sources = SourceMap(image)
    for rel in files:
        try:
            read_conversation(ws.root, rel, schema)
        except ProtokitError as exc:
            findings.append(
                Finding(
                    path=rel,
                    line=exc.line or 1,
                    column=exc.column or 1,
                    rule=RULE_INVALID,
                    message=f"{exc.message}; re-record it with `protokit record --update` or "
                    "fix the file",
                    source="protokit conversations",
                )
            )
            rpc = _rpc_of(ws.root, rel)
            where = sources.get(rpc.replace("/", ".")) if rpc else None
            if where is not None:
                findings.append(
                    Finding(
                        path=where.path,
                        line=where.line,
                        column=where.column,
                        rule=RULE_INVALID,
                        message=f"{rpc} no longer matches its recorded conversation {rel}: "
                        f"{exc.message}",
                        source="protokit conversations",
                    )
                )
    return findings


def case_path(ws: Workspace, conversation: Conversation, case: str) -> str:
    return PurePosixPath(
        conversations_root(ws),
        conversation.service.rsplit(".", 1)[0] if "." in conversation.service else "_",
        conversation.service.rsplit(".", 1)[-1],
        conversation.method,
        f"{case}{SUFFIX}",
    ).as_posix()


def _same_behaviour(old: Conversation, new: Conversation) -> bool:
    """Whether a re-recording saw what ``old`` specifies (its matchers applied): then the file
    stays as it is, varying values included."""
    from protokit.conversations.compare import first_difference
    from protokit.conversations.model import StepKind, message_dict

    if [(s.call, s.kind) for s in old.exchange] != [(s.call, s.kind) for s in new.exchange]:
        return False
    if [c.name for c in old.calls] != [c.name for c in new.calls]:
        return False
    for was_call, now_call in zip(old.calls, new.calls, strict=True):
        was_status, now_status = was_call.status, now_call.status
        if (was_status.code, was_status.details) != (now_status.code, now_status.details):
            return False
        if not any(m.target == "status" for m in was_call.matchers) and (
            was_status.message != now_status.message
        ):
            return False
    for was, now in zip(old.exchange, new.exchange, strict=True):
        if was.message is None or now.message is None:
            continue
        matchers = old.call(was.call).matchers if was.kind is StepKind.RECEIVE else ()
        if first_difference(
            message_dict(was.message),
            message_dict(now.message),
            matchers,
            "receive",
            was.number - 1,
        ):
            return False
    return True


def plan_recording(
    ws: Workspace,
    named: Sequence[tuple[str, Conversation]],
    schema: DynamicSchema,
    *,
    update: bool,
) -> Plan:
    """The files of a recording; an existing case that differs is a conflict (with its diff)
    unless ``update``. Raises when there are conflicts and ``update`` is off. A case whose new
    recording differs only where its matchers allow keeps its file."""
    from protokit.conversations.dump import dump_conversation
    from protokit.core.writer import Action, OutputFile, Owner, plan_outputs

    outputs: list[OutputFile] = []
    for case, conversation in named:
        rel = case_path(ws, conversation, case)
        content = dump_conversation(conversation).encode("utf-8")
        if ws.path(rel).is_file():
            try:
                old = read_conversation(ws.root, rel, schema)
            except ProtokitError:
                old = None
            if old is not None and _same_behaviour(old, conversation):
                content = ws.path(rel).read_bytes()
        outputs.append(OutputFile(rel, content, Owner.USER))
    plan = plan_outputs(ws.root, outputs)
    if plan.conflicts and not update:
        lines = tuple(line for change in plan.conflicts for line in change.diff().splitlines())
        first = plan.conflicts[0].path
        raise ProtokitError(
            f"{len(plan.conflicts)} recorded case(s) exist and differ (first: {first}); the "
            "diff is above; nothing was written (pass --update to replace them)",
            lines=lines,
        )
    changes = tuple(
        replace(c, action=Action.UPDATE) if c.action is Action.CONFLICT else c for c in plan.changes
    )
    return replace(plan, changes=changes)
