"""``protokit check``: every pull-request check in one run and one verdict."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from protokit.check.lint import run_format_check, run_lint
from protokit.core.descriptors import Image
from protokit.core.findings import Finding
from protokit.core.workspace import Workspace


@dataclass(frozen=True)
class CheckOptions:
    """``against``: a release, image file or git ref (default: the latest frozen release);
    ``all_releases``: check fixtures against every frozen release, not only the latest."""

    against: str | None = None
    all_releases: bool = False


def _quiet(_: str) -> None:
    return None


GEN_STALE_RULE = "GEN_STALE"


def gen_staleness(ws: Workspace, image: Image | None = None) -> list[Finding]:
    """``gen --check`` as findings: generated files that differ from what the contracts give, and
    RPCs a servicer lacks. Only where the repository keeps ``protokit gen`` output (a manifest)."""
    from protokit.core.writer import Action, Owner
    from protokit.gen.pipeline import MANIFEST_NAME, run_gen

    if not (ws.root / ws.settings.stubs_out / MANIFEST_NAME).is_file():
        return []
    result = run_gen(ws, check=True, image=image)
    findings = [
        Finding(
            path=change.path,
            line=0,
            column=0,
            rule=GEN_STALE_RULE,
            message=f"generated file is stale (gen would {change.action.value} it); "
            "run `protokit gen` and commit the result",
            source="protokit gen",
        )
        for change in result.plan.changes
        if change.owner is Owner.GENERATED and change.action is not Action.IDENTICAL
    ]
    findings.extend(result.missing)
    return findings


def run_check(
    ws: Workspace,
    options: CheckOptions | None = None,
    log: Callable[[str], None] = _quiet,
) -> list[Finding]:
    from protokit.evolution.checks import run_evolution_checks
    from protokit.tools.image import build_image

    options = options or CheckOptions()

    def generated_and_evolution() -> list[Finding]:
        image = build_image(ws)  # once, for generation and every evolution check
        found = gen_staleness(ws, image)
        log("generated code checked (gen --check)")
        found.extend(run_evolution_checks(ws, options.against, options.all_releases, log, image))
        return found

    # buf format and buf lint run while the image is built and checked; findings keep this order.
    with ThreadPoolExecutor(3) as pool:
        formatted = pool.submit(run_format_check, ws)
        linted = pool.submit(run_lint, ws)
        rest = pool.submit(generated_and_evolution)
        findings = [*formatted.result(), *linted.result()]
        log("format and lint checked (buf format, buf lint)")
        return findings + rest.result()
