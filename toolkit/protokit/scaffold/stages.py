"""``protokit new-service`` stages 2 and 3: the contract rendered, then proven in a scratch copy.

``render_contract`` renders ``new_service/service.proto.j2`` and the answers file and plans them
against disk; ``verify_contract`` compiles the module with the contract in a scratch copy,
checks gen's folders for the other packages stay put and nothing is in the way, and runs
``buf lint`` and ``buf format`` on the new file. Nothing here writes to the workspace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError
from protokit.core.templates import environment
from protokit.core.templates import render as render_template
from protokit.core.workspace import Workspace
from protokit.core.writer import Action, OutputFile, Owner, Plan, plan_outputs
from protokit.gen.model_build import build_model
from protokit.gen.skeletons import ServicePackage, service_packages
from protokit.scaffold.answers import Answers, Scaffold, build_scaffold
from protokit.scaffold.locate import (
    BACKUPS,
    answers_path,
    existing_service_files,
    in_the_way,
    join,
    module_dir,
)
from protokit.scaffold.scratch import compile_scratch, scratch_workspace
from protokit.tools.buf import run_buf
from protokit.tools.buf_output import parse_json_findings

__all__ = [
    "TEMPLATE",
    "Draft",
    "Repository",
    "ScaffoldConflictError",
    "Verified",
    "render_contract",
    "verify_contract",
]


TEMPLATE = "new_service/service.proto.j2"


def lint_and_format(scratch: Workspace, contract: str, text: str) -> None:
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


class ScaffoldConflictError(ProtokitError):
    """Files of the scaffold exist already; ``lines`` is the plan as it stands."""

    def __init__(self, message: str, lines: Sequence[str]) -> None:
        super().__init__(message, lines=tuple(lines))


@dataclass(frozen=True)
class Repository:
    """What the stages read from the workspace before anything changes."""

    image: Image
    modules: tuple[str, ...]
    services_out: str


@dataclass(frozen=True)
class Draft:
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
class Verified:
    """Stage 3's output: the image with the contract in it, and the package gen will add."""

    image: Image
    pkg: ServicePackage
    kept: tuple[str, ...]  # skeleton files on disk that no contract owned


def conflict_line(path: str, reason: str) -> str:
    return f"{Action.CONFLICT.value:<9} {path}  ({reason})"


def render_contract(ws: Workspace, repo: Repository, answers: Answers) -> Draft:
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
    draft = Draft(answers, scaffold, contract, answers_rel, text, own, ())
    others = sorted(
        repo.image.disk_paths.get(f.name, f.name)
        for f in repo.image.target_files()
        if f.package == answers.package and f.name != scaffold.import_path
    )
    if others and draft.contract_is_new:  # a re-run keeps the files the user added to its package
        conflicts.append((others[0], f"already declares package {answers.package}"))
    return replace(draft, conflicts=tuple(conflicts))


def verify_contract(ws: Workspace, repo: Repository, draft: Draft, force: bool) -> Verified:
    """Stage 3: the module compiles with the contract (in a scratch copy), gen's folders for
    the other packages stay put, nothing is in the way, and the contract lints and formats."""
    with scratch_workspace(ws, repo.modules, prefix="protokit-new-service-") as scratch:
        target = scratch.path(draft.contract)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(draft.text, encoding="utf-8")
        new_image = compile_scratch(scratch, "the new contract")
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
            lines = [conflict_line(path, why) for path, why in conflicts]
            lines += [c.line() for c in draft.own.changes if c.path not in dict(conflicts)]
            path, why = conflicts[0]
            raise ScaffoldConflictError(
                f"{path}: {why}; nothing was changed ({len(conflicts)} conflict(s); --force "
                "replaces the contract and answers, keeping a backup under "
                f"{BACKUPS}/, and never touches files under {repo.services_out}/ or tests/)",
                sorted(lines, key=lambda line: line.split(None, 1)[1]),
            )
        lint_and_format(scratch, draft.contract, draft.text)
    return Verified(new_image, pkg, tuple(kept))
