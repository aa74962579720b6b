"""``buf breaking`` against a baseline image, as findings that say how to fix each break."""

from __future__ import annotations

from dataclasses import replace

from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding
from protokit.core.workspace import Workspace
from protokit.evolution.baseline import Baseline
from protokit.tools.buf import parse_json_findings, run_buf

SOURCE = "buf breaking"

# What to do about the common FILE-category breaks; every other rule gets the general advice.
_FIXES = {
    "FIELD_NO_DELETE": "restore the field, or mark it `deprecated = true` and keep it",
    "FIELD_SAME_TYPE": "restore the old type, or add a new field with a new number",
    "FIELD_SAME_NAME": "restore the old name (renames break JSON and generated code)",
    "FIELD_SAME_JSON_NAME": "restore the old json_name",
    "FIELD_SAME_CARDINALITY": "restore the old label (optional/repeated)",
    "MESSAGE_NO_DELETE": "restore the message in this file (moving it to another file "
    "breaks generated imports)",
    "ENUM_VALUE_NO_DELETE": "restore the value, or deprecate it",
    "ENUM_VALUE_SAME_NAME": "restore the old name (it is the value's JSON form), or keep both "
    "names with `option allow_alias = true;`",
    "RPC_NO_DELETE": "restore the RPC, or mark it `option deprecated = true;` and keep it",
    "RPC_SAME_CLIENT_STREAMING": "restore the RPC's streaming kind, or add a new RPC",
    "RPC_SAME_SERVER_STREAMING": "restore the RPC's streaming kind, or add a new RPC",
}
_GENERAL = "if the break is intended, start a new major version with `protokit new-version`"


def run_breaking(ws: Workspace, baseline: Baseline) -> list[Finding]:
    """Run the real buf against the baseline image, with the workspace's buf.yaml rules."""
    result = run_buf(
        [
            "breaking",
            "--against",
            f"{baseline.image_path}#format=binpb",
            "--error-format",
            "json",
        ],
        ws.root,
    )
    if result.returncode == 0:
        return []
    findings = parse_json_findings(result.stdout, source=SOURCE)
    if not findings:
        first = next((ln for ln in result.stderr.splitlines() if ln.strip()), "no message")
        raise ProtokitError(f"`buf breaking` against {baseline.label} failed: {first}")
    return [with_fix(f, baseline.label) for f in findings]


def fix_for(rule: str) -> str:
    return _FIXES.get(rule, _GENERAL)


def with_fix(finding: Finding, label: str) -> Finding:
    message = finding.message.rstrip(".")
    return replace(finding, message=f"{message} (against {label}); {fix_for(finding.rule)}")
