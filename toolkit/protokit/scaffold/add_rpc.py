"""``protokit new-service NAME --add-rpc --unary X ...``: add RPCs to a service new-service made.

The contract gains the RPCs (before the service's closing brace, located from its descriptor's
source span) and their request and response messages (at the end of the file), rendered from
the same template pieces as a new contract; the recorded answers gain them too. The servicers
and the starter test that exist gain a skeleton method and a table row each, inserted at the
end of the class and of the ``RPCS`` list (found with ``ast``; nothing else of them changes).
Everything is checked in a scratch copy first (compile, lint, format) and written in one plan
with gen's stubs, the contract first: a run stopped after it is finished by the same command,
which finds the RPCs declared with their kinds and adds only what is still missing (the
answers, a servicer method, a test row, the stubs). With nothing missing, the RPCs were there
already, and that is refused.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, replace

import jinja2
from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError, UsageError
from protokit.core.templates import environment, render
from protokit.core.workspace import Workspace
from protokit.core.writer import Action, OutputFile, Owner, Plan, apply, plan_outputs
from protokit.gen.model import RpcKind
from protokit.gen.model_build import build_model
from protokit.gen.pipeline import GenResult, run_gen
from protokit.gen.skeletons import ServicePackage, SkeletonService, service_packages
from protokit.scaffold.answers import Answers, RpcSpec, build_scaffold, ordered, validate
from protokit.scaffold.locate import answers_path, default_package, module_dir, recorded
from protokit.scaffold.scratch import compile_scratch, scratch_workspace
from protokit.tools.buf import module_paths, run_buf
from protokit.tools.image import build_image
from protokit.tools.ruff import format_python

__all__ = ["AddRpcResult", "run_add_rpc"]

_SERVICE_PATH = d.FileDescriptorProto.SERVICE_FIELD_NUMBER
_METHOD_TEMPLATES = {
    "servicer.py": "gen/service/method.py.j2",
    "servicer_aio.py": "gen/service/method_aio.py.j2",
}
_ROW_TEMPLATE = "gen/service/rpc_row.py.j2"


@dataclass(frozen=True)
class AddRpcResult:
    answers: Answers
    added: tuple[RpcSpec, ...]
    plan: Plan
    gen: GenResult
    applied: bool


def _service_span(proto: d.FileDescriptorProto, service: str) -> tuple[int, int]:
    """0-based (first, last) lines of ``service`` in its file, from SourceCodeInfo."""
    index = next(i for i, s in enumerate(proto.service) if s.name == service)
    for location in proto.source_code_info.location:
        if tuple(location.path) == (_SERVICE_PATH, index):
            span = list(location.span)
            return span[0], span[2] if len(span) == 4 else span[0]
    raise ProtokitError(f"the image has no source location for {service}", path=proto.name)


def _edited_contract(text: str, last_line: int, rpcs: str, messages: str) -> str:
    lines = text.splitlines(keepends=True)
    closing = lines[last_line]  # the service's closing brace
    head = "".join(lines[:last_line])
    tail = "".join(lines[last_line + 1 :])
    body = head + rpcs + closing + tail
    return body.rstrip("\n") + "\n" + messages


def _parsed(ws: Workspace, rel: str) -> tuple[str, ast.Module]:
    """A servicer's or starter test's text and syntax tree, read once for every question asked
    of it; a file that does not parse (or is not text) is one error naming it, nothing written."""
    try:
        source = ws.path(rel).read_text(encoding="utf-8")
        return source, ast.parse(source, filename=rel)
    except SyntaxError as exc:
        raise ProtokitError(
            f"is not valid Python ({exc.msg}), so the added RPCs cannot go into it; fix it and "
            "run the command again (nothing was written)",
            path=rel,
            line=exc.lineno,
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtokitError(
            f"is not UTF-8 Python text ({exc}); nothing was written", path=rel
        ) from None


def _class(tree: ast.Module, class_name: str) -> ast.ClassDef | None:
    return next(
        (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None
    )


def _defined(cls: ast.ClassDef | None) -> set[str]:
    """The methods class ``cls`` defines."""
    body = cls.body if cls is not None else []
    return {n.name for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _insert_methods(source: str, cls: ast.ClassDef | None, methods: str) -> str | None:
    """``source`` with ``methods`` appended to its class ``cls``; None without that class."""
    if cls is None or cls.end_lineno is None:
        return None
    lines = source.splitlines(keepends=True)
    end = cls.end_lineno
    return "".join(lines[:end]) + "\n" + methods + "".join(lines[end:])


def _rpcs_list(tree: ast.Module) -> ast.List | None:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "RPCS" for t in node.targets)
            and isinstance(node.value, ast.List)
        ):
            return node.value
    return None


def _listed(table: ast.List | None) -> set[str]:
    """The ``"Service.Method"`` names the rows of the ``RPCS`` list start with."""
    return {
        row.args[0].value
        for row in (table.elts if table is not None else [])
        if isinstance(row, ast.Call)
        and row.args
        and isinstance(row.args[0], ast.Constant)
        and isinstance(row.args[0].value, str)
    }


def _insert_rows(source: str, table: ast.List | None, rows: str) -> str | None:
    """``source`` with ``rows`` added at the end of its ``RPCS = [...]`` list ``table``; None
    without it."""
    if table is None or table.end_lineno is None:
        return None
    lines = source.splitlines(keepends=True)
    close = table.end_lineno - 1  # the line holding "]"
    return "".join(lines[:close]) + rows + "".join(lines[close:])


def _formatted_methods(text: str) -> str:
    """Methods rendered for a class body, formatted as gen formats skeletons."""
    formatted = format_python({"_methods.py": "class _Methods:\n" + text})["_methods.py"]
    return formatted.split("\n", 1)[1]


def _skeleton_edits(
    ws: Workspace,
    env: jinja2.Environment,
    pkg: ServicePackage,
    service: SkeletonService,
    names: set[str],
) -> list[OutputFile]:
    """The servicers' and the starter test's additions for the RPCs ``names``; what a file has
    already (a run stopped after writing it) is not added again."""
    new_methods = [m for m in service.methods if m.name in names]
    edits: list[OutputFile] = []
    base = f"{pkg.services_out}/{pkg.folder}"
    for filename, template in _METHOD_TEMPLATES.items():
        rel = f"{base}/{filename}"
        if not ws.path(rel).is_file():
            continue
        source, tree = _parsed(ws, rel)
        cls = _class(tree, service.class_name)
        missing = [m for m in new_methods if m.name not in _defined(cls)]
        if not missing:
            continue
        text = "\n".join(render(env, template, method=m) for m in missing)
        edited = _insert_methods(source, cls, _formatted_methods(text))
        if edited is not None:
            edits.append(OutputFile.text(rel, edited, Owner.USER))
    test = next(p for p in pkg.paths() if p.startswith("tests/"))
    if ws.path(test).is_file():
        source, tree = _parsed(ws, test)
        table = _rpcs_list(tree)
        listed = _listed(table)
        rows = "".join(
            render(env, _ROW_TEMPLATE, service=service, method=m)
            for m in new_methods
            if f"{service.name}.{m.name}" not in listed
        )
        edited = _insert_rows(source, table, rows) if rows else None
        if edited is not None:
            edits.append(OutputFile.text(test, edited, Owner.USER))
    return edits


def run_add_rpc(
    ws: Workspace,
    name: str,
    rpcs: Sequence[RpcSpec],
    *,
    package: str | None = None,
    version: str | None = None,
    dry_run: bool = False,
) -> AddRpcResult:
    """Add ``rpcs`` to the service new-service made for ``name``; with ``dry_run``, only plan."""
    if not rpcs:
        raise UsageError("--add-rpc needs the RPCs to add: --unary, --server-stream, ...")
    validate(name, rpcs, package, version)
    image = build_image(ws)
    modules = module_paths(ws)
    resolved = package or default_package(ws, image, name, version)
    found = recorded(ws, modules, image, name, resolved, package is not None or version is not None)
    if found is None:
        raise UsageError(
            f"no service {name} was scaffolded here (no recorded answers); --add-rpc extends "
            "a service `protokit new-service` created"
        )
    answers_rel, answers = found
    scaffold = build_scaffold(answers)
    proto = next((f for f in image.target_files() if f.name == scaffold.import_path), None)
    if proto is None:
        raise ProtokitError(
            f"the contract {scaffold.import_path} of {name} is gone", path=answers_rel
        )
    declared = {
        m.name: RpcKind.of(m.client_streaming, m.server_streaming)
        for s in proto.service
        if s.name == scaffold.service
        for m in s.method
    }
    taken = sorted(r.name for r in rpcs if r.name in declared)
    # Every RPC declared already, each of its kind: a run that added them may have stopped
    # after the contract (written first); this one finishes what is left, if anything.
    finishing = len(taken) == len(rpcs) and all(declared[r.name] is r.kind for r in rpcs)
    if taken and not finishing:
        raise UsageError(f"{scaffold.service} already has RPC {taken[0]}")
    recorded_names = {r.name for r in answers.rpcs}
    updated = replace(
        answers, rpcs=ordered([*answers.rpcs, *(r for r in rpcs if r.name not in recorded_names)])
    )
    validate(name, updated.rpcs, answers.package, None)
    names = {r.name for r in rpcs}
    env = environment(ws.path(ws.settings.templates))
    contract = image.disk_paths.get(proto.name, proto.name)
    if finishing:
        text, new_image = ws.path(contract).read_text(encoding="utf-8"), image
    else:
        text, new_image = _added_to_contract(ws, env, modules, contract, proto, updated, rpcs)
    services_out = ws.settings.services_out.strip("/")
    pkg = next(
        p
        for p in service_packages(build_model(new_image), services_out)
        if p.package == answers.package
    )
    service = next(s for s in pkg.services if s.name == scaffold.service)
    recorded_at = answers_path(module_dir(modules, image, answers.package), answers.package)
    outputs = [
        OutputFile.text(contract, text, Owner.USER),
        OutputFile(recorded_at, updated.dumps(), Owner.USER),
        *_skeleton_edits(ws, env, pkg, service, names),
    ]
    own = plan_outputs(ws.root, outputs)
    gen_result = run_gen(ws, dry_run=True, image=new_image)
    # The writer replaces in the plan's order: the contract, then the answers, then the rest
    # (servicers, test, stubs; the manifest last). Whatever a stopped run wrote, the contract
    # holds the RPCs first, and the same command finishes the rest.
    changes = [
        replace(c, action=Action.UPDATE) if c.action is Action.CONFLICT else c for c in own.changes
    ]
    first = [c for path in (contract, recorded_at) for c in changes if c.path == path]
    mine = {c.path for c in changes}
    rest = sorted(
        [
            *(c for c in changes if c not in first),
            *(c for c in gen_result.plan.changes if c.path not in mine),
        ],
        key=lambda c: c.path,
    )
    plan = replace(gen_result.plan, changes=(*first, *rest))
    if finishing and plan.up_to_date:  # nothing left: the RPCs were there already
        raise UsageError(f"{scaffold.service} already has RPC {taken[0]}")
    added = [f for f in gen_result.missing if not any(f" lacks {n} " in f.message for n in names)]
    gen_result = replace(gen_result, missing=tuple(added))
    applied = False
    if not dry_run and not plan.up_to_date:
        apply(plan)
        applied = True
    return AddRpcResult(updated, tuple(rpcs), plan, gen_result, applied)


def _added_to_contract(
    ws: Workspace,
    env: jinja2.Environment,
    modules: Sequence[str],
    contract: str,
    proto: d.FileDescriptorProto,
    updated: Answers,
    rpcs: Sequence[RpcSpec],
) -> tuple[str, Image]:
    """The contract (at ``contract``, compiled to ``proto``) with ``rpcs`` and their messages
    added, checked in a scratch copy (it
    compiles, lints and is formatted as buf formats it), and the image it compiles to."""
    names = {r.name for r in rpcs}
    scaffold = build_scaffold(updated)
    rpc_text = "".join(
        render(env, "new_service/rpc.proto.j2", rpc=r) for r in scaffold.rpcs if r.name in names
    )
    wanted = {n for r in rpcs for n in (f"{r.name}Request", f"{r.name}Response")}
    message_text = "".join(
        render(env, "new_service/message.proto.j2", message=m)
        for m in scaffold.messages
        if m.name in wanted
    )
    _first, last = _service_span(proto, scaffold.service)
    text = _edited_contract(
        ws.path(contract).read_text(encoding="utf-8"), last, rpc_text, message_text
    )
    with scratch_workspace(ws, modules, prefix="protokit-add-rpc-") as scratch:
        scratch.path(contract).write_text(text, encoding="utf-8")
        new_image = compile_scratch(scratch, "the added RPCs")
        lint = run_buf(["lint", "--path", contract], scratch.root)
        if lint.returncode != 0:
            first = lint.stdout.decode("utf-8", "replace").strip().splitlines()[:1]
            raise ProtokitError(
                f"with the added RPCs the contract fails buf lint ({' '.join(first)}); "
                "nothing was written",
                path=contract,
            )
        text = run_buf(["format", contract], scratch.root).stdout.decode("utf-8")
    return text, new_image
