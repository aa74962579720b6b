"""Servicer skeleton files and the checks of existing servicers.

``skeleton_files`` renders the user-owned files ``gen`` creates once (never overwritten); on
every run ``missing_methods`` parses the existing servicer modules (``ast``, never imported)
and reports any RPC the contract has but a servicer class lacks, with the signature to add,
and any handler whose RPC the contract no longer declares.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import jinja2

from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding, Severity
from protokit.core.paths import read_regular
from protokit.core.templates import render
from protokit.core.workspace import Workspace
from protokit.core.writer import OutputFile, Owner
from protokit.gen.skeletons import ServicePackage, serving_paths
from protokit.tools.ruff import format_python

__all__ = ["missing_methods", "skeleton_files"]

# --- checking existing servicers ---------------------------------------------------------------


def _classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def _methods(cls: ast.ClassDef) -> set[str]:
    names: set[str] = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _handlers(cls: ast.ClassDef) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Methods shaped like RPC handlers: public, ``(self, request, context)``."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith(
            "_"
        ):
            names = [a.arg for a in node.args.args]
            if len(names) == 3 and names[0] == "self" and names[2] == "context":
                found.append(node)
    return found


def missing_methods(root: Path, packages: Sequence[ServicePackage]) -> list[Finding]:
    """RPCs of the contract that an existing servicer class does not define.

    Only files that exist are checked; a class is matched by the service's name. Each finding
    names the servicer, the missing method and the signature to add (nothing is edited).
    """
    findings: list[Finding] = []
    for package in packages:
        for filename, aio in (("servicer.py", False), ("servicer_aio.py", True)):
            rel = f"{package.services_out}/{package.folder}/{filename}"
            path = root / rel
            if not path.is_file():
                continue
            try:
                tree = ast.parse(path.read_bytes(), filename=rel)
            except (SyntaxError, ValueError) as exc:
                line = getattr(exc, "lineno", None) or 1
                findings.append(
                    _finding(rel, line, "SERVICER_UNREADABLE", f"could not be parsed: {exc}")
                )
                continue
            classes = _classes(tree)
            for service in package.services:
                cls = classes.get(service.class_name)
                if cls is None:
                    findings.append(
                        _finding(
                            rel,
                            1,
                            "SERVICER_MISSING",
                            f"has no class {service.class_name} for {service.full_name}; add "
                            f"`class {service.class_name}({service.servicer_base}):` with its "
                            f"{len(service.methods)} RPC method(s)",
                        )
                    )
                    continue
                present = _methods(cls)
                declared = {m.py_name for m in service.methods}
                for node in _handlers(cls):
                    if node.name not in declared:
                        findings.append(
                            _finding(
                                rel,
                                node.lineno,
                                "RPC_REMOVED",
                                f"{service.class_name}.{node.name} handles an RPC that "
                                f"{service.full_name} no longer declares in "
                                f"{service.proto_file}; remove the method (no client can "
                                "call it) or restore the RPC",
                            )
                        )
                for method in service.methods:
                    if method.py_name in present:
                        continue
                    signature = method.aio_signature if aio else method.sync_signature
                    flat = " ".join(part.strip() for part in signature.splitlines())
                    flat = flat.replace("( ", "(").replace(", )", ")")
                    findings.append(
                        _finding(
                            rel,
                            cls.lineno,
                            "RPC_NOT_IMPLEMENTED",
                            f"{service.class_name} lacks {method.name} "
                            f"({method.kind.value}), added to the contract in "
                            f"{service.proto_file}; add: {flat}",
                        )
                    )
    return findings


def _finding(path: str, line: int, rule: str, message: str) -> Finding:
    return Finding(
        path=path,
        line=line,
        column=1,
        rule=rule,
        message=message,
        source="protokit gen",
        severity=Severity.WARNING,
    )


def skeleton_files(
    ws: Workspace,
    env: jinja2.Environment,
    packages: Iterable[ServicePackage],
    services_out: str,
    created: Iterable[str],
    adopt: Collection[str] = (),
) -> list[OutputFile]:
    """Skeleton files to create: absent, and never created before (existing ones belong to the
    user; one the user deleted after gen created it stays deleted). ``adopt``: packages being
    scaffolded now (new-service's); their files on disk exactly as they would be created (a
    run stopped after writing them, before its manifest) are listed too, so they are recorded
    as created, as an uninterrupted run records them."""
    done = set(created)
    wanted: dict[str, str] = {}
    present: set[str] = set()
    for pkg in packages:
        for rel, template in pkg.paths().items():
            if rel in done:
                continue
            if ws.path(rel).exists():
                if pkg.package not in adopt:
                    continue
                present.add(rel)
            wanted[rel] = render(env, template, pkg=pkg)
        for rel, template in serving_paths(services_out).items():
            if rel not in done and rel not in wanted and not ws.path(rel).exists():
                wanted[rel] = render(env, template, serving=pkg.serving)
    if not wanted:
        return []
    top = services_out.strip("/").split("/")[0]
    formatted = format_python(wanted, first_party=[top])
    outputs = [
        OutputFile.text(rel, text, Owner.USER)
        for rel, text in formatted.items()
        if rel not in present or _on_disk(ws, rel) == text.encode("utf-8")
    ]
    init = f"{services_out.strip('/')}/__init__.py"
    if init not in done and not ws.path(init).exists():
        outputs.append(
            OutputFile.text(
                init, '"""gRPC servicers for this repository\'s contracts."""\n', Owner.USER
            )
        )
    return outputs


def _on_disk(ws: Workspace, rel: str) -> bytes | None:
    """A skeleton file's bytes on disk; None when absent or not a plain file (the user's)."""
    try:
        return read_regular(ws.path(rel), shown=rel)
    except (OSError, ProtokitError):
        return None
