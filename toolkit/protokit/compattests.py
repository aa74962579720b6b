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
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from protokit.compat import Compat, Snapshot
from protokit.descriptors import build_image
from protokit.errors import ProtokitError
from protokit.findings import Finding, OutputFormat, render
from protokit.release import list_releases, load_release, releases_root
from protokit.templates import environment
from protokit.templates import render as render_template
from protokit.workspace import Workspace, open_workspace

TEMPLATE = "compat/test_compat_releases.py.j2"
RULE_STALE = "COMPAT_TESTS_STALE"


@dataclass(frozen=True)
class _Case:
    version: str  # Python literals, ready to place
    message: str


def render_compat_tests(ws: Workspace) -> str:
    """The test module's text for the releases frozen in ``ws``."""
    target = Path(ws.settings.compat_tests)
    cases: list[_Case] = []
    for version in list_releases(ws):
        release = load_release(ws, version)
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
    """Write the module if it changed; returns ``create``, ``update`` or ``identical``."""
    text = render_compat_tests(ws)
    path = ws.path(ws.settings.compat_tests)
    if _on_disk(ws) == text.encode("utf-8"):
        return "identical"
    status = "update" if path.exists() else "create"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise ProtokitError(f"cannot write: {exc.strerror}", path=ws.settings.compat_tests) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ProtokitError(
            f"cannot write: {exc.strerror}; the file was left as it was",
            path=ws.settings.compat_tests,
        ) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return status


def _on_disk(ws: Workspace) -> bytes | None:
    """The module's current bytes; None when absent. A folder in its place is an error."""
    try:
        return ws.path(ws.settings.compat_tests).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ProtokitError(f"cannot read: {exc.strerror}", path=ws.settings.compat_tests) from exc


def check_compat_tests(ws: Workspace) -> list[Finding]:
    """A finding when the committed module differs from what the releases render."""
    path = ws.path(ws.settings.compat_tests)
    if not list_releases(ws) and not path.exists():
        return []
    text = render_compat_tests(ws)
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
        self.compat = Compat(build_image(self.ws))
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
