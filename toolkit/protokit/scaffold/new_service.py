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

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError, UsageError
from protokit.core.naming import (
    STDLIB_MODULES,
    ProtoCase,
    proto_name_problem,
)
from protokit.core.paths import files_under, read_regular
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
from protokit.gen.model import build_model
from protokit.gen.pipeline import GenResult, run_gen
from protokit.gen.skeletons import ServicePackage, service_packages
from protokit.scaffold.answers import (
    DEFAULT_VERSION,
    Answers,
    RpcSpec,
    Scaffold,
    Shape,
    build_scaffold,
    ordered,
    rpc_name_problem,
    validate,
)
from protokit.tools.buf import module_paths, parse_json_findings, run_buf
from protokit.tools.image import build_image

__all__ = [
    "ANSWERS_NAME",
    "Answers",
    "NewServiceResult",
    "RpcSpec",
    "ScaffoldConflictError",
    "Shape",
    "rpc_name_problem",
    "run_new_service",
]

TEMPLATE = "new_service/service.proto.j2"
ANSWERS_NAME = ".protokit-answers.json"
BACKUPS = ".protokit/backups"
# Top-level Python packages the stubs must not take besides the standard library's: the
# runtime's namespaces and the tools a generated service imports.
_TAKEN_TOP_LEVELS = frozenset(
    {"google", "grpc", "grpc_health", "grpc_reflection", "grpc_status", "grpc_tools"}
    | {"protokit", "pytest", "tests"}
)


# --- repository state --------------------------------------------------------------------------


def _join(*parts: str) -> str:
    return PurePosixPath(*[p for p in parts if p not in ("", ".")]).as_posix()


def _orgs(image: Image) -> list[str]:
    return sorted(
        {f.package.split(".")[0] for f in image.target_files() if f.package and "." in f.package}
    )


def _default_package(ws: Workspace, image: Image, name: str, version: str | None) -> str:
    """``<org>.<name>.<version>``: the org is ``[tool.protokit] org``, else the one org the
    module's packages share."""
    org = ws.settings.org
    if org:
        for part in org.split("."):
            problem = proto_name_problem(
                part, ProtoCase.LOWER_SNAKE, what="[tool.protokit] org part", max_length=40
            )
            if problem:
                raise ProtokitError(problem, path="pyproject.toml")
    else:
        orgs = _orgs(image)
        if len(orgs) != 1:
            found = f"use several orgs ({', '.join(orgs)})" if orgs else "have no package yet"
            raise UsageError(
                f"the contracts {found}, so new-service cannot tell the package; pass "
                f"--package <org>.{name}.{version or DEFAULT_VERSION} or set org in "
                "[tool.protokit]"
            )
        org = orgs[0]
    return f"{org}.{name}.{version or DEFAULT_VERSION}"


def _module_dir(modules: Sequence[str], image: Image, package: str) -> str:
    """The buf module the contract goes in: the only one, or the first holding the org."""
    if not modules:
        raise ProtokitError("buf.yaml declares no module to add a contract to", path="buf.yaml")
    if len(modules) == 1:
        return modules[0]
    org = package.split(".")[0]
    for module in modules:
        prefix = _join(module, "x")[:-1]
        for proto in image.target_files():
            disk = image.disk_paths.get(proto.name, proto.name)
            if proto.package.split(".")[0] == org and disk.startswith(prefix):
                return module
    return modules[0]


def _answers_path(module: str, package: str) -> str:
    return _join(module, package.replace(".", "/"), ANSWERS_NAME)


def _recorded(
    ws: Workspace, modules: Sequence[str], image: Image, name: str, package: str, explicit: bool
) -> tuple[str, Answers] | None:
    """The answers an earlier run recorded for ``name``: at the package's own place, or (when
    neither --package nor --version says which) the only scaffold of that name anywhere."""
    rel = _answers_path(_module_dir(modules, image, package), package)
    path = ws.path(rel)
    if path.exists():
        answers = Answers.loads(read_regular(path, shown=rel, what="answers file"), path=rel)
        if answers.name == name:
            return rel, answers
    if explicit:
        return None
    found: list[tuple[str, Answers]] = []
    for module in modules:
        # Only the folders a scaffold of this name can be in: <...>/<name>/<version>/.
        for candidate in sorted(ws.path(module).glob(f"**/{name}/*/{ANSWERS_NAME}")):
            crel = candidate.relative_to(ws.root).as_posix()
            data = read_regular(candidate, shown=crel, what="answers file")
            answers = Answers.loads(data, path=crel)
            if answers.name == name:
                found.append((crel, answers))
    if len(found) > 1:
        packages = ", ".join(a.package for _, a in found)
        raise UsageError(
            f"{name} was scaffolded more than once ({packages}); pass --package or --version "
            "to say which to re-run"
        )
    return found[0] if found else None


def _top_level_problem(package: str, image: Image, services_out: str) -> str | None:
    """A new top-level Python package (the stubs' first package part) must not shadow the
    standard library, the gRPC runtime or this repository's own top-level folders."""
    top = package.split(".")[0]
    if top in _orgs(image):
        return None  # already the stubs' top level
    if top in STDLIB_MODULES:
        why = "the standard library module"
    elif top in _TAKEN_TOP_LEVELS or top == services_out.split("/")[0]:
        why = "the package"
    else:
        return None
    return (
        f"package {package!r} would make {top!r} a top-level Python package of the stubs, "
        f"shadowing {why} {top!r}; put an org first, such as --package 'acme.{package}'"
    )


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


def _in_the_way(root: Path, rel: str) -> str | None:
    """A file where a folder of ``rel`` must go."""
    parts = PurePosixPath(rel).parts
    for i in range(1, len(parts)):
        parent = root.joinpath(*parts[:i])
        if parent.exists() and not parent.is_dir():
            return PurePosixPath(*parts[:i]).as_posix()
    return None


def _copy_protos(ws: Workspace, modules: Sequence[str], dest: Path) -> None:
    """The workspace's buf config and every ``.proto`` of its modules, nothing else."""
    for name in ("buf.yaml", "buf.lock"):
        if ws.path(name).is_file():
            shutil.copy2(ws.path(name), dest / name)
    for module in modules:
        base = ws.path(module)
        for proto in files_under(base, ".proto"):
            rel = proto.relative_to(ws.root)
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(proto, dest / rel)


def _verify(scratch: Workspace, contract: str, text: str) -> None:
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
        super().__init__(message)
        self.lines = tuple(lines)


@dataclass(frozen=True)
class NewServiceResult:
    scaffold: Scaffold
    plan: Plan  # the one plan: contract, answers, backups and everything gen writes
    shown: tuple[Change, ...]  # what is printed: the scaffold's files and every change
    notes: tuple[str, ...]
    gen: GenResult
    applied: bool
    service_folder: str
    test_path: str


def _backup_root(root: Path) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    candidate, n = f"{BACKUPS}/{stamp}", 1
    while (root / candidate).exists():
        n += 1
        candidate = f"{BACKUPS}/{stamp}-{n}"
    return candidate


def _conflict_line(path: str, reason: str) -> str:
    return f"{Action.CONFLICT.value:<9} {path}  ({reason})"


def _answers(
    ws: Workspace,
    image: Image,
    modules: Sequence[str],
    name: str,
    rpcs: Sequence[RpcSpec],
    package: str | None,
    version: str | None,
    ask: Callable[[], Sequence[RpcSpec]] | None,
) -> tuple[Answers, list[str]]:
    """Stage 1: the flags, else the recorded answers, else the terminal's; and notes to print."""
    resolved = package or _default_package(ws, image, name, version)
    notes: list[str] = []
    answers: Answers | None = None
    if not rpcs:
        explicit = package is not None or version is not None
        recorded = _recorded(ws, modules, image, name, resolved, explicit)
        if recorded is not None:
            rel, answers = recorded
            try:
                validate(answers.name, answers.rpcs, answers.package, None)
            except UsageError as exc:
                raise ProtokitError(f"recorded answers are not valid: {exc}", path=rel) from exc
            if not answers.rpcs:
                raise ProtokitError("recorded answers list no RPC", path=rel)
            notes.append(f"re-ran the answers recorded in {rel}")
        elif ask is not None:
            rpcs = tuple(ask())
            if not rpcs:
                raise UsageError("no RPC given; a service needs at least one")
            validate(name, rpcs, package, version)
        else:
            raise UsageError(
                "no RPC given and none recorded for this service: pass --unary, "
                "--server-stream, --client-stream or --bidi (each repeatable); protokit asks "
                "for them only when stdin is a terminal"
            )
    if answers is None:
        answers = Answers(name, resolved, ordered(rpcs))
    return answers, notes


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
) -> NewServiceResult:
    """Scaffold service ``name`` and run gen on it; with ``dry_run``, only plan.

    Raises ``UsageError`` (exit 2) for bad names or flags, ``ScaffoldConflictError`` (exit 1)
    when files of the scaffold exist and differ (unless ``force``), ``ProtokitError`` when the
    rendered contract does not compile, lint or format clean. Nothing is written on any error.
    ``ask`` is called for the RPCs when none are given and none were recorded.
    """
    validate(name, rpcs, package, version)
    services_out = ws.settings.services_out.strip("/")
    image = build_image(ws)
    modules = module_paths(ws)
    answers, notes = _answers(ws, image, modules, name, rpcs, package, version, ask)
    top_problem = _top_level_problem(answers.package, image, services_out)
    if top_problem:
        raise UsageError(top_problem)

    # stage 2: render
    scaffold = build_scaffold(answers)
    module = _module_dir(modules, image, answers.package)
    contract = _join(module, scaffold.import_path)
    answers_path = _answers_path(module, answers.package)
    env = environment(ws.path(ws.settings.templates))
    text = render_template(env, TEMPLATE, scaffold=scaffold)

    if notes:  # re-running recorded answers: they must cover the contract they made
        missing = _unrecorded_rpcs(image, scaffold.import_path, answers)
        if missing:
            raise ProtokitError(
                f"the recorded answers do not list {', '.join(missing[:3])}, which "
                f"{contract} declares (a truncated or hand-edited answers file?); pass the RPC "
                "flags to say what the service holds; nothing was changed",
                path=answers_path,
            )

    # stage 3 (first half): does the module still compile with it?
    conflicts: list[tuple[str, str]] = []
    for rel in (contract, answers_path):
        blocker = _in_the_way(ws.root, rel)
        if blocker:
            raise ProtokitError(f"a file is in the way of {rel}; nothing was changed", path=blocker)
    own = plan_outputs(
        ws.root,
        [
            OutputFile.text(contract, text, Owner.USER),
            OutputFile(answers_path, answers.dumps(), Owner.USER),
        ],
    )
    contract_change = next(c for c in own.changes if c.path == contract)
    contract_is_new = contract_change.action is Action.CREATE
    for change in own.conflicts:
        reason = (
            "exists and differs from what new-service renders"
            if change.path == contract
            else "records other answers"
        )
        conflicts.append((change.path, reason))
    others = sorted(
        image.disk_paths.get(f.name, f.name)
        for f in image.target_files()
        if f.package == answers.package and f.name != scaffold.import_path
    )
    if others and contract_is_new:  # a re-run keeps the files the user added to its package
        conflicts.append((others[0], f"already declares package {answers.package}"))

    with tempfile.TemporaryDirectory(prefix="protokit-new-service-") as tmp:
        scratch = Workspace(Path(tmp), ws.settings)
        _copy_protos(ws, modules, scratch.root)
        target = scratch.path(contract)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
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

        # stage 4 (first half): the servicer folder and starter test gen will want
        before = {p.package: p.folder for p in service_packages(build_model(image), services_out)}
        after = {p.package: p for p in service_packages(build_model(new_image), services_out)}
        pkg = after[answers.package]
        for other, folder in sorted(before.items()):
            if other in after and after[other].folder != folder:
                raise ProtokitError(
                    f"adding {answers.package} would move the servicer folder of {other} from "
                    f"{services_out}/{folder} to {services_out}/{after[other].folder} (gen "
                    "names folders in package order); choose another name or version; "
                    "nothing was changed"
                )
        kept = _existing_service_files(ws, pkg, services_out) if contract_is_new else []
        conflicts.extend(
            (rel, "exists, but no contract does; new-service does not adopt it") for rel in kept
        )
        conflicts.sort(key=lambda item: (item[0] != contract, item[0]))
        if conflicts and not force:
            lines = [_conflict_line(path, why) for path, why in conflicts]
            lines += [c.line() for c in own.changes if c.path not in dict(conflicts)]
            path, why = conflicts[0]
            raise ScaffoldConflictError(
                f"{path}: {why}; nothing was changed ({len(conflicts)} conflict(s); --force "
                "replaces the contract and answers, keeping a backup under "
                f"{BACKUPS}/, and never touches files under {services_out}/ or tests/)",
                sorted(lines, key=lambda line: line.split(None, 1)[1]),
            )
        _verify(scratch, contract, text)

    # stage 4: one plan: the contract, the answers, backups, and gen on the new module
    changes = list(own.changes)
    replaced = [c for c in own.changes if c.action is Action.CONFLICT]
    if replaced:
        backups = _backup_root(ws.root)
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
    left = [rel for rel in sorted(pkg.paths()) if ws.path(rel).exists()]
    if left:
        notes.append(
            f"left as they are (yours; gen never overwrites them): {', '.join(left)}"
            + ("; gen lists any RPC they lack above" if kept or replaced else "")
        )
    gen_result = run_gen(ws, dry_run=True, image=new_image)
    changes.extend(gen_result.plan.changes)
    changes.sort(key=lambda c: c.path)
    plan = Plan(
        ws.root,
        tuple(changes),
        gen_result.plan.manifest_path,
        gen_result.plan.manifest,
        gen_result.plan.manifest_changed,
    )
    planned = {c.path for c in plan.changes}
    absent = [r for r in sorted(pkg.paths()) if r not in planned and not ws.path(r).exists()]
    if absent:  # gen keeps a skeleton deleted after it created it; say so, never silently
        notes.append(
            f"gen did not create {', '.join(absent)} (removed after an earlier run created "
            "it); `protokit gen --force` creates missing skeletons again"
        )
    ours = {contract, answers_path, *pkg.paths()}
    stubs = _join(ws.settings.stubs_out.strip("/"), answers.package.replace(".", "/")) + "/"
    shown = tuple(
        c
        for c in plan.changes
        if verbose or c.action is not Action.IDENTICAL or c.path in ours or c.path.startswith(stubs)
    )
    applied = False
    if not dry_run and not plan.up_to_date:
        apply(plan)
    elif not dry_run:
        clear_plan_leftovers(plan)
        applied = True
    return NewServiceResult(
        scaffold=scaffold,
        plan=plan,
        shown=shown,
        notes=tuple(notes),
        gen=gen_result,
        applied=applied,
        service_folder=f"{services_out}/{pkg.folder}",
        test_path=next(p for p in pkg.paths() if p.startswith("tests/")),
    )


def _existing_service_files(ws: Workspace, pkg: ServicePackage, services_out: str) -> list[str]:
    """Skeleton and starter-test files (or a non-empty servicer folder) already on disk."""
    found = [rel for rel in pkg.paths() if ws.path(rel).exists()]
    folder = ws.path(f"{services_out}/{pkg.folder}")
    if not found and folder.is_dir() and any(folder.iterdir()):
        found.append(f"{services_out}/{pkg.folder}/")
    return sorted(found)
