"""The render stage for stubs: protoc's batches, protokit's gRPC modules and the distribution
files, all in memory; or the previous run's files when they are intact and nothing changed."""

from __future__ import annotations

import ast
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor

import jinja2

from protokit.core.descriptors import Image
from protokit.core.docstrings import docstrings_intact, triple_quotes_in_comments
from protokit.core.errors import ProtokitError
from protokit.core.manifest import Manifest, sha256
from protokit.core.naming import WELL_KNOWN_PREFIX
from protokit.core.paths import read_regular
from protokit.core.templates import builtin_twin, environment, is_builtin, render
from protokit.core.workspace import Workspace
from protokit.core.writer import OutputFile
from protokit.gen.distribution import PYPROJECT_TEMPLATE, distribution_files
from protokit.gen.model import Model
from protokit.gen.stubs import ProtocOutput, run_protoc_batches
from protokit.tools.toolchain import dist_version, gencode_version, parse_version

__all__ = [
    "GRPC_TEMPLATE",
    "STUB_TEMPLATES",
    "intact_outputs",
    "render_stubs",
    "stub_environment",
    "stub_targets",
    "template_source",
]

GRPC_TEMPLATE = "gen/pb2_grpc.py.j2"
STUB_TEMPLATES = (GRPC_TEMPLATE, PYPROJECT_TEMPLATE)


def _pystr(value: object) -> str:
    return repr(str(value))


def stub_environment(ws: Workspace) -> jinja2.Environment:
    env = environment(ws.path(ws.settings.templates))
    env.filters["pystr"] = _pystr
    return env


def template_source(env: jinja2.Environment, name: str) -> str:
    assert env.loader is not None
    try:
        source, _, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound as exc:
        raise ProtokitError(
            f"template {name!r} not found in the repository or the built-ins"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ProtokitError(f"template {name!r} is not UTF-8 text") from exc
    return source


def _floor(version: str | None, fallback: str) -> str:
    if not version:
        return fallback
    return ".".join(str(p) for p in parse_version(version)[:3])


def render_stubs(
    ws: Workspace,
    image: Image,
    model: Model,
    env: jinja2.Environment,
    stubs_out: str,
    *,
    only: Collection[str] | None = None,
    modules: bool = True,
    gencode: str | None = None,
    pending: Future[ProtocOutput] | None = None,
    package_files: bool = True,
) -> tuple[list[OutputFile], str, int, frozenset[str]]:
    """protoc once per batch, protokit's gRPC modules, package files and ``pyproject.toml``
    (``only``: the stubs of just these files, with the package files of all; ``modules=False``:
    not their ``_pb2.py``, which the caller keeps, with the ``gencode`` version they carry;
    ``pending``: the batches of ``stub_targets(image)``, started by the caller before it built
    the model; ``package_files=False``: not the package files and ``pyproject.toml``, which the
    caller keeps)."""
    protos = [f for f in model.files if only is None or f.name in only]
    names = [f.name for f in protos]
    if pending is not None and (only is not None or not modules or names != stub_targets(image)):
        pending = None  # not these files' batches: this run starts its own
    with ThreadPoolExecutor(1) as pool:
        # protoc's batches run (in their own processes) while protokit renders and parses its
        # own gRPC modules here.
        if pending is None:
            pending = pool.submit(run_protoc_batches, image, names, modules=modules)
        grpc_version = _floor(dist_version("grpcio-tools"), "1.0.0")
        builtin = is_builtin(env, GRPC_TEMPLATE)
        grpc_env = builtin_twin(env) if builtin else env
        own: dict[str, bytes] = {}
        for proto in protos:
            if proto.services:
                text = render(grpc_env, GRPC_TEMPLATE, file=proto, grpc_version=grpc_version)
                own[f"{proto.grpc_module_path}.py"] = text.encode("utf-8")
        # protokit's own template places checked names and escaped docstrings: what its shape
        # proves intact needs no parse. A repository's own template is parsed whatever it gives.
        descriptors = {f.name: f for f in image.files}
        own_parsed = {
            f"{proto.grpc_module_path}.py"
            for proto in protos
            if (rel := f"{proto.grpc_module_path}.py") in own
            and (
                (
                    builtin
                    and not triple_quotes_in_comments(descriptors[proto.name])
                    and docstrings_intact(own[rel].decode("utf-8"))
                )
                or _parses(own[rel], rel)
            )
        }
        protoc = pending.result()
    by_module_path = {f.module_path: f for f in model.files}
    outputs: dict[str, bytes] = {}
    for rel, data in protoc.files.items():
        if rel.startswith(WELL_KNOWN_PREFIX):
            continue  # the well-known types come from the protobuf runtime
        if rel.endswith("_pb2_grpc.pyi"):
            owner = by_module_path.get(rel.removesuffix("_grpc.pyi"))
            if owner is None or not owner.services:
                continue  # no services, no gRPC module
        outputs[rel] = data
    outputs.update(own)
    gencode = protoc.gencode or gencode or gencode_version()
    files = [OutputFile(f"{stubs_out}/{rel}", data) for rel, data in sorted(outputs.items())]
    if package_files:
        files.extend(
            distribution_files(
                env,
                model,
                stubs_out,
                name=ws.settings.stubs_distribution,
                gencode=gencode,
                grpc_version=grpc_version,
            )
        )
    parsed = frozenset(f"{stubs_out}/{rel}" for rel in protoc.parsed | own_parsed)
    return files, gencode, protoc.runs, parsed


def stub_targets(image: Image) -> list[str]:
    """The files a full run generates stubs for: the model's files (the image's targets but
    copies of well-known types, which the runtime has), by name."""
    return sorted(t for t in image.targets if not t.startswith(WELL_KNOWN_PREFIX))


def _parses(data: bytes, name: str) -> bool:
    """Whether ``data`` is valid Python (the verify stage reports the ones that are not)."""
    try:
        ast.parse(data, filename=name)
    except (SyntaxError, ValueError):
        return False
    return True


def intact_outputs(ws: Workspace, previous: Manifest) -> list[OutputFile] | None:
    """The previous run's files as outputs, if every one is on disk unchanged; else None."""
    outputs: list[OutputFile] = []
    for rel, digest in sorted(previous.files.items()):
        try:
            data = read_regular(ws.path(rel), shown=rel)
        except (OSError, ProtokitError):
            return None
        if sha256(data) != digest:
            return None
        outputs.append(OutputFile(rel, data))
    return outputs
