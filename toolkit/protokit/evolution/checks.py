"""The schema-evolution part of ``protokit check``: breaking changes and fixture compatibility."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from protokit.core.errors import ProtokitError, UsageError
from protokit.core.findings import Finding
from protokit.core.workspace import Workspace
from protokit.evolution.apidiff import ApiDiff, diff_images
from protokit.evolution.baseline import default_against, open_baseline
from protokit.evolution.breaking import run_breaking
from protokit.evolution.compat import SOURCE as COMPAT_SOURCE
from protokit.evolution.compat import Compat, Snapshot
from protokit.evolution.compattests import check_compat_tests, write_compat_tests
from protokit.evolution.release import (
    Version,
    freeze_release,
    latest_release,
    list_releases,
    load_release,
)
from protokit.tools.image import build_image


def run_evolution_checks(
    ws: Workspace, against: str | None, all_releases: bool, log: Callable[[str], None]
) -> list[Finding]:
    """``buf breaking`` against the baseline, fixtures of the baseline and of the latest (or every)
    frozen release read by the current schema and back, and the generated tests' freshness."""
    image = build_image(ws)
    compats: list[Compat] = []

    def compat() -> Compat:  # built once, and only when there is something to check against
        if not compats:
            compats.append(Compat(image))
        return compats[0]

    findings: list[Finding] = []
    base = against if against is not None else default_against(ws)
    if base is None:
        log("no baseline: no frozen release yet and no --against; breaking checks skipped")
    else:
        with open_baseline(ws, base, image) as baseline:
            log(f"breaking changes against {baseline.label}")
            api = diff_images(baseline.image, image, baseline.label, None)
            findings.extend(_with_reserved(run_breaking(ws, baseline), api))
            if baseline.release is None:
                findings.extend(compat().check(Snapshot.of_image(baseline.label, baseline.image)))
    versions = list_releases(ws) if all_releases else [v for v in [latest_release(ws)] if v]
    for version in versions:
        snapshot = Snapshot.of_release(load_release(ws, version))
        log(f"fixture compatibility with release {version}")
        findings.extend(compat().check(snapshot))
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
    base = against if against is not None else default_against(ws)
    if base is None:
        raise ProtokitError(
            "no baseline: no release is frozen yet; pass --against a git ref, a tag or an image "
            "file, or freeze one with `protokit release 1.0.0`"
        )
    image = build_image(ws)
    with open_baseline(ws, base, image) as baseline:
        return diff_images(baseline.image, image, baseline.label, latest_release(ws))


def _with_reserved(findings: list[Finding], api: ApiDiff) -> list[Finding]:
    """Give buf's deletion findings the exact ``reserved`` lines protokit's diff worked out."""
    fixes: dict[tuple[str, int, str], list[tuple[str, str]]] = {}
    for change in api.changes:
        if change.fix and change.rule:
            short = change.name.rsplit(".", 1)[-1]
            fixes.setdefault((change.path, change.line, change.rule), []).append(
                (short, change.fix)
            )
    result: list[Finding] = []
    for f in findings:
        candidates = fixes.get((f.path, f.line, f.rule), [])
        named = [fix for short, fix in candidates if f'"{short}"' in f.message]
        chosen = named[:1] or (candidates[:1] and [candidates[0][1]])
        if chosen:
            f = replace(f, message=f"{f.message}; to delete it for good, {chosen[0]}")
        result.append(f)
    return result


def run_release(ws: Workspace, version: str) -> FrozenRelease:
    """Freeze ``version``, refusing a number smaller than what changed since the latest release
    implies (a breaking change needs a new major version), and regenerate the compat test
    module; when that fails, the new release is removed again."""
    wanted = Version.parse(version)
    image = build_image(ws)
    latest = latest_release(ws)
    if latest is not None:
        api = diff_images(load_release(ws, latest).image, image, f"release {latest}", latest)
        implied = Version.parse(latest).bump(api.bump)
        if wanted < implied and Version.parse(latest) < wanted and api.changes:
            first = api.changes[0]  # the most severe change: breaking ones sort first
            raise UsageError(
                f"release {version} is too small: the changes since {latest} are {api.bump} "
                f"({first.detail}); release {implied} or later (see `protokit diff`)"
            )
    folder = freeze_release(ws, version, image)
    try:
        status = write_compat_tests(ws)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # the release this run froze: all or nothing
        raise
    return FrozenRelease(folder, status)


@dataclass(frozen=True)
class FrozenRelease:
    folder: Path
    compat_tests: str  # what happened to the compat test module: create, update, identical
