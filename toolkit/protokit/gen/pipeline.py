"""``protokit gen``: stubs, typed stubs and servicer skeletons from compiled descriptors.

``run_gen`` reads as its stages, in order; only the last touches disk:

1. load   — the module's descriptors (compiled by protoc or buf, or a descriptor set file), with
            ``python_package_map`` applied;
2. model  — ``build_model``: names checked and mangled once;
3. render — protoc once per batch (``_pb2.py``, ``.pyi``, typed ``_pb2_grpc.pyi``), protokit's
            own ``_pb2_grpc.py`` template, package files, the stub distribution's
            ``pyproject.toml``, and skeletons for the repository's own services that have none;
4. verify — every Python output not yet parsed is parsed with ``ast``;
5. plan   — ``writer.plan_outputs`` against disk and the manifest;
6. write  — ``writer.apply``.

Nothing to do is proven as early as possible (``rerun``, on ``fingerprint``'s snapshot): when
no file the previous run read or wrote has changed, the run stops before stage 1 (no buf, no
protoc, and the stages, in ``stages``, are not even imported); when only comments of some
files changed, only their stubs are rendered again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from protokit.core.findings import Finding
from protokit.core.manifest import read_manifest
from protokit.core.workspace import Workspace
from protokit.core.writer import Action, Owner, Plan
from protokit.gen import fingerprint
from protokit.gen.options import MANIFEST_NAME, GenOptions, output_folder
from protokit.gen.rerun import Unchanged, remember, unchanged
from protokit.tools.buf import list_files, module_paths
from protokit.tools.toolchain import PROTOC, dist_version, runtime_problems

if TYPE_CHECKING:
    from protokit.core.descriptors import Image
    from protokit.gen.skeletons import Flavour

__all__ = ["MANIFEST_NAME", "GenResult", "describe", "run_gen"]


@dataclass(frozen=True)
class GenResult:
    plan: Plan
    generated: bool  # False when the stubs were up to date and nothing was rendered
    protoc_runs: int
    warnings: tuple[str, ...] = ()
    missing: tuple[Finding, ...] = ()
    applied: bool = False
    regenerated: tuple[str, ...] = ()  # the .proto files whose stubs were rendered again

    @property
    def stale(self) -> list[str]:
        """Generated files that differ from what the contracts give (for ``--check``)."""
        return [
            c.line()
            for c in self.plan.changes
            if c.owner is Owner.GENERATED and c.action is not Action.IDENTICAL
        ]


def run_gen(
    ws: Workspace,
    *,
    check: bool = False,
    dry_run: bool = False,
    force: bool = False,
    stubs_out: str | None = None,
    services_out: str | None = None,
    services: bool = True,
    image_path: Path | None = None,
    image: Image | None = None,  # already compiled (new-service plans gen before writing)
    on_event: Callable[[str, str], None] | None = None,
    flavours: Mapping[str, Flavour] | None = None,  # new-service's choice for its package
) -> GenResult:
    """Regenerate stubs and create missing skeletons; with ``check`` or ``dry_run``, only plan.

    ``force`` regenerates even when the inputs are unchanged, and re-creates skeleton files the
    user deleted (existing files are still never overwritten).
    """
    options = GenOptions(
        stubs=output_folder(ws, stubs_out or ws.settings.stubs_out, "stub folder"),
        services=output_folder(ws, services_out or ws.settings.services_out, "skeleton folder"),
        skeletons=services,
        force=force,
        writes=not check and not dry_run,
        flavours=flavours,
    )
    from_workspace = image is None and image_path is None
    changed: list[str] | None = None
    snapshot: fingerprint.Snapshot | None = None
    known_sources: fingerprint.Sources | None = None
    if from_workspace:
        snapshot = fingerprint.load_snapshot(ws, options.stubs)
        done = unchanged(ws, options, snapshot)
        if isinstance(done, Unchanged):
            return GenResult(done.plan, False, 0, done.warnings)
        if done is not None and snapshot is not None:  # only .proto files changed, if any
            known_sources = done
            changed = done.changed(snapshot.sources)
    # Something to do. A typed-stub worker and protoc (for the compile and for the modules)
    # start loading now, on the other core, and a full compile starts in a thread (buf and
    # protoc run in their own processes) while the stages are loaded here.
    from protokit.gen.typed_worker import TYPED_WORKERS

    protocs = 1 if changed or not from_workspace else 2
    with TYPED_WORKERS.ahead(), PROTOC.ahead(protocs), ThreadPoolExecutor(3) as pool:
        ahead = None
        if from_workspace and not changed:
            given = (snapshot.modules, known_sources) if snapshot and known_sources else None
            ahead = pool.submit(_compile_ahead, ws, options, given, pool)
        from protokit.gen import stages
        from protokit.gen.model_build import build_model
        from protokit.gen.render import stub_targets
        from protokit.gen.stubs import run_protoc_batches

        previous = read_manifest(ws.root, options.manifest)
        sources: fingerprint.Sources | None
        if ahead is not None:
            modules, sources, compiled = ahead.result()
            image, regenerate = stages.load(ws, None, compiled, None)
        else:
            modules = snapshot.modules if snapshot is not None else []
            sources = known_sources
            previous_key = snapshot.image_key if snapshot is not None else ""
            image, regenerate = stages.load(
                ws, image_path, image, changed, modules or None, previous_key
            )
        early = None
        if regenerate is None and (previous is None or options.force or bool(changed)):
            # Everything will most likely be rendered: protoc and mypy-protobuf start now, on
            # the other core, while the model and the digests are worked out here.
            early = pool.submit(run_protoc_batches, image, stub_targets(image))
        model = build_model(image)
        known = snapshot.digests if from_workspace and snapshot is not None else None
        rendered = stages.render(ws, image, model, options, previous, regenerate, known, early)
    stages.verify(rendered, model, options.stubs)
    plan = stages.plan(ws, rendered, options, previous)
    applied = stages.write(ws, plan, options, on_event) if options.writes else False
    if options.writes and sources is not None:
        remember(
            ws,
            options,
            plan,
            clean=not rendered.missing,
            gencode=rendered.gencode,
            warnings=rendered.warnings,
            digests=rendered.digests,
            sources=sources,
            modules=modules,
            image_key=image.key,
            kept={
                rel: snapshot.outputs[rel] for rel in rendered.unchanged if rel in snapshot.outputs
            }
            if snapshot is not None
            else None,
        )
    runtime = dist_version("protobuf")
    if rendered.gencode and runtime:
        rendered.warnings.extend(runtime_problems(rendered.gencode, runtime))
    return GenResult(
        plan=plan,
        generated=rendered.generated,
        protoc_runs=rendered.runs,
        warnings=tuple(rendered.warnings),
        missing=rendered.missing,
        applied=applied,
        regenerated=rendered.regenerated,
    )


def _compile_ahead(
    ws: Workspace,
    options: GenOptions,
    given: tuple[list[str], fingerprint.Sources] | None,
    pool: ThreadPoolExecutor,
) -> tuple[list[str], fingerprint.Sources, Image]:
    """buf's module folders, the stats of what the run reads, and the compiled image (from
    the cache, or compiled now); ``given``: the folders and stats the caller already has."""
    if given is not None:
        from protokit.tools.image import compile_image

        return (*given, compile_image(ws, given[0]))
    # buf lists the files while it lists the modules here; the compiler is imported only
    # once both run.
    listed = pool.submit(list_files, ws, imports=True)
    modules = module_paths(ws)
    sources = fingerprint.read_sources(ws, modules, options.facts())
    from protokit.tools.image import compile_image

    return modules, sources, compile_image(ws, modules, listed)


def describe(result: GenResult) -> dict[str, Any]:
    """A JSON-ready summary (for ``--format json``)."""
    return {
        "generated": result.generated,
        "protoc_runs": result.protoc_runs,
        "changes": [
            {"action": c.action.value, "path": c.path, "owner": c.owner.value}
            for c in result.plan.changes
        ],
        "stale": result.stale,
        "warnings": list(result.warnings),
    }
