"""What proves a ``gen`` run has nothing (or little) to do, and what a clean run records so the
next one can tell: the stat snapshot of ``fingerprint``, read before any compile and written
after the write stage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from protokit.core.workspace import Workspace
from protokit.core.writer import Action, Change, Owner, Plan
from protokit.gen import fingerprint
from protokit.gen.options import TESTS_FOLDER, GenOptions
from protokit.tools.toolchain import dist_version, runtime_problems

__all__ = ["Unchanged", "remember", "unchanged"]


@dataclass(frozen=True)
class Unchanged:
    """The previous run's result holds: every output identical, its warnings again."""

    plan: Plan
    warnings: tuple[str, ...]


def _watched(options: GenOptions, ws: Workspace) -> list[str]:
    folders = [ws.settings.templates]
    if options.skeletons:
        folders += [options.services, TESTS_FOLDER]
    return folders


def unchanged(
    ws: Workspace, options: GenOptions, snapshot: fingerprint.Snapshot | None
) -> Unchanged | fingerprint.Sources | None:
    """The previous run's result, when nothing it read or wrote has changed since (by stat).
    Else, when the previous outputs are intact and only ``.proto`` files have changed (not the
    configuration, the tools, the templates or the servicers), what the run reads now
    (``Sources``; buf's module folders are the previous run's, as its configuration is
    unchanged); else None."""
    if options.force or snapshot is None or not snapshot.outputs_intact(ws.root):
        return None
    sources = fingerprint.read_sources(ws, snapshot.modules, options.facts())
    if sources.facts != snapshot.sources.facts:
        return None
    # Before the .proto files: a changed template (or servicer) with them needs every output
    # rendered again, not just the changed files' stubs.
    if fingerprint.folder_stamp(ws, _watched(options, ws)) != snapshot.folders:
        return None
    if sources != snapshot.sources:
        return sources
    changes = tuple(
        Change(rel, Action.IDENTICAL, Owner.GENERATED)
        for rel in sorted(snapshot.outputs)
        if rel != options.manifest
    )
    warnings = list(snapshot.warnings)
    runtime = dist_version("protobuf")
    if snapshot.gencode and runtime:
        warnings.extend(runtime_problems(snapshot.gencode, runtime))
    return Unchanged(Plan(ws.root, changes, options.manifest), tuple(warnings))


def remember(
    ws: Workspace,
    options: GenOptions,
    plan: Plan,
    *,
    clean: bool,
    gencode: str,
    warnings: Sequence[str],
    digests: Mapping[str, str],
    sources: fingerprint.Sources,
    modules: list[str],
    image_key: str | None,
    kept: Mapping[str, list[int]] | None = None,
) -> None:
    """Record a write-mode run, so an unchanged re-run can stop before any work; a run that
    is not ``clean`` (servicers miss methods: findings are recomputed every run) forgets.
    ``image_key``: the cache key of the image the run generated from (a later run that finds
    only comments changed compiles just those files into that image, and no other).
    ``kept``: the stats of outputs this run proved intact by stat and did not touch."""
    if not clean or plan.manifest is None:
        fingerprint.forget_snapshot(ws, options.stubs)
        return
    kept = kept or {}
    paths = [rel for rel in [*plan.manifest.files, options.manifest] if rel not in kept]
    outputs = fingerprint.stat_outputs(ws.root, paths)
    if len(outputs) != len(paths):
        return
    outputs.update((rel, kept[rel]) for rel in plan.manifest.files if rel in kept)
    folders = fingerprint.folder_stamp(ws, _watched(options, ws))
    snapshot = fingerprint.Snapshot(
        sources, folders, modules, outputs, gencode, list(warnings), dict(digests), image_key or ""
    )
    fingerprint.save_snapshot(ws, options.stubs, snapshot)
