"""``protokit check``: every pull-request check in one run and one verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protokit.findings import Finding
from protokit.lint import run_format_check, run_lint
from protokit.workspace import Workspace


@dataclass(frozen=True)
class CheckOptions:
    """``against``: a release, image file or git ref (default: the latest frozen release);
    ``all_releases``: check fixtures against every frozen release, not only the latest."""

    against: str | None = None
    all_releases: bool = False


def _quiet(_: str) -> None:
    return None


def run_check(
    ws: Workspace,
    options: CheckOptions | None = None,
    log: Callable[[str], None] = _quiet,
) -> list[Finding]:
    from protokit.evolution import run_evolution_checks

    options = options or CheckOptions()
    findings: list[Finding] = []
    findings.extend(run_format_check(ws))
    findings.extend(run_lint(ws))
    # ---- `gen --check` staleness goes here (added by the lead when the gen branch lands) ----
    findings.extend(run_evolution_checks(ws, options.against, options.all_releases, log))
    return findings
