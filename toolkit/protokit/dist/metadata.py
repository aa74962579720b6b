"""What each stub distribution holds and needs, derived from the model and the generated files.

- **which files**: the generated modules of its proto packages (``_pb2.py``, ``.pyi``,
  ``_pb2_grpc.py``/``.pyi``), their packages' ``__init__.py`` and ``py.typed``, the ``.proto``
  sources, and its descriptor image (``<module>/image.binpb``: its files and their imports);
- **which floors**: protobuf from the runtime version the ``_pb2.py`` files validate at import
  (``ValidateProtobufRuntimeVersion``), below the next major; grpcio from the
  ``GRPC_GENERATED_VERSION`` the ``_pb2_grpc.py`` files check. Read from the files, so the
  metadata says exactly what the code will demand;
- **which dependencies**: an import of ``google/api``, ``google/rpc`` or ``google/type`` (and
  the other folders googleapis-common-protos ships) becomes a dependency on it, never a copy;
  ``google/protobuf`` is the runtime's; an import of another distribution's package becomes a
  dependency on that distribution.

``[tool.protokit] distributions`` maps proto packages to distributions (one per domain); without
it every package goes into the one ``stubs_distribution``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError
from protokit.core.naming import WELL_KNOWN_PREFIX
from protokit.core.workspace import PYPROJECT, Workspace
from protokit.gen.distribution import distribution_name
from protokit.gen.model import Model, ProtoFile, RpcKind
from protokit.tools.toolchain import parse_version

IMAGE_NAME = "image.binpb"
"""The descriptor image inside a wheel: ``<module>/image.binpb`` (``acme_contracts/...``)."""

GOOGLEAPIS = "googleapis-common-protos"
GOOGLEAPIS_FLOOR = "1.70"
"""A googleapis-common-protos that ships the google.api, google.rpc and google.type modules for
protobuf 6 and later; the protobuf floor itself comes from this distribution's own gencode."""

# Imports the googleapis-common-protos wheel provides (its google/ folders).
_GOOGLEAPIS_FOLDERS = (
    "google/api/",
    "google/rpc/",
    "google/type/",
    "google/longrunning/",
    "google/logging/type/",
    "google/cloud/extended_operations",
    "google/cloud/location/",
)

_VALIDATE = re.compile(
    rb"ValidateProtobufRuntimeVersion\(\s*_runtime_version\.Domain\.PUBLIC,\s*"
    rb"(\d+),\s*(\d+),\s*(\d+),\s*'([^']*)'"
)
_GRPC_GENERATED = re.compile(rb"^GRPC_GENERATED_VERSION = '([^']+)'$", re.M)

KIND_LABELS = {
    RpcKind.UNARY_UNARY: "unary",
    RpcKind.UNARY_STREAM: "server streaming",
    RpcKind.STREAM_UNARY: "client streaming",
    RpcKind.STREAM_STREAM: "bidirectional streaming",
}


@dataclass(frozen=True)
class Floors:
    """The oldest runtimes the generated files accept, as they check it at import."""

    protobuf: str
    grpcio: str | None  # None when the distribution has no services (no _pb2_grpc.py)

    @property
    def protobuf_ceiling(self) -> str:
        return str(parse_version(self.protobuf)[0] + 1)


@dataclass(frozen=True)
class Rpc:
    name: str
    kind: str  # unary, server streaming, ...
    input: str
    output: str


@dataclass(frozen=True)
class ServiceInfo:
    full_name: str
    module: str  # the module holding its stub: acme.user.v1.user_service_pb2_grpc
    rpcs: tuple[Rpc, ...]


@dataclass(frozen=True)
class DistPlan:
    """One distribution: its name, import-safe module name, files (path in the project -> bytes),
    floors and dependencies."""

    name: str
    module: str  # acme_contracts: holds the descriptor image
    packages: tuple[str, ...]  # proto packages
    services: tuple[ServiceInfo, ...]
    files: Mapping[str, bytes]
    top_levels: tuple[str, ...]  # import roots it adds to (acme, acme_contracts)
    floors: Floors
    requires: tuple[str, ...]  # other distributions of this repository it imports
    googleapis: bool

    def dependencies(self, version: str) -> list[str]:
        deps = [f"protobuf>={self.floors.protobuf},<{self.floors.protobuf_ceiling}"]
        if self.floors.grpcio:
            deps.append(f"grpcio>={self.floors.grpcio}")
        if self.googleapis:
            deps.append(f"{GOOGLEAPIS}>={GOOGLEAPIS_FLOOR},<2")
        deps.extend(f"{name}>={version}" for name in self.requires)
        return deps


def module_name(distribution: str) -> str:
    """The import-safe name of a distribution: ``acme-contracts`` -> ``acme_contracts``."""
    return re.sub(r"[-_.]+", "_", distribution).lower()


def plan_distributions(ws: Workspace, image: Image, model: Model) -> list[DistPlan]:
    """The distributions this repository ships, each with its files read from the generated tree."""
    stubs = ws.path(ws.settings.stubs_out)
    shipped = [f for f in model.files if not f.name.startswith("google/")]
    if not shipped:
        raise ProtokitError("the contracts declare no package outside google/: nothing to ship")
    owner = _assign(ws, model, shipped)
    by_name = {f.name: f for f in shipped}
    plans: list[DistPlan] = []
    for dist in sorted(set(owner.values())):
        protos = [f for f in shipped if owner[f.name] == dist]
        files: dict[str, bytes] = {}
        requires: set[str] = set()
        googleapis = False
        for proto in protos:
            for rel in _module_files(proto):
                files[rel] = _read_generated(ws, stubs, rel)
            disk = image.disk_paths.get(proto.name, proto.name)
            files[proto.name] = _read_source(ws, disk)
            for dep in proto.dependencies:
                if dep in by_name:
                    if owner[dep] != dist:
                        requires.add(owner[dep])
                elif dep.startswith(WELL_KNOWN_PREFIX):
                    continue
                elif dep.startswith(_GOOGLEAPIS_FOLDERS):
                    googleapis = True
                else:
                    raise ProtokitError(
                        f"{proto.name} imports {dep}, which no distribution of this repository "
                        "ships and no known runtime package provides; add it to the contracts"
                    )
        module = module_name(dist)
        for folder in sorted({str(PurePosixPath(f.module_path).parent) for f in protos}):
            for marker in ("__init__.py", "py.typed"):
                rel = f"{folder}/{marker}"
                files[rel] = _read_generated(ws, stubs, rel)
        files[f"{module}/__init__.py"] = (
            f'"""The descriptor image of the {dist} distribution: '
            f'``importlib.resources.files(__name__) / "{IMAGE_NAME}"``."""\n'
        ).encode()
        files[f"{module}/{IMAGE_NAME}"] = image.serialize_closure(p.name for p in protos)
        floors = read_floors(files)
        tops = sorted({rel.split("/")[0] for rel in files if "/" in rel})
        plans.append(
            DistPlan(
                name=dist,
                module=module,
                packages=tuple(sorted({p.package for p in protos if p.package})),
                services=tuple(_services(protos)),
                files=dict(sorted(files.items())),
                top_levels=tuple(tops),
                floors=floors,
                requires=tuple(sorted(requires)),
                googleapis=googleapis,
            )
        )
    _check_acyclic(plans)
    return plans


def read_floors(files: Mapping[str, bytes]) -> Floors:
    """The protobuf and grpcio versions the generated modules check when imported."""
    protobuf: tuple[int, ...] = ()
    grpcio: tuple[int, ...] = ()
    for rel, data in files.items():
        if rel.endswith("_pb2.py"):
            match = _VALIDATE.search(data)
            if match is None:
                raise ProtokitError(
                    "generated module has no ValidateProtobufRuntimeVersion call: it was not "
                    "generated by grpcio-tools; run `protokit gen`",
                    path=rel,
                )
            found = tuple(int(g) for g in match.groups()[:3])
            protobuf = max(protobuf, found)
        elif rel.endswith("_pb2_grpc.py"):
            grpc_match = _GRPC_GENERATED.search(data)
            if grpc_match is None:
                raise ProtokitError(
                    "generated gRPC module has no GRPC_GENERATED_VERSION; run `protokit gen`",
                    path=rel,
                )
            grpcio = max(grpcio, parse_version(grpc_match.group(1).decode("ascii")))
    if not protobuf:
        raise ProtokitError("no generated _pb2.py module to ship; run `protokit gen`")
    return Floors(
        protobuf=".".join(map(str, protobuf)),
        grpcio=".".join(map(str, grpcio)) if grpcio else None,
    )


def _assign(ws: Workspace, model: Model, shipped: list[ProtoFile]) -> dict[str, str]:
    """proto file -> distribution name."""
    mapping = ws.settings.distributions
    if not mapping:
        name = ws.settings.stubs_distribution or distribution_name(model)
        return {f.name: name for f in shipped}
    owner: dict[str, str] = {}
    for proto in shipped:
        hits = [dist for dist, patterns in mapping.items() if _matches(proto.package, patterns)]
        if not hits:
            raise ProtokitError(
                f"proto package {proto.package or '(none)'} ({proto.name}) is in no distribution "
                "of [tool.protokit] distributions; add it to one",
                path=PYPROJECT,
            )
        if len(hits) > 1:
            raise ProtokitError(
                f"proto package {proto.package} is in two distributions of [tool.protokit] "
                f"distributions ({hits[0]}, {hits[1]}); keep it in one",
                path=PYPROJECT,
            )
        owner[proto.name] = hits[0]
    return owner


def _matches(package: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith(".*"):
            prefix = pattern[:-2]
            if package == prefix or package.startswith(prefix + "."):
                return True
        elif package == pattern:
            return True
    return False


def _module_files(proto: ProtoFile) -> list[str]:
    rels = [f"{proto.module_path}.py", f"{proto.module_path}.pyi"]
    if proto.services:
        rels += [f"{proto.grpc_module_path}.py", f"{proto.grpc_module_path}.pyi"]
    return rels


def _read_generated(ws: Workspace, stubs: Path, rel: str) -> bytes:
    path = stubs / rel
    shown = f"{ws.settings.stubs_out}/{rel}"
    if not path.is_file() or path.is_symlink():
        raise ProtokitError("generated file is missing; run `protokit gen`", path=shown)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ProtokitError(f"cannot read generated file: {exc.strerror}", path=shown) from exc


def _read_source(ws: Workspace, rel: str) -> bytes:
    path = ws.root / rel
    if not path.is_file() or path.is_symlink():
        raise ProtokitError("contract source is missing or not a regular file", path=rel)
    return path.read_bytes()


def _services(protos: Iterable[ProtoFile]) -> list[ServiceInfo]:
    found: list[ServiceInfo] = []
    for proto in protos:
        for service in proto.services:
            rpcs = tuple(
                Rpc(m.name, KIND_LABELS[m.kind], m.input.full_name, m.output.full_name)
                for m in service.methods
            )
            found.append(ServiceInfo(service.full_name, proto.grpc_module, rpcs))
    return sorted(found, key=lambda s: s.full_name)


def _check_acyclic(plans: list[DistPlan]) -> None:
    """Distributions that import each other cannot be installed one without the other."""
    requires = {p.name: set(p.requires) for p in plans}
    for plan in plans:
        for other in plan.requires:
            if plan.name in requires.get(other, set()):
                raise ProtokitError(
                    f"distributions {plan.name} and {other} import each other's packages; "
                    "put those packages in one distribution in [tool.protokit] distributions",
                    path=PYPROJECT,
                )
