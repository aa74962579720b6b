"""Servicer skeletons: what ``gen`` creates once per proto package, and what it checks after.


A proto package ``<org>.<domain>.v<N>`` gets ``<services_out>/<domain>/`` (``__init__.py``,
``servicer.py``, ``servicer_aio.py``, ``__main__.py``) plus a starter test
``tests/services/test_<domain>_service.py``. This module holds what those packages contain
(``service_packages``, ``own_rule``); ``servicers`` renders the files and checks the
existing servicer modules.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from protokit.core.naming import snake_case
from protokit.gen.model import Method, Model, RpcKind, Service, TypeRef, service_folder
from protokit.gen.options import TESTS_FOLDER

__all__ = [
    "Flavour",
    "ServicePackage",
    "SkeletonMethod",
    "SkeletonService",
    "own_rule",
    "service_packages",
]

SKELETON_TEMPLATES = {
    "__init__.py": "gen/service/__init__.py.j2",
    "servicer.py": "gen/service/servicer.py.j2",
    "servicer_aio.py": "gen/service/servicer_aio.py.j2",
    "__main__.py": "gen/service/__main__.py.j2",
}
TEST_TEMPLATE = "gen/service/test_service.py.j2"
SERVING_FOLDER = "common"  # <services_out>/common: the serving module every __main__ uses
SERVING_FILES = (
    "__init__",
    "auth",
    "cli",
    "config",
    "errors",
    "interceptors",
    "interceptors_aio",
    "server",
    "server_aio",
)


class Flavour(Enum):
    """Which servicers a package has: asyncio (the default for new services), sync, or both."""

    ASYNCIO = "asyncio"
    SYNC = "sync"
    BOTH = "both"

    @property
    def sync(self) -> bool:
        return self is not Flavour.ASYNCIO

    @property
    def aio(self) -> bool:
        return self is not Flavour.SYNC

    @property
    def skipped(self) -> tuple[str, ...]:
        """The servicer module a package of this flavour does not get."""
        return {Flavour.ASYNCIO: ("servicer.py",), Flavour.SYNC: ("servicer_aio.py",)}.get(self, ())


def serving_module(services_out: str) -> str:
    return f"{services_out.strip('/').replace('/', '.')}.{SERVING_FOLDER}"


def serving_paths(services_out: str) -> dict[str, str]:
    """Output path → template of the shared serving module (created once, like skeletons)."""
    base = f"{services_out.strip('/')}/{SERVING_FOLDER}"
    return {f"{base}/{name}.py": f"gen/serving/{name}.py.j2" for name in SERVING_FILES}


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
    kind: RpcKind
    request_param: str  # request, or request_iterator for a client stream
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
    serving: str  # services.common: the shared serving module __main__ imports
    flavour: Flavour = Flavour.BOTH

    @property
    def imports(self) -> tuple[SkeletonImport, ...]:
        return tuple(sorted({*self.message_imports, *self.grpc_imports}, key=lambda i: i.module))

    def paths(self) -> dict[str, str]:
        """Output path (relative to the workspace root) → template name."""
        base = f"{self.services_out}/{self.folder}"
        found = {
            f"{base}/{name}": template
            for name, template in SKELETON_TEMPLATES.items()
            if name not in self.flavour.skipped
        }
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


def _request_param(method: Method) -> str:
    return "request_iterator" if method.client_streaming else "request"


def _signature(
    method: Method, request: str, response: str, *, aio: bool, indent: str = "    "
) -> str:
    param = _request_param(method)
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


def service_packages(
    model: Model,
    services_out: str,
    flavours: Mapping[str, Flavour] | None = None,
    *,
    keep: Callable[[str], bool] | None = None,
) -> list[ServicePackage]:
    """One skeleton package per proto package that declares services, in a stable order
    (``keep``: only the proto packages it accepts, named as among all of them).

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
        if keep is not None and not keep(package):
            continue
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
                        kind=method.kind,
                        request_param=_request_param(method),
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
                serving=serving_module(services_out),
                flavour=(flavours or {}).get(package, Flavour.BOTH),
            )
        )
    return result


def own_rule(
    model: Model, *, org: str = "", implement: Sequence[str] | None = None
) -> Callable[[str], bool] | None:
    """Which proto packages this repository implements: ``implement`` (proto package
    patterns) decides when given; otherwise the repository's org does: the ``org`` setting, or
    the one org every contract belongs to. None: a tree of several orgs (other people's APIs
    beside one's own), which gets no skeletons until one of them names its own."""
    if implement is not None:
        patterns = tuple(implement)
        return lambda package: any(_matches(package, pattern) for pattern in patterns)
    orgs = sorted({f.package.split(".")[0] for f in model.files if f.package})
    own = org or (orgs[0] if len(orgs) == 1 else "")
    if own:
        return lambda package: _matches(package, own)
    return None


def several_orgs_note(model: Model) -> str | None:
    """What to tell a user whose tree of several orgs got no skeletons (None: no services)."""
    count = len({s.package for s in model.services})
    if not count:
        return None
    orgs = sorted({f.package.split(".")[0] for f in model.files if f.package})
    shown = ", ".join(orgs[:5]) + (", ..." if len(orgs) > 5 else "")
    return (
        f"{count} proto packages with services belong to {len(orgs)} orgs ({shown}), so "
        "no servicer skeletons were created; name the packages you implement with "
        '[tool.protokit] implement = ["<org>.*"] (or set org)'
    )


def _matches(package: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(package, pattern) or package.startswith(f"{pattern}.")
