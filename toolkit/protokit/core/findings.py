"""Findings: what a check reports, as data, and the three ways to print them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # listed in the report, never failing it


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place: ``path:line:col``, the rule that found it, and what to do."""

    path: str
    line: int
    column: int
    rule: str
    message: str
    source: str = "protokit"
    severity: Severity = Severity.ERROR
    end_line: int | None = None
    end_column: int | None = None
    also: tuple[str, ...] = ()  # further rules the same change violates, reported together

    def rules_label(self) -> str:
        return f"{self.rule} (also {', '.join(self.also)})" if self.also else self.rule

    def location(self) -> str:
        """``path:line:col``, or just the path (a file-level finding), or "" when the element has
        no place in the current tree (a deleted file)."""
        if self.line <= 0 or not self.path:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.rule, f.message))


def dedupe(findings: Iterable[Finding], *, only_source: str | None = None) -> list[Finding]:
    """One finding per place and rule, the first kept (several payloads or baselines often show
    the same break); with ``only_source``, findings from other sources pass through untouched."""
    seen: set[tuple[str, int, int, str]] = set()
    kept: list[Finding] = []
    for f in findings:
        if only_source is None or f.source == only_source:
            key = (f.path, f.line, f.column, f.rule)
            if key in seen:
                continue
            seen.add(key)
        kept.append(f)
    return kept


def _github_escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_escape_property(text: str) -> str:
    return _github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(findings: Sequence[Finding], fmt: OutputFormat) -> str:
    """Render findings for stdout; empty findings render as empty text (or ``[]`` in JSON)."""
    if fmt is OutputFormat.JSON:
        return json.dumps([asdict(f) for f in findings], indent=2, sort_keys=True) + "\n"
    if fmt is OutputFormat.SARIF:
        return json.dumps(sarif(findings), indent=2, sort_keys=True) + "\n"
    lines: list[str] = []
    for f in findings:
        if fmt is OutputFormat.GITHUB:
            props = [f"file={_github_escape_property(f.path)}"] if f.path else []
            if f.path and f.line > 0:
                props.append(f"line={f.line}")
                props.append(f"col={f.column}")
            if f.path and f.end_line:
                props.append(f"endLine={f.end_line}")
            if f.path and f.end_column:
                props.append(f"endColumn={f.end_column}")
            props.append(f"title={_github_escape_property(f.source + ' ' + f.rules_label())}")
            level = "notice" if f.severity is Severity.NOTE else f.severity.value
            lines.append(f"::{level} {','.join(props)}::{_github_escape_data(f.message)}")
        else:
            where = f.location()
            label = f.rules_label()
            lines.append(f"{where}: {label}: {f.message}" if where else f"{label}: {f.message}")
    return "".join(line + "\n" for line in lines)


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif(findings: Sequence[Finding]) -> dict[str, object]:
    """Findings as a SARIF 2.1.0 log (GitHub code scanning): one run, one result per finding."""
    rules = sorted({r for f in findings for r in (f.rule, *f.also)})
    results = []
    for f in findings:
        result: dict[str, object] = {
            "ruleId": f.rule,
            "level": f.severity.value,
            "message": {"text": f"{f.rules_label()}: {f.message}"},
        }
        if f.path:
            region = {"startLine": f.line, "startColumn": max(f.column, 1)} if f.line > 0 else {}
            location: dict[str, object] = {"artifactLocation": {"uri": f.path}}
            if region:
                location["region"] = region
            result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    driver = {"name": "protokit", "rules": [{"id": r} for r in rules]}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
