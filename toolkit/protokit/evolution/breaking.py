"""``buf breaking`` against a baseline image, as findings that say how to fix each break.

The fix comes from the rule's record (``evolution.rules``), in the repository's category."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding
from protokit.core.workspace import Workspace
from protokit.evolution.baseline import Baseline
from protokit.evolution.rules import GENERAL_FIX, Category, rule_by_id
from protokit.tools.buf import BufResult, breaking_args, run_buf
from protokit.tools.buf_output import parse_json_findings

SOURCE = "buf breaking"


def run_breaking(
    ws: Workspace, baseline: Baseline, category: Category | None = None
) -> list[Finding]:
    """Run the real buf against the baseline image, with the workspace's buf.yaml rules."""
    return [with_fix(f, baseline.label, category) for f in buf_breaking(ws, baseline)]


def buf_breaking(
    ws: Workspace,
    baseline: Baseline,
    ahead: Future[tuple[Path, BufResult] | None] | None = None,
) -> list[Finding]:
    """buf's own findings against the baseline, without fixes: ``check`` starts buf before it
    knows the repository's category, which the fixes depend on. ``ahead``: a run ``check``
    started against the image it expected; taken only when that is the baseline's image."""
    done = ahead.result() if ahead is not None else None
    if done is not None and done[0] == baseline.image_path:
        result = done[1]
    else:
        result = run_buf(breaking_args(baseline.image_path), ws.root)
    if result.returncode == 0:
        return []
    findings = parse_json_findings(result.stdout, source=SOURCE)
    if not findings:
        first = next((ln for ln in result.stderr.splitlines() if ln.strip()), "no message")
        raise ProtokitError(f"`buf breaking` against {baseline.label} failed: {first}")
    return findings


def fix_for(rule_id: str, category: Category | None = None) -> str:
    rule = rule_by_id(rule_id)
    return rule.fix_for(category) if rule is not None else GENERAL_FIX


def with_fix(finding: Finding, label: str, category: Category | None = None) -> Finding:
    message = finding.message.rstrip(".")
    fix = fix_for(finding.rule, category)
    return replace(finding, message=f"{message} (against {label}); {fix}")
