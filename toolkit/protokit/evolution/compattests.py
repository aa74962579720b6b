"""The generated compatibility test module, and the library it calls.

``protokit compat-tests`` renders ``templates/compat/test_compat_releases.py.j2`` with one case
per (release, message) into ``tests/compat/test_compat_releases.py`` (Settings.compat_tests); the
module only depends on the frozen releases, so it goes stale only when a release is added, and
``protokit check`` reports it then. The tests call :class:`ReleaseSuite`, the same code
``protokit check`` runs.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding, OutputFormat, render
from protokit.core.manifest import carries_marker
from protokit.core.paths import read_regular
from protokit.core.workspace import Settings, Workspace, open_workspace
from protokit.core.writer import Action, OutputFile, apply, clear_plan_leftovers, plan_outputs
from protokit.evolution.compat import Compat, Snapshot
from protokit.evolution.release import ReleaseReader, list_releases, load_release, releases_root
from protokit.tools.image import build_image

TEMPLATE = "compat/test_compat_releases.py.j2"
CONVERSATIONS_TEMPLATE = "compat/test_conversations.py.j2"
CONVERSATIONS_MODULE = "test_conversations.py"
RULE_STALE = "COMPAT_TESTS_STALE"


def conversation_tests_path(ws: Workspace) -> str:
    """The conversation test module: beside the compatibility test module."""
    return (Path(ws.settings.compat_tests).parent / CONVERSATIONS_MODULE).as_posix()


def render_conversation_tests(ws: Workspace) -> str:
    """The conversation test module's text (it finds the cases when pytest collects it)."""
    from protokit.conversations.repository import conversations_root
    from protokit.core.templates import environment
    from protokit.core.templates import render as render_template

    target = Path(conversation_tests_path(ws))
    text = render_template(
        environment(ws.path(ws.settings.templates)),
        CONVERSATIONS_TEMPLATE,
        source=conversations_root(ws),
        depth=len(target.parts) - 1,
    )
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise ProtokitError(
            f"template {CONVERSATIONS_TEMPLATE} rendered invalid Python: {exc.msg}",
            line=exc.lineno,
        ) from exc
    return text


def write_conversation_tests(ws: Workspace) -> str:
    """Write the conversation test module when the repository has conversations (through the
    writer); returns ``create``, ``update``, ``identical`` or ``none``."""
    from protokit.conversations.repository import conversation_files, conversations_root
    from protokit.core.writer import OutputFile, apply, plan_outputs

    rel = conversation_tests_path(ws)
    if not conversation_files(ws.root, conversations_root(ws)) and not ws.path(rel).exists():
        return "none"
    plan = plan_outputs(ws.root, [OutputFile.text(rel, render_conversation_tests(ws))])
    apply(plan)
    return plan.changes[0].action.value


@dataclass(frozen=True)
class _Case:
    version: str  # Python literals, ready to place
    message: str


def render_compat_tests(ws: Workspace, releases: ReleaseReader | None = None) -> str:
    """The test module's text for the releases frozen in ``ws``."""
    # Jinja is loaded here: `check` renders the module only when there are releases.
    from protokit.core.templates import environment
    from protokit.core.templates import render as render_template

    target = Path(ws.settings.compat_tests)
    cases: list[_Case] = []
    releases = releases or ReleaseReader(ws)
    for version in list_releases(ws):
        release = releases.load(version)
        for message in sorted({f.message for f in release.fixtures}):
            cases.append(_Case(json.dumps(version), json.dumps(message)))
    source = releases_root(ws).relative_to(ws.root).as_posix()
    text = render_template(
        environment(ws.path(ws.settings.templates)),
        TEMPLATE,
        source=source,
        depth=len(target.parts) - 1,
        cases=cases,
    )
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise ProtokitError(
            f"template {TEMPLATE} rendered invalid Python: {exc.msg}", line=exc.lineno
        ) from exc
    return text


def write_compat_tests(ws: Workspace) -> str:
    """Write the module if it changed; returns ``create``, ``update`` or ``identical``.

    Away from the default path, an existing module is replaced only when it carries a
    generated mark: a file without one is the user's and is never overwritten."""
    text = render_compat_tests(ws)
    rel = ws.settings.compat_tests
    plan = plan_outputs(ws.root, [OutputFile.text(rel, text)])
    change = plan.changes[0]
    if change.action is Action.IDENTICAL:
        clear_plan_leftovers(plan)
        return "identical"
    # At the default path the module is protokit's (a hand-edited copy is restored); a file
    # elsewhere without a generated mark is the user's, whatever the template renders.
    custom = rel != Settings().compat_tests
    if custom and change.old is not None and not carries_marker(change.old):
        raise ProtokitError(
            "exists and was not generated by protokit (it carries no generated mark); refusing "
            "to overwrite it (move it, or point [tool.protokit] compat_tests elsewhere)",
            path=rel,
        )
    apply(plan)
    return str(change.action.value)


def _on_disk(ws: Workspace) -> bytes | None:
    """The module's current bytes; None when absent. A folder in its place is an error."""
    try:
        return read_regular(ws.path(ws.settings.compat_tests), shown=ws.settings.compat_tests)
    except (FileNotFoundError, NotADirectoryError):
        return None


def check_compat_tests(ws: Workspace, releases: ReleaseReader | None = None) -> list[Finding]:
    """A finding when the committed module differs from what the releases render."""
    path = ws.path(ws.settings.compat_tests)
    if not list_releases(ws) and not path.exists():
        return []
    text = render_compat_tests(ws, releases)
    if _on_disk(ws) == text.encode("utf-8"):
        return []
    what = "is out of date" if path.exists() else "is missing"
    return [
        Finding(
            path=ws.settings.compat_tests,
            line=1 if path.exists() else 0,
            column=1 if path.exists() else 0,
            rule=RULE_STALE,
            message=f"the generated compatibility test module {what} for the frozen "
            "releases; run `protokit compat-tests` and commit the result",
            source="protokit compat",
        )
    ]


class ReleaseSuite:
    """The current schema of a repository, checked against its frozen releases on demand."""

    def __init__(self, root: Path) -> None:
        self.ws = open_workspace(root)
        self.compat = Compat(build_image(self.ws, protoc_ok=True))
        self._snapshots: dict[str, Snapshot] = {}

    def snapshot(self, version: str) -> Snapshot:
        if version not in self._snapshots:
            self._snapshots[version] = Snapshot.of_release(load_release(self.ws, version))
        return self._snapshots[version]

    def backward(self, version: str, message: str) -> list[Finding]:
        return self.compat.backward(self.snapshot(version), only=message)

    def forward(self, version: str, message: str) -> list[Finding]:
        return self.compat.forward(self.snapshot(version), only=message)

    def json(self, version: str, message: str) -> list[Finding]:
        return self.compat.json(self.snapshot(version), only=message)

    @staticmethod
    def explain(findings: list[Finding]) -> str:
        return "\n" + render(findings, OutputFormat.TEXT)
