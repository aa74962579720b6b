"""``protokit check``: every pull-request check in one run and one verdict."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from protokit.check.lint import (
    FORMAT_CHECK_ARGS,
    LINT_ARGS,
    format_findings,
    lint_findings,
    run_format_check,
    run_lint,
)
from protokit.core.findings import Finding
from protokit.core.workspace import Workspace, open_workspace
from protokit.tools.buf import BufResult, StartedBuf, breaking_args, start_buf

if TYPE_CHECKING:  # protobuf loads while buf format and buf lint run
    from protokit.core.descriptors import Image


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


@dataclass(frozen=True)
class _Started:
    """buf format and buf lint, started for ``ws`` before the command line was parsed, and
    buf breaking against the image the baseline of ``against`` is expected to be."""

    ws: Workspace
    formatted: Future[list[Finding]]
    linted: Future[list[Finding]]
    against: str | None = None
    breaking: Future[tuple[Path, BufResult] | None] | None = None


_STARTED: list[_Started] = []  # at most one: the run the CLI is about to make


def start_format_and_lint(root: Path | None, against: str | None = None) -> None:
    """Start ``check``'s buf format and buf lint for the workspace at ``root`` (found as the
    command finds it) while the CLI and the other checks are still loading; the ``run_check``
    that follows for the same workspace takes their results (and errors) as its own. buf
    breaking starts too when the baseline of ``against`` (None: the latest release) is an image
    on disk; the check takes that run only if the baseline it opens is that image."""
    ws = open_workspace(root)
    # The runs start here, in this thread: a pool's thread would start its run only after the
    # Python work around it. buf lint, the longest, first (a missing buf: the command says so),
    # then buf format, then buf breaking when the baseline is an image on disk.
    lint = start_buf(LINT_ARGS, ws.root)
    try:
        form = start_buf(FORMAT_CHECK_ARGS, ws.root)
    except BaseException:
        lint.started.stop()
        raise
    breaking = _breaking_ahead(ws, against)
    pool = ThreadPoolExecutor(3)
    linted = pool.submit(lambda: lint_findings(lint.finish()))
    formatted = pool.submit(lambda: format_findings(ws, form.finish()))
    finished = pool.submit(_finish_breaking, breaking) if breaking is not None else None
    pool.shutdown(wait=False)  # the runs go on; the threads end with them
    _STARTED[:] = [_Started(ws, formatted, linted, against, finished)]


def _breaking_ahead(ws: Workspace, against: str | None) -> tuple[Path, StartedBuf] | None:
    """buf breaking started against the image file the baseline is expected to read: a frozen
    release's or an image file's (the rest, a wheel or a git ref, are prepared by the check
    itself). A guess, checked by the caller against the baseline it opens; never raises."""
    try:
        from protokit.evolution.release import (
            IMAGE_SUFFIXES,
            JSON_IMAGE_SUFFIX,
            latest_release,
            list_releases,
            release_image_path,
        )

        base = against if against is not None else latest_release(ws)
        path: Path | None = None
        if base is not None and base in list_releases(ws):
            path = release_image_path(ws, base)
        elif base is not None and base.endswith(IMAGE_SUFFIXES):
            # the candidates open_baseline tries, but regular files only: buf never reads a
            # FIFO or a device here, before the check has named it; and binary ones only (buf
            # breaking gets a JSON image converted, once the check has read it)
            if base.endswith(JSON_IMAGE_SUFFIX):
                return None
            path = next((p.resolve() for p in (Path(base), ws.root / base) if p.is_file()), None)
        return (path, start_buf(breaking_args(path), ws.root)) if path is not None else None
    except Exception:  # the check opens the baseline itself and says what is wrong
        return None


def _finish_breaking(started: tuple[Path, StartedBuf]) -> tuple[Path, BufResult] | None:
    path, buf = started
    try:
        return path, buf.finish()
    except Exception:  # the check runs buf breaking itself and says what is wrong
        return None


def forget_started() -> None:
    """Drop runs started early that no ``run_check`` took (the command ended before it)."""
    _STARTED.clear()


def _take_started(ws: Workspace) -> _Started | None:
    started = _STARTED.pop() if _STARTED else None
    return started if started is not None and started.ws == ws else None


def run_check(
    ws: Workspace,
    options: CheckOptions | None = None,
    log: Callable[[str], None] = _quiet,
) -> list[Finding]:
    options = options or CheckOptions()
    with ThreadPoolExecutor(5) as pool:
        # buf format and buf lint start first, while the rest of protokit is still loading
        # (started by the CLI before it parsed the command line, when it could tell)
        started = _take_started(ws)
        breaking = None
        if started is not None:
            formatted, linted = started.formatted, started.linted
            breaking = started.breaking if started.against == options.against else None
        else:
            formatted = pool.submit(run_format_check, ws)
            linted = pool.submit(run_lint, ws)
        return _run_rest(ws, options, log, pool, formatted, linted, breaking)


def _run_rest(
    ws: Workspace,
    options: CheckOptions,
    log: Callable[[str], None],
    pool: ThreadPoolExecutor,
    formatted: Future[list[Finding]],
    linted: Future[list[Finding]],
    breaking: Future[tuple[Path, BufResult] | None] | None = None,
) -> list[Finding]:
    from protokit.evolution.checks import run_evolution_checks
    from protokit.tools.image import build_image

    def generated(image: Future[Image]) -> list[Finding]:
        # Not handed the image: like `gen --check`, gen then stops early when nothing changed
        # since its last run, and otherwise finds the image this run built in the cache.
        image.result()
        found = gen_staleness(ws)
        log("generated code checked (gen --check)")
        return found

    def evolution(image: Future[Image]) -> list[Finding]:
        found = run_evolution_checks(
            ws, options.against, options.all_releases, log, image.result(), breaking
        )
        return found + conversation_staleness(ws, image.result())

    # Every check runs side by side, on one image built once; evolution starts `buf breaking`
    # (the longest buf run) as soon as the image is there, while gen --check runs beside it.
    # Results (and errors) are taken in this order, so findings keep it.
    image = pool.submit(build_image, ws, protoc_ok=True)
    evolved = pool.submit(evolution, image)
    gen_found = pool.submit(generated, image)
    findings = [*formatted.result(), *linted.result()]
    log("format and lint checked (buf format, buf lint)")
    return findings + gen_found.result() + evolved.result()


def conversation_staleness(ws: Workspace, image: Image | None = None) -> list[Finding]:
    """Conversations (the repository's and every release's) that no longer parse under the
    current schema, located at the file and at the RPC's line in the ``.proto``."""
    from protokit.conversations.repository import CONVERSATIONS_DIR, conversation_findings
    from protokit.evolution.release import list_releases, releases_root
    from protokit.tools.image import build_image

    frozen = [
        (v, (releases_root(ws) / v / CONVERSATIONS_DIR).relative_to(ws.root).as_posix())
        for v in list_releases(ws)
    ]
    found = image if image is not None else build_image(ws, protoc_ok=True)
    return conversation_findings(ws, found, frozen)
