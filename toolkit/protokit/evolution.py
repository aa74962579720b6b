"""The schema-evolution part of ``protokit check``: breaking changes and fixture compatibility."""

from __future__ import annotations

from collections.abc import Callable

from protokit.apidiff import ApiDiff, diff_images
from protokit.baseline import default_against, open_baseline
from protokit.breaking import run_breaking
from protokit.compat import SOURCE as COMPAT_SOURCE
from protokit.compat import Compat, Snapshot
from protokit.compattests import check_compat_tests
from protokit.descriptors import build_image
from protokit.errors import ProtokitError
from protokit.findings import Finding
from protokit.release import latest_release, list_releases, load_release
from protokit.workspace import Workspace


def run_evolution_checks(
    ws: Workspace, against: str | None, all_releases: bool, log: Callable[[str], None]
) -> list[Finding]:
    """``buf breaking`` against the baseline, fixtures of the baseline and of the latest (or every)
    frozen release read by the current schema and back, and the generated tests' freshness."""
    image = build_image(ws)
    compat = Compat(image)
    findings: list[Finding] = []
    base = against or default_against(ws)
    if base is None:
        log("no baseline: no frozen release yet and no --against; breaking checks skipped")
    else:
        with open_baseline(ws, base, image) as baseline:
            log(f"breaking changes against {baseline.label}")
            findings.extend(run_breaking(ws, baseline))
            if baseline.release is None:
                findings.extend(compat.check(Snapshot.of_image(baseline.label, baseline.image)))
    versions = list_releases(ws) if all_releases else [v for v in [latest_release(ws)] if v]
    for version in versions:
        log(f"fixture compatibility with release {version}")
        findings.extend(compat.check(Snapshot.of_release(load_release(ws, version))))
    findings.extend(check_compat_tests(ws))
    return _dedupe_compat(findings)


def _dedupe_compat(findings: list[Finding]) -> list[Finding]:
    """Several baselines often show the same fixture break; keep the first at each place."""
    seen: set[tuple[str, int, int, str]] = set()
    kept: list[Finding] = []
    for f in findings:
        if f.source == COMPAT_SOURCE:
            key = (f.path, f.line, f.column, f.rule)
            if key in seen:
                continue
            seen.add(key)
        kept.append(f)
    return kept


def run_diff(ws: Workspace, against: str | None) -> ApiDiff:
    """The API changelog between ``against`` (default: the latest release) and the workspace."""
    base = against or default_against(ws)
    if base is None:
        raise ProtokitError(
            "no baseline: no release is frozen yet; pass --against a git ref, a tag or an image "
            "file, or freeze one with `protokit release 1.0.0`"
        )
    image = build_image(ws)
    with open_baseline(ws, base, image) as baseline:
        return diff_images(baseline.image, image, baseline.label, latest_release(ws))
