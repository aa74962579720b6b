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
``protokit.scaffold.answers``; this module is the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError, UsageError
from protokit.core.templates import environment
from protokit.core.templates import render as render_template
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
from protokit.gen.model_build import build_model
from protokit.gen.pipeline import GenResult, run_gen
from protokit.gen.skeletons import Flavour, ServicePackage, service_packages
from protokit.scaffold.answers import (
    Answers,
    RpcSpec,
    Scaffold,
    build_scaffold,
    rpc_name_problem,
    validate,
)
from protokit.scaffold.locate import (
    ANSWERS_NAME,
    BACKUPS,
    answers_path,
    backup_root,
    existing_service_files,
    in_the_way,
    join,
    module_dir,
    resolve_answers,
    top_level_problem,
)
from protokit.scaffold.scratch import scratch_workspace
from protokit.tools.buf import module_paths, parse_json_findings, run_buf
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

TEMPLATE = "new_service/service.proto.j2"


def _lint_and_format(scratch: Workspace, contract: str, text: str) -> None:
    """The rendered contract passes the repository's ``buf lint`` and is ``buf format``-clean."""
    findings = parse_json_findings(
        run_buf(["lint", "--error-format", "json", "--path", contract], scratch.root).stdout,
        source="buf lint",
    )
    if findings:
        first = findings[0]
        raise ProtokitError(
            f"the rendered contract fails buf lint ({first.rule}: {first.message}); fix the "
            f"template {TEMPLATE}; nothing was written",
            path=contract,
            line=first.line or None,
        )
    formatted = run_buf(["format", contract], scratch.root).stdout.decode("utf-8", "replace")
    if formatted != text:
        ours, theirs = text.splitlines(), formatted.splitlines()
        line = next(
            (i + 1 for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
            min(len(ours), len(theirs)) + 1,
        )
        raise ProtokitError(
            f"the rendered contract is not formatted as `buf format` writes it; fix the "
            f"template {TEMPLATE}; nothing was written",
            path=contract,
            line=line,
        )


# --- the run ----------------------------------------------------------------------------------


class ScaffoldConflictError(ProtokitError):
    """Files of the scaffold exist already; ``lines`` is the plan as it stands."""

    def __init__(self, message: str, lines: Sequence[str]) -> None:
        super().__init__(message, lines=tuple(lines))


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


@dataclass(frozen=True)
class _Repository:
    """What the stages read from the workspace before anything changes."""

    image: Image
    modules: tuple[str, ...]
    services_out: str


@dataclass(frozen=True)
class _Draft:
    """Stage 2's output: the rendered contract and answers, planned against disk."""

    answers: Answers
    scaffold: Scaffold
    contract: str  # path of the contract, relative to the workspace root
    answers_path: str
    text: str
    own: Plan  # the contract and the answers file
    conflicts: tuple[tuple[str, str], ...]  # (path, why) known before compiling

    @property
    def contract_is_new(self) -> bool:
        return next(c for c in self.own.changes if c.path == self.contract).action is Action.CREATE


@dataclass(frozen=True)
class _Verified:
    """Stage 3's output: the image with the contract in it, and the package gen will add."""

    image: Image
    pkg: ServicePackage
    kept: tuple[str, ...]  # skeleton files on disk that no contract owned


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


def _conflict_line(path: str, reason: str) -> str:
    return f"{Action.CONFLICT.value:<9} {path}  ({reason})"


def _render(ws: Workspace, repo: _Repository, answers: Answers) -> _Draft:
    """Stage 2: the contract from its template and the answers file, planned against disk."""
    scaffold = build_scaffold(answers)
    module = module_dir(repo.modules, repo.image, answers.package)
    contract = join(module, scaffold.import_path)
    answers_rel = answers_path(module, answers.package)
    text = render_template(environment(ws.path(ws.settings.templates)), TEMPLATE, scaffold=scaffold)
    for rel in (contract, answers_rel):
        blocker = in_the_way(ws.root, rel)
        if blocker:
            raise ProtokitError(f"a file is in the way of {rel}; nothing was changed", path=blocker)
    own = plan_outputs(
        ws.root,
        [
            OutputFile.text(contract, text, Owner.USER),
            OutputFile(answers_rel, answers.dumps(), Owner.USER),
        ],
    )
    conflicts = [
        (
            change.path,
            "exists and differs from what new-service renders"
            if change.path == contract
            else "records other answers",
        )
        for change in own.conflicts
    ]
    draft = _Draft(answers, scaffold, contract, answers_rel, text, own, ())
    others = sorted(
        repo.image.disk_paths.get(f.name, f.name)
        for f in repo.image.target_files()
        if f.package == answers.package and f.name != scaffold.import_path
    )
    if others and draft.contract_is_new:  # a re-run keeps the files the user added to its package
        conflicts.append((others[0], f"already declares package {answers.package}"))
    return replace(draft, conflicts=tuple(conflicts))


def _verify(ws: Workspace, repo: _Repository, draft: _Draft, force: bool) -> _Verified:
    """Stage 3: the module compiles with the contract (in a scratch copy), gen's folders for
    the other packages stay put, nothing is in the way, and the contract lints and formats."""
    with scratch_workspace(ws, repo.modules, prefix="protokit-new-service-") as scratch:
        target = scratch.path(draft.contract)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(draft.text, encoding="utf-8")
        try:
            new_image = build_image(scratch)
        except ProtokitError as exc:
            raise ProtokitError(
                f"with the new contract the module does not compile: {exc.message}; "
                "nothing was written",
                path=exc.path,
                line=exc.line,
                column=exc.column,
            ) from exc
        package = draft.answers.package
        chosen = {package: draft.answers.flavour}
        before = {
            p.package: p.folder
            for p in service_packages(build_model(repo.image), repo.services_out)
        }
        after = {
            p.package: p
            for p in service_packages(build_model(new_image), repo.services_out, chosen)
        }
        pkg = after[package]
        for other, folder in sorted(before.items()):
            if other in after and after[other].folder != folder:
                raise ProtokitError(
                    f"adding {package} would move the servicer folder of {other} from "
                    f"{repo.services_out}/{folder} to {repo.services_out}/{after[other].folder} "
                    "(gen names folders in package order); choose another name or version; "
                    "nothing was changed"
                )
        kept = existing_service_files(ws, pkg, repo.services_out) if draft.contract_is_new else []
        conflicts = [
            *draft.conflicts,
            *((rel, "exists, but no contract does; new-service does not adopt it") for rel in kept),
        ]
        conflicts.sort(key=lambda item: (item[0] != draft.contract, item[0]))
        if conflicts and not force:
            lines = [_conflict_line(path, why) for path, why in conflicts]
            lines += [c.line() for c in draft.own.changes if c.path not in dict(conflicts)]
            path, why = conflicts[0]
            raise ScaffoldConflictError(
                f"{path}: {why}; nothing was changed ({len(conflicts)} conflict(s); --force "
                "replaces the contract and answers, keeping a backup under "
                f"{BACKUPS}/, and never touches files under {repo.services_out}/ or tests/)",
                sorted(lines, key=lambda line: line.split(None, 1)[1]),
            )
        _lint_and_format(scratch, draft.contract, draft.text)
    return _Verified(new_image, pkg, tuple(kept))


def _plan(
    ws: Workspace, repo: _Repository, draft: _Draft, verified: _Verified, notes: list[str]
) -> tuple[Plan, GenResult]:
    """Stage 4: one plan: the contract, the answers, backups, and gen on the new module."""
    changes = list(draft.own.changes)
    replaced = [c for c in draft.own.changes if c.action is Action.CONFLICT]
    if replaced:
        backups = backup_root(ws.root)
        changes = [
            replace(c, action=Action.UPDATE) if c.action is Action.CONFLICT else c for c in changes
        ]
        saved = plan_outputs(
            ws.root,
            [OutputFile(f"{backups}/{c.path}", c.old or b"", Owner.USER) for c in replaced],
        )
        changes.extend(saved.changes)
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
    changes.extend(gen_result.plan.changes)
    changes.sort(key=lambda c: c.path)
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
    repo = _Repository(build_image(ws), tuple(module_paths(ws)), services_out)
    answers, notes = resolve_answers(
        ws, repo.image, repo.modules, name, rpcs, package, version, ask
    )
    if flavour is not None:
        answers = replace(answers, flavour=flavour)
    top_problem = top_level_problem(answers.package, repo.image, services_out)
    if top_problem:
        raise UsageError(top_problem)
    draft = _render(ws, repo, answers)
    if notes:  # re-running recorded answers: they must cover the contract they made
        missing = _unrecorded_rpcs(repo.image, draft.scaffold.import_path, answers)
        if missing:
            raise ProtokitError(
                f"the recorded answers do not list {', '.join(missing[:3])}, which "
                f"{draft.contract} declares (a truncated or hand-edited answers file?); pass the "
                "RPC flags to say what the service holds; nothing was changed",
                path=draft.answers_path,
            )
    verified = _verify(ws, repo, draft, force)
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
