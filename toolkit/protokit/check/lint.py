"""``buf lint`` and ``buf format`` as protokit checks that return findings."""

from __future__ import annotations

import re

from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding
from protokit.core.workspace import Workspace
from protokit.tools.buf import BufResult, run_buf
from protokit.tools.buf_output import parse_compile_errors, parse_json_findings

FORMAT_RULE = "FORMAT"
BINARY_RULE = "FORMAT_BINARY"
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


LINT_ARGS = ("lint", "--error-format", "json")
FORMAT_CHECK_ARGS = ("format", "--diff", "--exit-code")


def run_lint(ws: Workspace) -> list[Finding]:
    """``buf lint`` over the whole workspace; a module that does not compile raises."""
    return lint_findings(run_buf(LINT_ARGS, ws.root))


def lint_findings(result: BufResult) -> list[Finding]:
    """The findings of a ``buf lint`` run with ``LINT_ARGS``."""
    if result.returncode == 0:
        return []
    findings = parse_json_findings(result.stdout, source="buf lint")
    if not findings:
        raise _build_failure(result.stderr)
    return findings


def run_format_check(ws: Workspace) -> list[Finding]:
    """One finding per file ``buf format`` would change, at the first line it would change."""
    return format_findings(ws, run_buf(FORMAT_CHECK_ARGS, ws.root))


def format_findings(ws: Workspace, result: BufResult) -> list[Finding]:
    """The findings of a ``buf format`` run with ``FORMAT_CHECK_ARGS`` in ``ws``."""
    if result.returncode == 0:
        return []
    diff = result.stdout.decode("utf-8", "replace")
    findings = parse_format_diff(diff)
    if _BINARY_DIFF.search(diff):
        # buf diffs temp copies of a file holding binary data, so the diff names no path.
        findings.extend(_binary_files(ws))
    if not findings:
        raise _build_failure(result.stderr)
    return findings


_BINARY_DIFF = re.compile(r"^Binary files .* differ$", re.M)


def _binary_files(ws: Workspace) -> list[Finding]:
    """One finding per module ``.proto`` file holding NUL bytes (text never has them)."""
    listing = run_buf(["ls-files"], ws.root).stdout.decode("utf-8", "replace")
    findings: list[Finding] = []
    for rel in listing.splitlines():
        rel = rel.strip()
        try:
            data = ws.path(rel).read_bytes() if rel else b""
        except OSError:
            continue
        if b"\0" in data:
            findings.append(
                Finding(
                    path=rel,
                    line=1,
                    column=1,
                    rule=BINARY_RULE,
                    message="file holds binary data (NUL bytes), not Protobuf source; "
                    "restore it from version control",
                    source="buf format",
                )
            )
    return findings


def write_format(ws: Workspace) -> list[str]:
    """Rewrite unformatted files in place; returns the paths that changed."""
    findings = run_format_check(ws)
    for finding in findings:
        if finding.rule == BINARY_RULE:
            raise ProtokitError(
                "holds binary data (NUL bytes); not rewriting it, and nothing was formatted",
                path=finding.path,
            )
    changed = [f.path for f in findings]
    if changed:
        # Imported here: `check` starts buf format and buf lint before loading the compiler
        # and the writer, which only fixing needs.
        from protokit.core.writer import OutputFile, apply, plan_outputs
        from protokit.tools.image import build_image

        # buf format also rewrites a file it cannot compile (re-nesting everything after a
        # stray brace); refuse, so a broken file keeps the user's own layout.
        try:
            build_image(ws)
        except ProtokitError as exc:
            raise ProtokitError(
                f"{exc.message}; fix this first, nothing was formatted",
                path=exc.path,
                line=exc.line,
                column=exc.column,
            ) from exc
        # Each file is formatted to memory and written through the writer (atomically, never
        # through a symbolic link, never outside the workspace), not by `buf format --write`.
        outputs = [OutputFile(path, run_buf(["format", path], ws.root).stdout) for path in changed]
        plan = plan_outputs(ws.root, outputs)
        if not plan.up_to_date:
            apply(plan)
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
