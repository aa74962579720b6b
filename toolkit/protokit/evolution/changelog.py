"""``protokit diff`` output: the changelog as text, JSON, Markdown (a pull-request comment, and
the section ``release`` appends to CHANGELOG.md) or GitHub annotations."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding, OutputFormat, render
from protokit.core.writer import OutputFile, Owner, apply, plan_outputs
from protokit.evolution.apidiff import ApiDiff, Change, Kind

FORMATS = ("text", "json", "markdown", "github")


def render_diff(diff: ApiDiff, fmt: str) -> str:
    if fmt == "json":
        return render_json(diff)
    if fmt == "markdown":
        return render_markdown(diff)
    if fmt == "github":
        return render(as_findings(diff), OutputFormat.GITHUB)
    return render_text(diff)


def _where(c: Change) -> str:
    return f"{c.path}:{c.line}:{c.column}" if c.line else c.path


def _rules(c: Change) -> str:
    return f" [{', '.join(c.rules)}]" if c.kind is Kind.BREAKING else ""


def _verdict(diff: ApiDiff) -> str:
    if diff.latest_release is None:
        return f"implied bump: {diff.release_bump} (no release frozen yet)"
    if diff.next_version is None:
        return f"implied bump: none — nothing to release since {diff.latest_release}"
    return (
        f"implied bump: {diff.release_bump} — next version {diff.next_version} "
        f"(latest release {diff.latest_release})"
    )


def render_text(diff: ApiDiff) -> str:
    lines = [f"API changes against {diff.against} (breaking category {diff.category.value}):"]
    if not diff.changes:
        lines.append("  none")
    for c in diff.changes:
        lines.append(f"  {c.kind.value:<9} {c.action:<15} {c.detail}{_rules(c)}  ({_where(c)})")
        if c.fix:
            lines.append(f"            fix: {c.fix}")
    if diff.pending:
        lines.append(f"breaking changes already pending since release {diff.latest_release}:")
        lines += [f"  {c.detail}{_rules(c)}  ({_where(c)})" for c in diff.pending]
    lines.append(_verdict(diff))
    return "\n".join(lines) + "\n"


def render_json(diff: ApiDiff) -> str:
    data = {
        "against": diff.against,
        "breaking": diff.breaking,
        "bump": diff.bump,
        "category": diff.category.value,
        "latest_release": diff.latest_release,
        "next_version": diff.next_version,
        "release_bump": diff.release_bump,
        "changes": [asdict(c) for c in diff.changes],
        "pending": [asdict(c) for c in diff.pending],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


_HEADINGS = {
    Kind.BREAKING: "Breaking changes",
    Kind.ADDITIVE: "Additions and deprecations",
    Kind.COSMETIC: "Documentation",
}


def render_markdown(diff: ApiDiff, title: str | None = None) -> str:
    lines = [f"## {title or f'API changes against {diff.against}'}", ""]
    if not diff.changes:
        lines += ["No API changes.", ""]
    for kind, heading in _HEADINGS.items():
        chosen = [c for c in diff.changes if c.kind is kind]
        if not chosen:
            continue
        lines += [f"### {heading}", ""]
        for c in chosen:
            rules = f" ({', '.join(f'`{r}`' for r in c.rules)})" if c.kind is Kind.BREAKING else ""
            where = f" — `{_where(c)}`" if c.path else ""
            lines.append(f"- {_md(c.detail)}{rules}{where}")
            if c.fix:
                lines.append(f"  - fix: {_md(c.fix)}")
        lines.append("")
    if diff.pending:
        lines += [f"### Already pending since {diff.latest_release}", ""]
        lines += [f"- {_md(c.detail)}{_rules(c)}" for c in diff.pending]
        lines.append("")
    lines += [f"**{_verdict(diff)}**", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def as_findings(diff: ApiDiff) -> list[Finding]:
    """Breaking changes as findings (GitHub annotations), one per change."""
    return [
        Finding(
            path=c.path,
            line=c.line,
            column=c.column,
            rule=c.rule or "",
            message=f"{c.detail}" + (f"; fix: {c.fix}" if c.fix else ""),
            source="protokit diff",
            also=c.rules[1:],
        )
        for c in diff.changes
        if c.kind is Kind.BREAKING
    ]


CHANGELOG = "CHANGELOG.md"
_TITLE = "# Changelog\n"


def with_release(existing: str | None, version: str, diff: ApiDiff | None) -> str:
    """CHANGELOG.md with ``version``'s section added under the title, newest first; what the
    file held before is kept as it was."""
    if diff is None:
        section = f"## {version}\n\nFirst release.\n"
    else:
        section = render_markdown(diff, title=version).replace(f"**{_verdict(diff)}**\n", "")
        section = section.rstrip("\n") + "\n"
    text = _without_section(existing, version) if existing and existing.strip() else _TITLE
    if text.startswith("# "):
        title, _, rest = text.partition("\n")
        return f"{title}\n\n{section}\n{rest.lstrip(chr(10))}".rstrip("\n") + "\n"
    return f"{_TITLE}\n{section}\n{text}".rstrip("\n") + "\n"


def _without_section(text: str, version: str) -> str:
    """``text`` without a section for ``version`` (one a release run wrote before it was
    stopped short of freezing the version: the run that freezes it writes it again)."""
    lines = text.splitlines(keepends=True)
    header = f"## {version}"
    start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == header), None)
    if start is None:
        return text
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "".join(lines[:start] + lines[end:])


def write_changelog(root: Path, version: str, diff: ApiDiff | None) -> str:
    """Add the release's section to CHANGELOG.md through the writer; returns the action."""
    path = root / CHANGELOG
    try:
        existing = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtokitError(f"cannot read {CHANGELOG}: {exc}", path=CHANGELOG) from exc
    wanted = OutputFile.text(CHANGELOG, with_release(existing, version, diff), Owner.GENERATED)
    plan = plan_outputs(root, [wanted])
    apply(plan)
    return plan.changes[0].action.value
