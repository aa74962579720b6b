"""``buf lint`` and ``buf format`` as protokit checks that return findings."""

from __future__ import annotations

import re

from protokit.buf import parse_compile_errors, parse_json_findings, run_buf
from protokit.errors import ProtokitError
from protokit.findings import Finding
from protokit.workspace import Workspace

FORMAT_RULE = "FORMAT"
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def run_lint(ws: Workspace) -> list[Finding]:
    """``buf lint`` over the whole workspace; a module that does not compile raises."""
    result = run_buf(["lint", "--error-format", "json"], ws.root)
    if result.returncode == 0:
        return []
    findings = parse_json_findings(result.stdout, source="buf lint")
    if not findings:
        raise _build_failure(result.stderr)
    return findings


def run_format_check(ws: Workspace) -> list[Finding]:
    """One finding per file ``buf format`` would change, at the first line it would change."""
    result = run_buf(["format", "--diff", "--exit-code"], ws.root)
    if result.returncode == 0:
        return []
    findings = parse_format_diff(result.stdout.decode("utf-8", "replace"))
    if not findings:
        raise _build_failure(result.stderr)
    return findings


def write_format(ws: Workspace) -> list[str]:
    """Rewrite unformatted files in place; returns the paths that changed."""
    changed = [f.path for f in run_format_check(ws)]
    if changed:
        run_buf(["format", "--write"], ws.root)
    return changed


def parse_format_diff(diff: str) -> list[Finding]:
    findings: list[Finding] = []
    path: str | None = None
    line_no = 0
    reported: set[str] = set()
    for raw in diff.splitlines():
        if raw.startswith("+++ "):
            path = raw[4:].split("\t", 1)[0].strip()
            continue
        if raw.startswith("--- ") or raw.startswith("diff "):
            continue
        hunk = _HUNK.match(raw)
        if hunk:
            line_no = int(hunk.group(1))
            continue
        if path is None or path in reported:
            continue
        if raw.startswith(("-", "+")):
            reported.add(path)
            findings.append(
                Finding(
                    path=path,
                    line=line_no,
                    column=1,
                    rule=FORMAT_RULE,
                    message="file is not formatted as `buf format` writes it; "
                    "run `protokit fmt --write` to fix it",
                    source="buf format",
                )
            )
        elif raw.startswith(" "):
            line_no += 1
    return findings


def _build_failure(stderr: str) -> ProtokitError:
    located = parse_compile_errors(stderr)
    if located is not None:
        return located
    first = next((line for line in stderr.splitlines() if line.strip()), "buf reported a failure")
    return ProtokitError(first.removeprefix("Failure: "))
