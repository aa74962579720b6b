"""Notes (accepted breaks, pending breaks, the next version) are listed but never fail a check."""

from __future__ import annotations

from protokit.core.findings import Finding, OutputFormat, Severity, render, sarif

NOTE = Finding("a.proto", 3, 1, "ACCEPTED_BREAK", "accepted break", severity=Severity.NOTE)


def test_a_note_is_a_github_notice() -> None:
    assert render([NOTE], OutputFormat.GITHUB).startswith("::notice file=a.proto,line=3")


def test_a_note_is_a_sarif_note() -> None:
    runs = sarif([NOTE])["runs"]
    assert isinstance(runs, list)
    assert runs[0]["results"][0]["level"] == "note"
