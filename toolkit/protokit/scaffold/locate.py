"""Where a new service goes in a repository: its package, buf module, answers file, and what
is already in the way. Read-only: nothing here writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError, UsageError
from protokit.core.naming import ProtoCase, proto_name_problem, shadowing
from protokit.core.paths import read_regular
from protokit.core.workspace import Workspace
from protokit.gen.skeletons import ServicePackage
from protokit.scaffold.answers import DEFAULT_VERSION, Answers, RpcSpec, ordered, validate

__all__ = [
    "ANSWERS_NAME",
    "BACKUPS",
    "answers_path",
    "backup_root",
    "default_package",
    "existing_service_files",
    "in_the_way",
    "join",
    "module_dir",
    "recorded",
    "resolve_answers",
    "top_level_problem",
]

ANSWERS_NAME = ".protokit-answers.json"
BACKUPS = ".protokit/backups"
# Top-level Python packages the stubs must not take besides the standard library's and the
# runtime's: the namespaces and tools a generated service imports.
_TAKEN_TOP_LEVELS = frozenset(
    {"google", "grpc_health", "grpc_reflection", "grpc_status", "grpc_tools", "pytest", "tests"}
)


def join(*parts: str) -> str:
    return PurePosixPath(*[p for p in parts if p not in ("", ".")]).as_posix()


def orgs(image: Image) -> list[str]:
    return sorted(
        {f.package.split(".")[0] for f in image.target_files() if f.package and "." in f.package}
    )


def default_package(ws: Workspace, image: Image, name: str, version: str | None) -> str:
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
        known = orgs(image)
        if len(known) != 1:
            found = f"use several orgs ({', '.join(known)})" if known else "have no package yet"
            raise UsageError(
                f"the contracts {found}, so new-service cannot tell the package; pass "
                f"--package <org>.{name}.{version or DEFAULT_VERSION} or set org in "
                "[tool.protokit]"
            )
        org = known[0]
    return f"{org}.{name}.{version or DEFAULT_VERSION}"


def module_dir(modules: Sequence[str], image: Image, package: str) -> str:
    """The buf module the contract goes in: the only one, or the first holding the org."""
    if not modules:
        raise ProtokitError("buf.yaml declares no module to add a contract to", path="buf.yaml")
    if len(modules) == 1:
        return modules[0]
    org = package.split(".")[0]
    for module in modules:
        prefix = join(module, "x")[:-1]
        for proto in image.target_files():
            disk = image.disk_paths.get(proto.name, proto.name)
            if proto.package.split(".")[0] == org and disk.startswith(prefix):
                return module
    return modules[0]


def answers_path(module: str, package: str) -> str:
    return join(module, package.replace(".", "/"), ANSWERS_NAME)


def recorded(
    ws: Workspace, modules: Sequence[str], image: Image, name: str, package: str, explicit: bool
) -> tuple[str, Answers] | None:
    """The answers an earlier run recorded for ``name``: at the package's own place, or (when
    neither --package nor --version says which) the only scaffold of that name anywhere."""
    rel = answers_path(module_dir(modules, image, package), package)
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


def top_level_problem(package: str, image: Image, services_out: str) -> str | None:
    """A new top-level Python package (the stubs' first package part) must not shadow the
    standard library, the gRPC runtime or this repository's own top-level folders."""
    top = package.split(".")[0]
    if top in orgs(image):
        return None  # already the stubs' top level
    shadowed = shadowing(top, _TAKEN_TOP_LEVELS | {services_out.split("/")[0]})
    if shadowed is None:
        return None
    return (
        f"package {package!r} would make {top!r} a top-level Python package of the stubs, "
        f"shadowing {shadowed}; put an org first, such as --package 'acme.{package}'"
    )


def in_the_way(root: Path, rel: str) -> str | None:
    """A file where a folder of ``rel`` must go."""
    parts = PurePosixPath(rel).parts
    for i in range(1, len(parts)):
        parent = root.joinpath(*parts[:i])
        if parent.exists() and not parent.is_dir():
            return PurePosixPath(*parts[:i]).as_posix()
    return None


def backup_root(root: Path) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    candidate, n = f"{BACKUPS}/{stamp}", 1
    while (root / candidate).exists():
        n += 1
        candidate = f"{BACKUPS}/{stamp}-{n}"
    return candidate


def existing_service_files(ws: Workspace, pkg: ServicePackage, services_out: str) -> list[str]:
    """Skeleton and starter-test files (or a non-empty servicer folder) already on disk."""
    found = [rel for rel in pkg.paths() if ws.path(rel).exists()]
    folder = ws.path(f"{services_out}/{pkg.folder}")
    if not found and folder.is_dir() and any(folder.iterdir()):
        found.append(f"{services_out}/{pkg.folder}/")
    return sorted(found)


def resolve_answers(
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
    resolved = package or default_package(ws, image, name, version)
    notes: list[str] = []
    answers: Answers | None = None
    if not rpcs:
        explicit = package is not None or version is not None
        found = recorded(ws, modules, image, name, resolved, explicit)
        if found is not None:
            rel, answers = found
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
