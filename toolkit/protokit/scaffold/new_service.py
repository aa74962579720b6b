"""``protokit new-service``: a lint-clean versioned proto package, then ``gen`` on it.

One pipeline, named stages; only the last touches disk:

1. answers — the service name, its RPCs and package, validated before anything else (a bad name
             is a usage error, exit 2), or re-read from the answers an earlier run recorded;
2. render  — the contract from ``new_service/service.proto.j2`` (a repository's ``templates/``
             overrides it) and the answers file;
3. verify  — a scratch copy of the module's ``.proto`` files plus the new contract: ``buf build``
             (it compiles with everything already there), then ``buf lint`` (the repository's
             own rules) and ``buf format`` on the new file; any rejection writes nothing;
4. plan    — ``writer.plan_outputs`` for the contract, the answers and any backups, plus
             ``run_gen`` planned on the scratch image (stubs, servicer skeleton, starter test):
             one combined plan; anything in the way is a conflict (exit 1);
5. write   — ``writer.apply``, once, unless ``--dry-run``.

The answers live beside the contract (``<module>/<package path>/.protokit-answers.json``):
they travel and are deleted with the package, buf reads only ``.proto`` files, and the user's
``pyproject.toml`` is never rewritten. ``protokit new-service billing`` with no RPC flags
re-runs them: identical output is reported ``identical`` (and gen runs as usual); after a
template change the contract differs and is a conflict, which ``--force`` replaces, keeping a
backup under ``.protokit/backups/<UTC time>/``. The answers and the contract model are
``protokit.scaffold.answers``; stages 2 and 3 are ``protokit.scaffold.stages``; this module
is the run (stages 4 and 5).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError, UsageError
from protokit.core.workspace import Workspace
from protokit.core.writer import (
    Action,
    Change,
    OutputFile,
    Owner,
    Plan,
    apply,
    clear_plan_leftovers,
    plan_outputs,
)
from protokit.gen.pipeline import GenResult, run_gen
from protokit.gen.skeletons import Flavour
from protokit.scaffold.answers import (
    Answers,
    RpcSpec,
    Scaffold,
    rpc_name_problem,
    validate,
)
from protokit.scaffold.locate import (
    ANSWERS_NAME,
    backup_root,
    join,
    resolve_answers,
    top_level_problem,
)
from protokit.scaffold.stages import (
    Draft,
    Repository,
    ScaffoldConflictError,
    Verified,
    render_contract,
    verify_contract,
)
from protokit.tools.buf import module_paths
from protokit.tools.image import build_image

__all__ = [
    "ANSWERS_NAME",
    "Answers",
    "NewServiceResult",
    "RpcSpec",
    "ScaffoldConflictError",
    "rpc_name_problem",
    "run_new_service",
]


@dataclass(frozen=True)
class NewServiceResult:
    scaffold: Scaffold
    plan: Plan  # the one plan: contract, answers, backups and everything gen writes
    shown: tuple[Change, ...]  # what is printed: the scaffold's files and every change
    notes: tuple[str, ...]
    gen: GenResult
    applied: bool
    service_folder: str
    servicer_path: str  # the servicer to implement (servicer_aio.py unless the flavour is sync)
    test_path: str


def _unrecorded_rpcs(image: Image, import_path: str, answers: Answers) -> list[str]:
    """RPCs the existing contract declares that the recorded answers do not list."""
    try:
        proto = image.file(import_path)
    except KeyError:
        return []
    recorded = {r.name.replace("_", "").lower() for r in answers.rpcs}
    return [
        method.name
        for service in proto.service
        for method in service.method
        if method.name.replace("_", "").lower() not in recorded
    ]


def _plan(
    ws: Workspace, repo: Repository, draft: Draft, verified: Verified, notes: list[str]
) -> tuple[Plan, GenResult]:
    """Stage 4: one plan: the contract, the answers, backups, and gen on the new module.

    The writer replaces files in the plan's order: backups first, then the contract and its
    answers, then gen's outputs. A run killed after the contract is a re-run of the same
    scaffold, which goes on (gen takes the skeletons it finds as it would create them); a
    service folder on disk without its contract is what new-service refuses to adopt."""
    own = sorted(draft.own.changes, key=lambda c: c.path)
    changes: list[Change] = []
    replaced = [c for c in own if c.action is Action.CONFLICT]
    if replaced:
        backups = backup_root(ws.root)
        own = [replace(c, action=Action.UPDATE) if c.action is Action.CONFLICT else c for c in own]
        saved = plan_outputs(
            ws.root,
            [OutputFile(f"{backups}/{c.path}", c.old or b"", Owner.USER) for c in replaced],
        )
        changes.extend(sorted(saved.changes, key=lambda c: c.path))
        notes.extend(
            f"replaced {c.path}; the previous file is in {backups}/{c.path}" for c in replaced
        )
    pkg = verified.pkg
    left = [rel for rel in sorted(pkg.paths()) if ws.path(rel).exists()]
    if left:
        notes.append(
            f"left as they are (yours; gen never overwrites them): {', '.join(left)}"
            + ("; gen lists any RPC they lack above" if verified.kept or replaced else "")
        )
    chosen = {draft.answers.package: draft.answers.flavour}
    gen_result = run_gen(ws, dry_run=True, image=verified.image, flavours=chosen)
    changes.extend(own)
    changes.extend(sorted(gen_result.plan.changes, key=lambda c: c.path))
    manifest = gen_result.plan.manifest
    skipped = [f"{repo.services_out}/{pkg.folder}/{name}" for name in draft.answers.flavour.skipped]
    if manifest is not None and skipped:  # later gen runs must not add the other flavour
        manifest = replace(manifest, created=tuple(sorted({*manifest.created, *skipped})))
    plan = Plan(
        ws.root,
        tuple(changes),
        gen_result.plan.manifest_path,
        manifest,
        gen_result.plan.manifest_changed or manifest != gen_result.plan.manifest,
    )
    planned = {c.path for c in plan.changes}
    absent = [r for r in sorted(pkg.paths()) if r not in planned and not ws.path(r).exists()]
    if absent:  # gen keeps a skeleton deleted after it created it; say so, never silently
        notes.append(
            f"gen did not create {', '.join(absent)} (removed after an earlier run created "
            "it); `protokit gen --force` creates missing skeletons again"
        )
    return plan, gen_result


def run_new_service(
    ws: Workspace,
    name: str,
    rpcs: Sequence[RpcSpec] = (),
    *,
    package: str | None = None,
    version: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    verbose: bool = False,
    ask: Callable[[], Sequence[RpcSpec]] | None = None,
    flavour: Flavour | None = None,
) -> NewServiceResult:
    """Scaffold service ``name`` and run gen on it; with ``dry_run``, only plan.

    Raises ``UsageError`` (exit 2) for bad names or flags, ``ScaffoldConflictError`` (exit 1)
    when files of the scaffold exist and differ (unless ``force``), ``ProtokitError`` when the
    rendered contract does not compile, lint or format clean. Nothing is written on any error.
    ``ask`` is called for the RPCs when none are given and none were recorded.
    """
    validate(name, rpcs, package, version)
    services_out = ws.settings.services_out.strip("/")
    repo = Repository(build_image(ws), tuple(module_paths(ws)), services_out)
    answers, notes = resolve_answers(
        ws, repo.image, repo.modules, name, rpcs, package, version, ask
    )
    if flavour is not None:
        answers = replace(answers, flavour=flavour)
    top_problem = top_level_problem(answers.package, repo.image, services_out)
    if top_problem:
        raise UsageError(top_problem)
    draft = render_contract(ws, repo, answers)
    if notes:  # re-running recorded answers: they must cover the contract they made
        missing = _unrecorded_rpcs(repo.image, draft.scaffold.import_path, answers)
        if missing:
            raise ProtokitError(
                f"the recorded answers do not list {', '.join(missing[:3])}, which "
                f"{draft.contract} declares (a truncated or hand-edited answers file?); pass the "
                "RPC flags to say what the service holds; nothing was changed",
                path=draft.answers_path,
            )
    verified = verify_contract(ws, repo, draft, force)
    plan, gen_result = _plan(ws, repo, draft, verified, notes)
    pkg = verified.pkg
    ours = {draft.contract, draft.answers_path, *pkg.paths()}
    stubs = join(ws.settings.stubs_out.strip("/"), answers.package.replace(".", "/")) + "/"
    shown = tuple(
        c
        for c in plan.changes
        if verbose or c.action is not Action.IDENTICAL or c.path in ours or c.path.startswith(stubs)
    )
    applied = False
    if not dry_run and not plan.up_to_date:  # stage 5: write, once
        apply(plan)
        applied = True
    elif not dry_run:
        clear_plan_leftovers(plan)
    servicer = "servicer.py" if answers.flavour is Flavour.SYNC else "servicer_aio.py"
    return NewServiceResult(
        scaffold=draft.scaffold,
        plan=plan,
        shown=shown,
        notes=tuple(notes),
        gen=gen_result,
        applied=applied,
        service_folder=f"{services_out}/{pkg.folder}",
        servicer_path=f"{services_out}/{pkg.folder}/{servicer}",
        test_path=next(p for p in pkg.paths() if p.startswith("tests/")),
    )
