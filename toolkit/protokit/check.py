"""``protokit check``: every pull-request check in one run and one verdict."""

from __future__ import annotations

from protokit.findings import Finding
from protokit.lint import run_format_check, run_lint
from protokit.workspace import Workspace


def run_check(ws: Workspace) -> list[Finding]:
    findings: list[Finding] = []
    findings.extend(run_format_check(ws))
    findings.extend(run_lint(ws))
    return findings
