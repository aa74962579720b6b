"""What ``protokit new-service`` is asked for, and the contract it renders from that.

``Answers`` (service name, package, RPCs with their kinds) are validated here before anything
else happens: a bad name or flag is a ``UsageError`` (exit 2) whose message says why and what
would be accepted. ``build_scaffold`` turns valid answers into the frozen model the contract
template places, every element's comment included. Nothing here reads or writes files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from protokit.core.errors import ProtokitError, UsageError
from protokit.core.naming import ProtoCase, find_collisions, proto_name_problem, snake_case
from protokit.core.paths import load_json
from protokit.gen.model import RpcKind

__all__ = [
    "DEFAULT_VERSION",
    "Answers",
    "ProtoMessage",
    "ProtoRpc",
    "RpcSpec",
    "Scaffold",
    "Shape",
    "build_scaffold",
    "ordered",
    "rpc_name_problem",
    "validate",
    "version_ok",
]

ANSWERS_VERSION = 1
MAX_SERVICE_NAME = 40  # file names (test_<name>_service.py) stay readable
MAX_RPC_NAME = 64
DEFAULT_VERSION = "v1"
_VERSION = re.compile(r"v[1-9][0-9]{0,8}(?:(?:alpha|beta)[1-9][0-9]{0,8})?", re.ASCII)


def version_ok(version: str) -> bool:
    """A package version new-service accepts (v1, v2, v1alpha1, v1beta1...)."""
    return _VERSION.fullmatch(version) is not None


class Shape(Enum):
    """The four RPC flags, as recorded in the answers file."""

    UNARY = "unary"
    SERVER_STREAM = "server_stream"
    CLIENT_STREAM = "client_stream"
    BIDI = "bidi"

    @property
    def flag(self) -> str:
        return "--" + self.value.replace("_", "-")

    @property
    def kind(self) -> RpcKind:
        return {
            Shape.UNARY: RpcKind.UNARY_UNARY,
            Shape.SERVER_STREAM: RpcKind.UNARY_STREAM,
            Shape.CLIENT_STREAM: RpcKind.STREAM_UNARY,
            Shape.BIDI: RpcKind.STREAM_STREAM,
        }[self]


@dataclass(frozen=True)
class RpcSpec:
    name: str
    shape: Shape


@dataclass(frozen=True)
class Answers:
    """What a scaffold was made from; enough to make it again."""

    name: str
    package: str
    rpcs: tuple[RpcSpec, ...]

    def dumps(self) -> bytes:
        data = {
            "version": ANSWERS_VERSION,
            "generator": "protokit new-service",
            "name": self.name,
            "package": self.package,
            "rpcs": [{"name": r.name, "kind": r.shape.value} for r in self.rpcs],
        }
        return (json.dumps(data, indent=2) + "\n").encode("utf-8")

    @classmethod
    def loads(cls, data: bytes, *, path: str) -> Answers:
        try:
            raw = load_json(data, shown=path, what="new-service answers")
            if not isinstance(raw, dict) or raw.get("version") != ANSWERS_VERSION:
                raise ValueError(f"expected version {ANSWERS_VERSION}")
            name, package, listed = raw.get("name"), raw.get("package"), raw.get("rpcs")
            if not isinstance(name, str) or not isinstance(package, str):
                raise ValueError("name and package must be strings")
            if not isinstance(listed, list) or not all(
                isinstance(r, dict) and isinstance(r.get("name"), str) for r in listed
            ):
                raise ValueError("rpcs must be a list of {name, kind}")
            rpcs = tuple(RpcSpec(r["name"], Shape(r.get("kind"))) for r in listed)
            return cls(name=name, package=package, rpcs=rpcs)
        except (ValueError, ProtokitError) as exc:
            detail = exc.message if isinstance(exc, ProtokitError) else str(exc)
            raise ProtokitError(
                f"unreadable new-service answers ({detail[:200]}); fix or delete the file, or "
                "pass the RPC flags again",
                path=path,
            ) from exc


# --- stage 1: answers -------------------------------------------------------------------------


def rpc_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an RPC name (PascalCase), or None."""
    return proto_name_problem(name, ProtoCase.PASCAL, what="RPC name", max_length=MAX_RPC_NAME)


def _service_name_problem(name: str) -> str | None:
    problem = proto_name_problem(
        name, ProtoCase.LOWER_SNAKE, what="service name", max_length=MAX_SERVICE_NAME
    )
    if problem is None and (name == "service" or name.endswith("_service")):
        stem = name.removesuffix("_service") or "billing"
        problem = (
            f"service name {name!r} ends in 'service', which new-service adds itself; "
            f"use {stem!r} (it gives {_pascal(stem)}Service)"
        )
    return problem


def _pascal(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def _rpc_problems(rpcs: Sequence[RpcSpec]) -> list[str]:
    problems = [p for p in (rpc_name_problem(r.name) for r in rpcs) if p]
    if problems:
        return problems
    seen: dict[str, Shape] = {}
    for rpc in rpcs:
        if rpc.name in seen:
            flags = sorted({seen[rpc.name].flag, rpc.shape.flag})
            problems.append(
                f"RPC {rpc.name} is given more than once ({' and '.join(flags)}); "
                "each RPC is named once, with one kind"
            )
        seen[rpc.name] = rpc.shape
    if problems:
        return problems
    for collision in find_collisions("", ((r.name, snake_case(r.name)) for r in rpcs)):
        problems.append(
            f"RPCs {' and '.join(collision.sources)} both become {collision.python_name!r} in "
            "Python names (the starter test's functions); rename one of them"
        )
    return problems


def _version_problem(version: str, what: str) -> str | None:
    if version_ok(version):
        return None
    return (
        f"{what} {version!r} is not a package version; expected v1, v2, ... or v1alpha1, "
        "v1beta1 (what buf's PACKAGE_VERSION_SUFFIX accepts)"
    )


def _package_problems(package: str, name: str) -> list[str]:
    parts = package.split(".")
    if len(parts) < 2:
        return [
            f"--package {package!r} needs at least '{name}.<version>', such as 'acme.{name}.v1'"
        ]
    for part in parts[:-1]:
        problem = proto_name_problem(
            part, ProtoCase.LOWER_SNAKE, what=f"in --package {package!r}, the part", max_length=40
        )
        if problem:
            return [problem]
    if not version_ok(parts[-1]):
        return [
            f"--package {package!r} does not end in a version; expected "
            f"'<org>.{name}.v1' (v1, v2, ... or v1alpha1, v1beta1)"
        ]
    problems: list[str] = []
    if parts[-2] != name:
        problems.append(
            f"--package {package!r} does not end in '{name}.{parts[-1]}': the package's last "
            f"name before the version is the service name; use --package "
            f"'{'.'.join([*parts[:-2], name, parts[-1]])}' or the service name {parts[-2]!r}"
        )
    return problems


def validate(name: str, rpcs: Sequence[RpcSpec], package: str | None, version: str | None) -> None:
    """Every problem with the command line itself, as one usage error (exit 2)."""
    service_problem = _service_name_problem(name)
    if service_problem:
        raise UsageError(service_problem)
    problems = _rpc_problems(rpcs)
    if version is not None:
        problem = _version_problem(version, "--version")
        if problem:
            problems.append(problem)
    if package is not None:
        problems.extend(_package_problems(package, name))
        if version is not None and not problems and package.rsplit(".", 1)[-1] != version:
            problems.append(
                f"--package {package!r} and --version {version!r} disagree; give one of them"
            )
    if problems:
        raise UsageError("; ".join(problems))


# --- the contract model ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtoMessage:
    name: str
    comment: tuple[str, ...]


@dataclass(frozen=True)
class ProtoRpc:
    name: str
    request: str
    response: str
    client_streaming: bool
    server_streaming: bool
    comment: tuple[str, ...]

    @property
    def request_decl(self) -> str:
        return f"stream {self.request}" if self.client_streaming else self.request

    @property
    def response_decl(self) -> str:
        return f"stream {self.response}" if self.server_streaming else self.response


@dataclass(frozen=True)
class Scaffold:
    """Everything the contract template places."""

    name: str
    package: str
    service: str  # BillingService
    import_path: str  # acme/billing/v1/billing_service.proto
    comment: tuple[str, ...]
    rpcs: tuple[ProtoRpc, ...]
    messages: tuple[ProtoMessage, ...]


_RPC_COMMENTS = {
    Shape.UNARY: "{rpc} takes one {req} and answers with one {res}.",
    Shape.SERVER_STREAM: "{rpc} takes one {req} and streams {res} messages back.",
    Shape.CLIENT_STREAM: "{rpc} reads a stream of {req} messages and answers with one {res}.",
    Shape.BIDI: "{rpc} exchanges streams of {req} and {res} messages in both directions.",
}


def build_scaffold(answers: Answers) -> Scaffold:
    service = f"{_pascal(answers.name)}Service"
    rpcs: list[ProtoRpc] = []
    messages: list[ProtoMessage] = []
    for spec in answers.rpcs:
        req, res = f"{spec.name}Request", f"{spec.name}Response"
        kind = spec.shape.kind
        rpcs.append(
            ProtoRpc(
                name=spec.name,
                request=req,
                response=res,
                client_streaming=kind.client_streaming,
                server_streaming=kind.server_streaming,
                comment=(_RPC_COMMENTS[spec.shape].format(rpc=spec.name, req=req, res=res),),
            )
        )
        sent = "one message of the stream sent to" if kind.client_streaming else "the request of"
        back = (
            "one message of the stream sent back by" if kind.server_streaming else "the answer of"
        )
        messages.append(ProtoMessage(req, (f"{req} is {sent} {service}.{spec.name}.",)))
        messages.append(ProtoMessage(res, (f"{res} is {back} {service}.{spec.name}.",)))
    package_path = answers.package.replace(".", "/")
    return Scaffold(
        name=answers.name,
        package=answers.package,
        service=service,
        import_path=f"{package_path}/{answers.name}_service.proto",
        comment=(
            f"{service} is the {answers.name.replace('_', ' ')} API of {answers.package}.",
            "Scaffolded by `protokit new-service`: say here what it offers and to whom.",
        ),
        rpcs=tuple(rpcs),
        messages=tuple(messages),
    )


def ordered(rpcs: Iterable[RpcSpec]) -> tuple[RpcSpec, ...]:
    """RPCs grouped by kind in flag order (unary, server, client, bidi), each group in the
    order given: the same flags in any order give the same contract."""
    order = list(Shape)
    return tuple(sorted(rpcs, key=lambda r: order.index(r.shape)))
