"""The stages of ``protokit gen`` after the no-op shortcut (see ``pipeline``): load, render,
verify, plan, write. Loaded only when a run has something to do, so a run that stops at the
stat snapshot never imports the compiler, the templates or the generators."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from protokit.core.atomic import remove_leftovers
from protokit.core.descriptors import Image, file_digests, load_image_file
from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding
from protokit.core.manifest import Manifest
from protokit.core.workspace import Workspace
from protokit.core.writer import OutputFile, Owner, Plan, apply, plan_outputs
from protokit.gen import fingerprint
from protokit.gen.model import Model, ProtoFile
from protokit.gen.options import TESTS_FOLDER, GenOptions
from protokit.gen.package_map import map_file, map_image
from protokit.gen.render import (
    STUB_TEMPLATES,
    intact_outputs,
    render_stubs,
    stub_environment,
    template_source,
)
from protokit.gen.servicers import missing_methods, skeleton_files
from protokit.gen.skeletons import own_rule, service_packages, several_orgs_note
from protokit.gen.stubs import ProtocOutput
from protokit.tools.image import compile_image, rebuild_image
from protokit.tools.toolchain import dist_version

__all__ = ["Rendered", "load", "plan", "render", "verify", "write"]


@dataclass
class Rendered:
    outputs: list[OutputFile]
    gencode: str
    runs: int
    generated: bool
    inputs: str  # the manifest's input fingerprint
    parsed: set[str] = field(default_factory=set)  # outputs already parsed
    warnings: list[str] = field(default_factory=list)
    missing: tuple[Finding, ...] = ()
    regenerated: tuple[str, ...] = ()  # the .proto files whose stubs were rendered
    unchanged: dict[str, str] = field(default_factory=dict)  # kept as on disk: path → digest
    digests: dict[str, str] = field(default_factory=dict)  # the image's file_digests


# --- stage 1: load ---------------------------------------------------------------------------


def load(
    ws: Workspace,
    image_path: Path | None,
    image: Image | None,
    changed: list[str] | None,
    modules: Sequence[str] | None = None,
    previous_key: str = "",
) -> tuple[Image, frozenset[str] | None]:
    """The descriptors to generate from, and (when only some ``.proto`` files' contents
    changed, and only in comments, so no other file's outputs can differ) the import paths
    whose stubs must be rendered again; None: all of them. ``previous_key``: the cache key of
    the image the outputs on disk were generated from, which a comment-only change is
    compiled into."""
    regenerate: frozenset[str] | None = None
    if image is None and image_path is not None:
        image = load_image_file(image_path)
        if not image.targets:
            raise ProtokitError(
                "the image holds no .proto files; nothing to generate (and the generated "
                "stubs were left as they are)",
                path=str(image_path),
            )
    elif image is None:
        rebuilt = rebuild_image(ws, changed, previous_key, modules) if changed else None
        if rebuilt is not None:
            image, names = rebuilt
            regenerate = frozenset(map_file(n, ws.settings.python_package_map) for n in names)
        else:
            image = compile_image(ws, modules)
    return map_image(image, ws.settings.python_package_map), regenerate


# --- stage 3: render -------------------------------------------------------------------------


def render(
    ws: Workspace,
    image: Image,
    model: Model,
    options: GenOptions,
    previous: Manifest | None,
    regenerate: frozenset[str] | None = None,
    known: Mapping[str, str] | None = None,
    early: Future[ProtocOutput] | None = None,
) -> Rendered:
    """``known``: file digests of the previous run, for a run that compiled only
    ``regenerate`` again (every other file's descriptor is the previous run's). ``early``:
    the batches of every file, already running (used if everything is rendered)."""
    env = stub_environment(ws)
    # Skeletons first: they need only the model, so they render (and ruff formats them) while
    # the stub batches started ``early`` still run in their own processes.
    skeletons, missing, note = _skeletons(ws, model, env, options, previous)
    templates = {name: template_source(env, name) for name in STUB_TEMPLATES}
    facts = {"stubs_out": options.stubs, "distribution": ws.settings.stubs_distribution}
    if regenerate is not None and known is not None:
        known = {name: digest for name, digest in known.items() if name not in regenerate}
    digests = file_digests(image, known if regenerate is not None else None)
    inputs = fingerprint.inputs_digest(image, digests, templates, facts)
    intact = None
    if not options.force and previous is not None and previous.inputs == inputs:
        intact = intact_outputs(ws, previous)
    if intact is not None and previous is not None:
        rendered = Rendered(intact, previous.notes.get("gencode", ""), 0, False, inputs)
        rendered.parsed.update(item.path for item in intact)  # parsed when they were written
    elif (
        partial := _render_some(ws, image, model, env, options, previous, regenerate)
    ) is not None:
        partial.inputs = inputs
        rendered = partial
    else:
        files, gencode, runs, parsed = render_stubs(
            ws, image, model, env, options.stubs, pending=early
        )
        rendered = Rendered(files, gencode, runs, True, inputs, set(parsed))
        rendered.regenerated = tuple(f.name for f in model.files)
    rendered.digests = digests
    if note:
        rendered.warnings.append(note)
    rendered.outputs.extend(skeletons)
    rendered.missing = missing
    return rendered


def _skeletons(
    ws: Workspace,
    model: Model,
    env: jinja2.Environment,
    options: GenOptions,
    previous: Manifest | None,
) -> tuple[list[OutputFile], tuple[Finding, ...], str | None]:
    """Skeleton files for the services the rule keeps, the RPCs their servicers lack, and the
    note to show when no rule could tell the repository's own services apart."""
    if not options.skeletons:
        return [], (), None
    rule = own_rule(model, org=ws.settings.org, implement=ws.settings.implement)
    packages = service_packages(
        model, options.services, options.flavours, keep=rule or (lambda _package: False)
    )
    note = several_orgs_note(model) if rule is None else None
    created = () if options.force or previous is None else previous.created
    adopt = tuple(options.flavours or ())  # the packages new-service scaffolds now
    files = skeleton_files(ws, env, packages, options.services, created, adopt)
    return files, tuple(missing_methods(ws.root, packages)), note


def _render_some(
    ws: Workspace,
    image: Image,
    model: Model,
    env: jinja2.Environment,
    options: GenOptions,
    previous: Manifest | None,
    regenerate: frozenset[str] | None,
) -> Rendered | None:
    """The stubs of ``regenerate`` rendered again, every other previous output kept as it is
    on disk (not read again: the stat snapshot proved the previous outputs intact before
    ``regenerate`` was worked out); None when there is no such previous run."""
    if regenerate is None or previous is None or options.force:
        return None
    # A comment-only change leaves a file's descriptor without comments as it was, and the
    # _pb2.py is made from exactly that: it is kept; the stubs holding comments are rendered.
    # The package files and pyproject.toml follow from the files' names and the gencode
    # version, which did not change either: kept too.
    files, gencode, runs, parsed = render_stubs(
        ws,
        image,
        model,
        env,
        options.stubs,
        only=regenerate,
        modules=False,
        gencode=previous.notes.get("gencode") or None,
        package_files=False,
    )
    redone = {f.path for f in files}
    for proto in model.files:
        if proto.name in regenerate:
            redone.add(f"{options.stubs}/{proto.module_path}.pyi")
            stem = proto.grpc_module_path
            redone.update(f"{options.stubs}/{stem}{suffix}" for suffix in (".py", ".pyi"))
    rendered = Rendered(files, gencode, runs, True, "", set(parsed))
    rendered.unchanged = {rel: d for rel, d in previous.files.items() if rel not in redone}
    rendered.regenerated = tuple(sorted(regenerate))
    return rendered


# --- stage 4: verify -------------------------------------------------------------------------


def verify(rendered: Rendered, model: Model, stubs_out: str) -> None:
    """Generated code is parsed before it is written: no output may be invalid Python."""
    by_module_path = {f"{stubs_out}/{f.module_path}": f for f in model.files}
    for item in rendered.outputs:
        if not item.path.endswith((".py", ".pyi")) or item.path in rendered.parsed:
            continue
        try:
            ast.parse(item.content, filename=item.path)
        except (SyntaxError, ValueError) as exc:
            if item.owner is Owner.USER:
                raise ProtokitError(
                    f"a skeleton template gave invalid Python: {exc}", path=item.path
                ) from exc
            rel = item.path.removeprefix(f"{stubs_out}/")
            stem = item.path.removesuffix(".pyi").removesuffix(".py").removesuffix("_grpc")
            proto: ProtoFile | None = by_module_path.get(stem)
            raise ProtokitError(
                f"the generated {rel} is not valid Python ({exc}); nothing was written",
                path=proto.disk_path if proto else rel,
                line=1,
            ) from exc


# --- stage 5: plan ---------------------------------------------------------------------------


def plan(ws: Workspace, rendered: Rendered, options: GenOptions, previous: Manifest | None) -> Plan:
    notes = {"gencode": rendered.gencode, "grpcio-tools": dist_version("grpcio-tools") or ""}
    plan = plan_outputs(
        ws.root,
        rendered.outputs,
        manifest_path=options.manifest,
        previous=previous,
        inputs=rendered.inputs,
        notes=notes,
        unchanged=rendered.unchanged,
    )
    rendered.warnings.extend(plan.kept)
    foreign = [c for c in plan.conflicts if c.owner is Owner.GENERATED]
    more = len(foreign) - 1
    if foreign:
        raise ProtokitError(
            "exists and was not written by a generator; refusing to overwrite it (move it, or "
            "generate into another folder with --out)"
            + (f" ({more} more such file{'s' if more > 1 else ''})" if more else ""),
            path=foreign[0].path,
        )
    return plan


# --- stage 6: write --------------------------------------------------------------------------


def write(
    ws: Workspace, plan: Plan, options: GenOptions, on_event: Callable[[str, str], None] | None
) -> bool:
    remove_leftovers(ws.root, [options.stubs, options.services, TESTS_FOLDER])
    if plan.up_to_date:
        return False
    apply(plan, on_event=on_event)
    return True
