"""Servicer skeletons: what ``gen`` creates once per proto package, and what it checks after.

A proto package ``<org>.<domain>.v<N>`` gets ``<services_out>/<domain>/`` (``__init__.py``,
``servicer.py``, ``servicer_aio.py``, ``__main__.py``) plus a starter test
``tests/services/test_<domain>_service.py``. They are user-owned: created when missing, never
overwritten. On every run the existing servicer modules are parsed (``ast``, never imported)
and any RPC the contract has but a servicer class lacks is reported with the signature to add.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from protokit.core.findings import Finding, Severity
from protokit.core.naming import snake_case
from protokit.core.templates import render
from protokit.core.workspace import Workspace
from protokit.core.writer import OutputFile, Owner
from protokit.gen.model import Method, Model, RpcKind, Service, TypeRef, service_folder
from protokit.tools.ruff import format_python

__all__ = [
    "ServicePackage",
    "SkeletonMethod",
    "SkeletonService",
    "missing_methods",
    "own_packages",
    "service_packages",
    "skeleton_files",
]

SKELETON_TEMPLATES = {
    "__init__.py": "gen/service/__init__.py.j2",
    "servicer.py": "gen/service/servicer.py.j2",
    "servicer_aio.py": "gen/service/servicer_aio.py.j2",
    "__main__.py": "gen/service/__main__.py.j2",
}
TEST_TEMPLATE = "gen/service/test_service.py.j2"
TESTS_FOLDER = "tests/services"
SKELETON_WIDTH = 100  # the formatter's line length: skeletons are user code, linted as such


@dataclass(frozen=True)
class SkeletonImport:
    module: str  # acme.user.v1.user_service_pb2
    alias: str  # user_service_pb2

    @property
    def statement(self) -> str:
        parent, _, leaf = self.module.rpartition(".")
        spelled = leaf if leaf == self.alias else f"{leaf} as {self.alias}"
        return f"from {parent} import {spelled}" if parent else f"import {spelled}"


@dataclass(frozen=True)
class SkeletonMethod:
    name: str
    py_name: str
    test_name: str  # snake_case, for test function names
    kind: str  # unary_unary, unary_stream, stream_unary, stream_stream
    client_streaming: bool
    server_streaming: bool
    request_type: str  # user_service_pb2.GetUserRequest (as annotations spell it)
    response_type: str
    request_class: str  # the same class as a runtime expression (getattr for keywords)
    response_class: str
    sync_signature: str  # the full ``def ...:`` header, one line per parameter
    aio_signature: str
    sync_docstring: str
    line: int  # of the RPC in the .proto, for reports


@dataclass(frozen=True)
class SkeletonService:
    name: str
    class_name: str
    full_name: str
    proto_file: str
    grpc_alias: str  # user_service_pb2_grpc
    servicer_base: str  # user_service_pb2_grpc.UserServiceServicer
    stub: str  # user_service_pb2_grpc.UserServiceStub
    add_function: str  # user_service_pb2_grpc.add_UserServiceServicer_to_server
    docstring: str  # indented for a class body
    methods: tuple[SkeletonMethod, ...]


@dataclass(frozen=True)
class ServicePackage:
    folder: str  # user
    package: str  # acme.user.v1
    module: str  # services.user
    services_out: str  # services (relative to the workspace root)
    message_imports: tuple[SkeletonImport, ...]
    grpc_imports: tuple[SkeletonImport, ...]
    services: tuple[SkeletonService, ...]

    @property
    def imports(self) -> tuple[SkeletonImport, ...]:
        return tuple(sorted({*self.message_imports, *self.grpc_imports}, key=lambda i: i.module))

    def paths(self) -> dict[str, str]:
        """Output path (relative to the workspace root) → template name."""
        base = f"{self.services_out}/{self.folder}"
        found = {f"{base}/{name}": template for name, template in SKELETON_TEMPLATES.items()}
        found[f"{TESTS_FOLDER}/test_{self.folder}_service.py"] = TEST_TEMPLATE
        return found


def _aliases(modules: set[str]) -> dict[str, str]:
    """Plain leaf names (``user_pb2``) unless two modules share one; then the dotted path."""
    leaves: dict[str, list[str]] = {}
    for module in modules:
        leaves.setdefault(module.rsplit(".", 1)[-1], []).append(module)
    alias: dict[str, str] = {}
    for leaf, owners in leaves.items():
        for module in owners:
            alias[module] = leaf if len(owners) == 1 else module.replace(".", "_")
    return alias


def _signature(
    method: Method, request: str, response: str, *, aio: bool, indent: str = "    "
) -> str:
    param = "request_iterator" if method.client_streaming else "request"
    if aio:
        req_t = f"AsyncIterator[{request}]" if method.client_streaming else request
        ctx_t = f"grpc.aio.ServicerContext[{request}, {response}]"
        ret_t = f"AsyncIterator[{response}]" if method.server_streaming else response
        head = "async def"
    else:
        req_t = f"Iterator[{request}]" if method.client_streaming else request
        ctx_t = "grpc.ServicerContext"
        ret_t = f"Iterator[{response}]" if method.server_streaming else response
        head = "def"
    inner = indent + "    "
    return (
        f"{head} {method.py_name}(\n{inner}self,\n{inner}{param}: {req_t},\n"
        f"{inner}context: {ctx_t},\n{indent}) -> {ret_t}:"
    )


def _type(ref: TypeRef, aliases: dict[str, str]) -> str:
    return ref.annotation(aliases[ref.module])


def _class(ref: TypeRef, aliases: dict[str, str]) -> str:
    return ref.runtime(aliases[ref.module])


def service_packages(model: Model, services_out: str) -> list[ServicePackage]:
    """One skeleton package per proto package that declares services, in a stable order.

    Two packages wanting the same folder (``acme.user.v1`` and ``acme.user.v2``) are told apart
    by a version suffix on all but the first: ``user``, ``user_v2``.
    """
    by_package: dict[str, list[Service]] = {}
    for service in model.services:
        by_package.setdefault(service.package, []).append(service)
    used: set[str] = set()
    result: list[ServicePackage] = []
    files = {f.name: f for f in model.files}
    for package in sorted(by_package):
        services = by_package[package]
        folder = service_folder(package)
        if folder in used:
            folder = f"{folder}_{package.rsplit('.', 1)[-1]}".lower()
        while folder in used:
            folder += "_"
        used.add(folder)
        message_modules = {
            ref.module for s in services for m in s.methods for ref in (m.input, m.output)
        }
        grpc_modules = {files[s.proto_file].grpc_module for s in services}
        aliases = _aliases(message_modules | grpc_modules)
        skeleton_services: list[SkeletonService] = []
        for service in services:
            grpc_alias = aliases[files[service.proto_file].grpc_module]
            methods = []
            for method in service.methods:
                request = _type(method.input, aliases)
                response = _type(method.output, aliases)
                methods.append(
                    SkeletonMethod(
                        name=method.name,
                        py_name=method.py_name,
                        test_name=snake_case(method.name) or method.py_name.lower(),
                        kind=method.kind.value,
                        client_streaming=method.client_streaming,
                        server_streaming=method.server_streaming,
                        request_type=request,
                        response_type=response,
                        request_class=_class(method.input, aliases),
                        response_class=_class(method.output, aliases),
                        sync_signature=_signature(method, request, response, aio=False),
                        aio_signature=_signature(method, request, response, aio=True),
                        sync_docstring=method.comment.indented_docstring("        ", SKELETON_WIDTH)
                        or f'"""{method.name} (not documented in the contract)."""',
                        line=method.comment.line,
                    )
                )
            skeleton_services.append(
                SkeletonService(
                    name=service.name,
                    class_name=service.class_name,
                    full_name=service.full_name,
                    proto_file=service.proto_file,
                    grpc_alias=grpc_alias,
                    servicer_base=f"{grpc_alias}.{service.servicer_name}",
                    stub=f"{grpc_alias}.{service.stub_name}",
                    add_function=f"{grpc_alias}.{service.add_function}",
                    docstring=service.comment.indented_docstring("    ", SKELETON_WIDTH)
                    or f'"""{service.full_name}."""',
                    methods=tuple(methods),
                )
            )
        result.append(
            ServicePackage(
                folder=folder,
                package=package,
                module=f"{services_out.strip('/').replace('/', '.')}.{folder}",
                services_out=services_out.strip("/"),
                message_imports=tuple(
                    SkeletonImport(m, aliases[m]) for m in sorted(message_modules)
                ),
                grpc_imports=tuple(SkeletonImport(m, aliases[m]) for m in sorted(grpc_modules)),
                services=tuple(skeleton_services),
            )
        )
    return result


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
                            f"({RpcKind(method.kind).name.lower()}), added to the contract in "
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


def own_packages(
    packages: Sequence[ServicePackage],
    model: Model,
    *,
    org: str = "",
    implement: Sequence[str] | None = None,
) -> tuple[list[ServicePackage], str | None]:
    """The service packages this repository implements, and a note when the rule left out all.

    ``implement`` (proto package patterns) decides when given; otherwise the repository's org
    does: the ``org`` setting, or the one org every contract belongs to. A tree of several orgs
    (other people's APIs beside one's own) gets no skeletons until one of them names its own.
    """
    if implement is not None:
        return [p for p in packages if any(_matches(p.package, pat) for pat in implement)], None
    orgs = sorted({f.package.split(".")[0] for f in model.files if f.package})
    own = org or (orgs[0] if len(orgs) == 1 else "")
    if own:
        return [p for p in packages if _matches(p.package, own)], None
    if not packages:
        return [], None
    shown = ", ".join(orgs[:5]) + (", ..." if len(orgs) > 5 else "")
    return [], (
        f"{len(packages)} proto packages with services belong to {len(orgs)} orgs ({shown}), so "
        "no servicer skeletons were created; name the packages you implement with "
        '[tool.protokit] implement = ["<org>.*"] (or set org)'
    )


def _matches(package: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(package, pattern) or package.startswith(f"{pattern}.")


def skeleton_files(
    ws: Workspace,
    env: jinja2.Environment,
    packages: Iterable[ServicePackage],
    services_out: str,
    created: Iterable[str],
) -> list[OutputFile]:
    """Skeleton files to create: absent, and never created before (existing ones belong to the
    user; one the user deleted after gen created it stays deleted)."""
    done = set(created)
    wanted: dict[str, str] = {}
    for pkg in packages:
        for rel, template in pkg.paths().items():
            if rel not in done and not ws.path(rel).exists():
                wanted[rel] = render(env, template, pkg=pkg)
    if not wanted:
        return []
    top = services_out.strip("/").split("/")[0]
    formatted = format_python(wanted, first_party=[top])
    outputs = [OutputFile.text(rel, text, Owner.USER) for rel, text in formatted.items()]
    init = f"{services_out.strip('/')}/__init__.py"
    if init not in done and not ws.path(init).exists():
        outputs.append(
            OutputFile.text(
                init, '"""gRPC servicers for this repository\'s contracts."""\n', Owner.USER
            )
        )
    return outputs
