"""``protokit release VERSION`` in a git repository: freeze a clean tree, commit, tag.

A release is refused while the tree is not fit to freeze: uncommitted changes to the contracts
or buf's configuration, lint or format findings, or stale generated stubs. Then the release is
frozen (``compat/releases/VERSION``), the compatibility tests regenerated, both committed as
``release VERSION``, and that commit tagged ``vVERSION`` (``[tool.protokit] release_tag``) with an
annotated tag; ``protokit build`` on the tag gives VERSION. Outside a git repository the release
is frozen and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from protokit.check.lint import run_format_check, run_lint
from protokit.check.run import GEN_STALE_RULE, gen_staleness
from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding
from protokit.core.workspace import BUF_YAML, Workspace
from protokit.dist.version import release_tag
from protokit.evolution.changelog import CHANGELOG
from protokit.evolution.checks import run_release
from protokit.evolution.release import Version
from protokit.tools import git
from protokit.tools.buf import module_paths


@dataclass(frozen=True)
class ReleaseResult:
    folder: str  # the frozen release, relative to the workspace root
    compat_tests: str  # what happened to the compat test module (create, identical, update)
    tag: str | None  # None outside a git repository
    commit: str | None


def run_tagged_release(ws: Workspace, version: str) -> ReleaseResult:
    Version.parse(version)
    top = git.toplevel(ws.root)
    tag = release_tag(ws, version)
    if top is not None:
        if git.ref_commit(ws.root, f"refs/tags/{tag}") is not None:
            raise ProtokitError(f"git tag {tag} already exists; releases are frozen")
        _refuse_unclean(ws)
    frozen = run_release(ws, version)  # the release and its compat test module, or neither
    folder = frozen.folder.relative_to(ws.root).as_posix()
    action = frozen.compat_tests
    if top is None:
        return ReleaseResult(folder, action, None, None)
    git.commit_paths(ws.root, [folder, ws.settings.compat_tests, CHANGELOG], f"release {version}")
    git.create_tag(ws.root, tag, f"release {version}")
    return ReleaseResult(folder, action, tag, git.head(ws.root))


def _refuse_unclean(ws: Workspace) -> None:
    watched = [*module_paths(ws), BUF_YAML, "buf.lock"]
    dirty = git.dirty_paths(ws.root, [p for p in watched if (ws.root / p).exists()])
    if dirty:
        raise ProtokitError(
            f"uncommitted contract changes ({', '.join(dirty[:3])}"
            f"{', ...' if len(dirty) > 3 else ''}); commit them before releasing"
        )
    findings = [*run_format_check(ws), *run_lint(ws)]
    findings += [f for f in gen_staleness(ws) if f.rule == GEN_STALE_RULE]
    if findings:
        raise ProtokitError(
            f"the tree is not clean to release: {len(findings)} finding(s), the first "
            f"{_where(findings[0])}; run `protokit check` and fix them"
        )


def _where(finding: Finding) -> str:
    place = finding.path + (f":{finding.line}" if finding.line else "")
    return f"{place}: {finding.rule}: {finding.message}"
