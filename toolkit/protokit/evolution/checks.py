"""The schema-evolution part of ``protokit check``, and ``diff`` and ``release``: breaking changes,
fixture compatibility, and the version they imply."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from protokit.core.atomic import write_atomic
from protokit.core.descriptors import Image, changed_targets
from protokit.core.errors import ProtokitError, UsageError
from protokit.core.findings import Finding, Severity, dedupe
from protokit.core.paths import read_regular
from protokit.core.workspace import Workspace
from protokit.evolution.accepted import accept_changes, accepted_path, honour, load_accepted
from protokit.evolution.baseline import default_against, open_baseline
from protokit.evolution.breaking import SOURCE as BREAKING_SOURCE
from protokit.evolution.breaking import buf_breaking, with_fix
from protokit.evolution.compat import SOURCE as COMPAT_SOURCE
from protokit.evolution.compattests import check_compat_tests
from protokit.evolution.config import breaking_config
from protokit.evolution.release import ReleaseReader, latest_release, list_releases, load_release
from protokit.evolution.rules import Category
from protokit.evolution.unstable import drop_unstable, unstable_imports, unstable_paths
from protokit.tools.image import build_image

# What only some runs need is imported where they need it: `check` with no baseline and no
# release reads no fixtures, diffs no API and writes nothing.
if TYPE_CHECKING:
    from protokit.evolution.apidiff import ApiDiff, Change
    from protokit.evolution.compat import Compat
    from protokit.evolution.config import BreakingConfig
    from protokit.tools.buf import BufResult


def run_evolution_checks(
    ws: Workspace,
    against: str | None,
    all_releases: bool,
    log: Callable[[str], None],
    image: Image | None = None,
    breaking_ahead: Future[tuple[Path, BufResult] | None] | None = None,
) -> list[Finding]:
    """``buf breaking`` against the baseline, fixtures of the baseline and of the latest (or every)
    frozen release read by the current schema and back, and the generated tests' freshness.
    ``breaking_ahead``: ``buf breaking`` started by ``check`` against the image it expected."""
    image = image if image is not None else build_image(ws, protoc_ok=True)
    compats: list[Compat] = []

    def compat() -> Compat:  # built once, and only when there is something to check against
        from protokit.evolution.compat import Compat

        if not compats:
            compats.append(Compat(image))
        return compats[0]

    accepted = load_accepted(ws)
    releases = ReleaseReader(ws)  # each release read and verified once
    unstable = ws.settings.unstable_packages
    findings: list[Finding] = unstable_imports(image, unstable)
    images = [image]  # every image, for the files of unstable packages (deleted ones too)
    changes: list[Change] = []  # protokit's own reading of the breaks, to place accepted ones
    latest = latest_release(ws)
    versions = list_releases(ws) if all_releases else [v for v in [latest] if v]
    base = against if against is not None else default_against(ws)
    json_too = False  # whether JSON compatibility is promised: known with buf's configuration

    def releases_and_tests() -> list[Finding]:
        """Fixtures of the frozen releases, and the generated tests' freshness."""
        from protokit.evolution.compat import Snapshot

        found: list[Finding] = []
        for version in versions:
            release = releases.load(version)
            images.append(release.image)
            log(f"fixture compatibility with release {version}")
            changed = changed_targets(release.image, image)
            found.extend(compat().check(Snapshot.of_release(release, changed), json_too))
        log("compatibility tests up to date")
        found.extend(check_compat_tests(ws, releases))
        return found

    later: list[Finding] | Exception | None = None
    if base is None:  # and so no release either
        log("no baseline: no frozen release yet and no --against; breaking checks skipped")
    else:
        from protokit.evolution.apidiff import diff_images
        from protokit.evolution.compat import Snapshot

        # buf's breaking configuration (asked for only when there is something to check
        # against) comes while the baseline opens and buf breaking runs; when asking fails,
        # that error is the one raised, as when it was asked for first.
        asking = ThreadPoolExecutor(1)
        asked = asking.submit(breaking_config, ws)
        asking.shutdown(wait=False)
        try:
            with (
                open_baseline(ws, base, image, releases) as baseline,
                ThreadPoolExecutor(1) as pool,
            ):
                images.append(baseline.image)
                # buf breaking runs while the configuration comes and the fixtures are checked
                breaking = pool.submit(buf_breaking, ws, baseline, breaking_ahead)
                config = asked.result()
                json_too = config.category is not Category.WIRE
                log(f"breaking changes against {baseline.label} ({config.category.value} category)")
                compat_found: list[Finding] = []
                if baseline.release is None:
                    log(f"fixture compatibility with {baseline.label}")
                    # Only messages whose schema (or a schema they use) changed can read
                    # differently.
                    changed = changed_targets(baseline.image, image)
                    snapshot = Snapshot.of_image(baseline.label, baseline.image, changed)
                    compat_found = compat().check(snapshot, json_too)
                try:  # while buf breaking runs; an error is raised after buf's own, as before
                    later = releases_and_tests()
                except Exception as exc:
                    later = exc
                found = [with_fix(f, baseline.label, config.category) for f in breaking.result()]
                # A PR base (a git ref or an image): pending breaks and the next version are named.
                pr_base = latest is not None and baseline.release is None
                if found or accepted or pr_base:  # fixes for buf's findings, places of accepted
                    api = diff_images(
                        baseline.image, image, baseline.label, latest, config, unstable
                    )
                    found = _with_fixes(found, api)
                    changes.extend(api.changes)
                    if latest is not None and (accepted or pr_base):
                        since = _since_release(ws, image, api, latest, config, releases)
                        changes.extend(since.since_release or ())
                        if pr_base:
                            findings.extend(_pending_and_next(accept_changes(since, accepted)))
                findings.extend([*found, *compat_found])
        except Exception:
            failed = asked.exception()
            if failed is not None:
                raise failed from None
            raise
    later = releases_and_tests() if later is None else later
    if isinstance(later, Exception):
        raise later
    findings.extend(later)
    findings = drop_unstable(
        findings, unstable_paths(images, unstable), (BREAKING_SOURCE, COMPAT_SOURCE)
    )
    findings = honour(findings, changes, accepted, accepted_path(ws))
    return merge_findings(dedupe(findings, only_source=COMPAT_SOURCE))


PENDING_RULE = "BREAKING_PENDING"
NEXT_VERSION_RULE = "NEXT_VERSION"


def _since_release(
    ws: Workspace,
    image: Image,
    api: ApiDiff,
    latest: str,
    config: BreakingConfig,
    releases: ReleaseReader,
) -> ApiDiff:
    """``api`` (against the PR base) with the changes since the latest release beside it."""
    from protokit.evolution.apidiff import diff_images

    if api.against == f"release {latest}":
        return replace(api, since_release=api.changes)
    since = diff_images(
        releases.load(latest).image,
        image,
        f"release {latest}",
        latest,
        config,
        ws.settings.unstable_packages,
    )
    return replace(api, since_release=since.changes)


def _pending_and_next(api: ApiDiff) -> list[Finding]:
    """Notes: breaks already pending since the latest release that the PR base had (not
    introduced by this change), and the next version counted from the latest release."""
    notes = [
        Finding(
            path=c.path,
            line=c.line,
            column=c.column,
            rule=PENDING_RULE,
            message=f"already pending since release {api.latest_release}, not introduced "
            f"against {api.against}: {c.detail} [{', '.join(c.rules)}]",
            source="protokit diff",
            severity=Severity.NOTE,
        )
        for c in api.pending
        if c not in api.accepted
    ]
    if api.next_version is not None:
        accepted = sum(1 for c in api.since_release or () if c in api.accepted)
        why = f"; {accepted} accepted" if accepted else ""
        notes.append(
            Finding(
                path="",
                line=0,
                column=0,
                rule=NEXT_VERSION_RULE,
                message=f"next version {api.next_version} ({api.release_bump} since release "
                f"{api.latest_release}{why})",
                source="protokit diff",
                severity=Severity.NOTE,
            )
        )
    return notes


def merge_findings(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per change: buf's and the fixtures' findings at one place of a .proto file
    become one, the first buf rule first and the others listed with it."""
    merged: dict[tuple[str, int], Finding] = {}
    rest: list[Finding] = []
    evolution = (BREAKING_SOURCE, COMPAT_SOURCE)
    ordered = sorted(
        findings, key=lambda f: evolution.index(f.source) if f.source in evolution else 9
    )
    for f in ordered:
        if f.source not in evolution or not f.path.endswith(".proto") or f.line <= 0:
            rest.append(f)
            continue
        key = (f.path, f.line)
        first = merged.get(key)
        if first is None:
            merged[key] = f
        elif f.rule != first.rule and f.rule not in first.also:
            merged[key] = replace(first, also=(*first.also, f.rule, *f.also))
    return [*merged.values(), *rest]


def run_diff(ws: Workspace, against: str | None) -> ApiDiff:
    """The API changelog between ``against`` (default: the latest release) and the workspace;
    the next version is always counted from the latest release."""
    from protokit.evolution.apidiff import diff_images

    latest = latest_release(ws)
    base = against if against is not None else latest
    if base is None:
        raise ProtokitError(
            "no baseline: no release is frozen yet; pass --against a git ref, a tag or an image "
            "file, or freeze one with `protokit release 1.0.0`"
        )
    image = build_image(ws, protoc_ok=True)
    config = breaking_config(ws)
    with open_baseline(ws, base, image) as baseline:
        api = diff_images(
            baseline.image, image, baseline.label, latest, config, ws.settings.unstable_packages
        )
        if latest is None or (baseline.release is not None and baseline.release.version == latest):
            return accept_changes(api, load_accepted(ws))
    since = diff_images(
        load_release(ws, latest).image,
        image,
        f"release {latest}",
        latest,
        config,
        ws.settings.unstable_packages,
    )
    return accept_changes(replace(api, since_release=since.changes), load_accepted(ws))


def _with_fixes(findings: list[Finding], api: ApiDiff) -> list[Finding]:
    """Give buf's findings the fix protokit's diff worked out for the same rule and place (the
    exact ``reserved`` lines, in categories where reserving clears the rule)."""
    fixes: dict[tuple[str, int, str], str] = {}
    for change in api.changes:
        for rule in change.rules:
            if change.fix:
                fixes.setdefault((change.path, change.line, rule), change.fix)
    result: list[Finding] = []
    for f in findings:
        fix = fixes.get((f.path, f.line, f.rule))
        if fix and fix not in f.message:
            f = replace(f, message=f"{f.message}; {fix}")
        result.append(f)
    return result


def run_release(ws: Workspace, version: str) -> FrozenRelease:
    """Freeze ``version``, refusing a number smaller than what changed since the latest release
    implies (a breaking change needs a new major version), and regenerate the compat test
    module; when that fails, the new release is removed again."""
    from protokit.evolution.apidiff import diff_images
    from protokit.evolution.changelog import CHANGELOG, write_changelog
    from protokit.evolution.compattests import write_compat_tests
    from protokit.evolution.release import Version, check_new_release, freeze_release

    wanted = Version.parse(version)
    image = build_image(ws)
    latest = latest_release(ws)
    api: ApiDiff | None = None
    if latest is not None:
        config = breaking_config(ws)
        api = diff_images(
            load_release(ws, latest).image,
            image,
            f"release {latest}",
            latest,
            config,
            ws.settings.unstable_packages,
        )
        implied = Version.parse(latest).bump(api.bump)
        if wanted < implied and Version.parse(latest) < wanted and api.changes:
            first = api.changes[0]  # the most severe change: breaking ones sort first
            raise UsageError(
                f"release {version} is too small: the changes since {latest} are {api.bump} "
                f"({first.detail}); release {implied} or later (see `protokit diff`)"
            )
    before = {rel: _previous(ws, rel) for rel in (ws.settings.compat_tests, CHANGELOG)}
    # The changelog first and the freeze next: a run stopped between them leaves no frozen
    # release, and the next run writes the version's section again in its place. Once frozen,
    # only the compat test module (made from the frozen releases) is left to write.
    check_new_release(ws, version)  # refused before anything is written
    try:
        write_changelog(ws.root, version, api)
        folder = freeze_release(ws, version, image)
    except BaseException:
        _restore(ws, before)
        raise
    frozen = FrozenRelease(ws, folder, "", before)
    try:
        status = write_compat_tests(ws)
    except BaseException:
        frozen.undo()  # the release this run froze, and the files it changed: all or nothing
        raise
    return replace(frozen, compat_tests=status)


def _previous(ws: Workspace, rel: str) -> bytes | None:
    path = ws.path(rel)
    return read_regular(path, shown=rel) if path.exists() else None


@dataclass(frozen=True)
class FrozenRelease:
    ws: Workspace
    folder: Path
    compat_tests: str  # what happened to the compat test module: create, update, identical
    before: dict[str, bytes | None]  # the files a release rewrites besides its folder, as they were

    def undo(self) -> None:
        """Put the tree back as it was before the release was frozen."""
        shutil.rmtree(self.folder, ignore_errors=True)
        _restore(self.ws, self.before)


def _restore(ws: Workspace, before: dict[str, bytes | None]) -> None:
    """The files a release rewrites besides its folder, put back as ``before`` holds them."""
    for rel, data in before.items():
        path = ws.path(rel)
        if data is None:
            if path.is_file() and not path.is_symlink():
                path.unlink()
        elif not path.is_file() or path.read_bytes() != data:
            write_atomic(path, data, shown=rel)
