"""``protokit build``: the stub distributions as wheels and sdists, reproducibly.

Each distribution's files (see ``metadata``) are copied into a temporary project folder with a
``pyproject.toml`` and README rendered for this version (build-time metadata: the repository's
``gen/python/pyproject.toml`` keeps its development version), then built there with
``python -m build`` and hatchling. Nothing is built in the source tree.

Reproducible with no environment variable: ``SOURCE_DATE_EPOCH`` is the commit's timestamp (the
release tag's commit on a tag), hatchling sorts entries and normalises modes, and every copied
file gets mode 0644; so one commit gives byte-identical files.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from protokit.core.errors import ProtokitError, UsageError
from protokit.core.manifest import Manifest, sha256
from protokit.core.templates import environment, render
from protokit.core.workspace import PYPROJECT, Workspace
from protokit.core.writer import OutputFile, apply, plan_outputs
from protokit.dist.metadata import IMAGE_NAME, DistPlan, plan_distributions
from protokit.dist.version import DerivedVersion, derive_version
from protokit.gen.distribution import PYTHON_FLOOR
from protokit.gen.model_build import build_model
from protokit.gen.pipeline import run_gen
from protokit.tools import git, pypa
from protokit.tools.image import build_image
from protokit.tools.toolchain import parse_version

PYPROJECT_TEMPLATE = "dist/pyproject.toml.j2"
README_TEMPLATE = "dist/README.md.j2"
DEFAULT_OUT = "dist"
BUILD_WORKERS = 2
DEFAULT_EPOCH = 315532800  # 1980-01-01, the oldest time a zip entry can hold
LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING", "NOTICE")
_ARTIFACT = re.compile(r"^(?P<module>[A-Za-z0-9_.]+)-(?P<version>[^-]+)(?:-.+\.whl|\.tar\.gz)$")


@dataclass(frozen=True)
class BuildResult:
    version: DerivedVersion
    files: tuple[str, ...]  # relative to the workspace root
    distributions: tuple[str, ...]


def run_build(
    ws: Workspace,
    *,
    version: str | None = None,
    out: str | None = None,
    local: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> BuildResult:
    """Build every distribution of the repository into ``out`` (default ``dist/``)."""
    out_rel = _out_folder(ws, out)
    image = build_image(ws)
    stale = run_gen(ws, check=True, services=False).stale
    if stale:
        raise ProtokitError(
            f"{len(stale)} generated file(s) in {ws.settings.stubs_out} are stale ({stale[0]}); "
            "run `protokit gen` and commit the result before building"
        )
    model = build_model(image)
    plans = plan_distributions(ws, image, model)
    derived = derive_version(ws, image, version, local=local)
    log(f"version {derived.version} ({derived.reason})")
    epoch = _epoch(ws)
    _check_out_folder(ws, out_rel, plans)
    license_expr, license_files = _license(ws)
    env = environment(ws.path(ws.settings.templates))
    built: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="protokit-build-") as tmp:
        projects: list[tuple[DistPlan, Path, Path]] = []
        for plan in plans:
            project = Path(tmp) / plan.module / "project"
            files = dict(plan.files)
            files["README.md"] = render(
                env, README_TEMPLATE, dist=plan, version=derived.version, image_name=IMAGE_NAME
            ).encode()
            files[PYPROJECT] = render(
                env,
                PYPROJECT_TEMPLATE,
                dist=plan,
                version=derived.version,
                description=_description(plan),
                python_floor=PYTHON_FLOOR,
                license=license_expr,
                license_files=[name for name, _ in license_files],
                dependencies=plan.dependencies(derived.version),
                typing=_typing_extra(plan),
            ).encode()
            files.update(license_files)
            _write_tree(project, files)
            projects.append((plan, project, Path(tmp) / plan.module / "out"))
        log(f"building {', '.join(p.name for p in plans)} {derived.version}")
        # Each build is its own process; two at a time keeps per-domain builds short.
        with ThreadPoolExecutor(min(len(projects), BUILD_WORKERS)) as pool:
            procs = list(
                pool.map(lambda job: pypa.build_distributions(job[1], job[2], epoch), projects)
            )
        for (plan, _, wheels), proc in zip(projects, procs, strict=True):
            if proc.returncode != 0:
                raise ProtokitError(f"building {plan.name} failed: {pypa.last_line(proc)}")
            for artifact in sorted(wheels.iterdir()):
                built[f"{out_rel}/{artifact.name}"] = artifact.read_bytes()
    _publish_to_out(ws, out_rel, built, plans)
    return BuildResult(derived, tuple(sorted(built)), tuple(p.name for p in plans))


def artifact_module(name: str) -> str | None:
    """The distribution module (``acme_contracts``) a wheel or sdist file name belongs to."""
    match = _ARTIFACT.match(name)
    return match.group("module").lower() if match else None


def _out_folder(ws: Workspace, out: str | None) -> str:
    folder = (ws.root / (out or DEFAULT_OUT)).resolve()
    try:
        rel = folder.relative_to(ws.root.resolve()).as_posix()
    except ValueError as exc:
        raise UsageError(f"--out {out} is outside the workspace {ws.root}") from exc
    if rel == ".":
        raise UsageError("--out is the workspace root; give the builds a folder of their own")
    stubs = ws.settings.stubs_out.rstrip("/")
    if rel == stubs or rel.startswith(stubs + "/"):
        raise UsageError(f"--out {out} is inside the generated stubs ({stubs})")
    if folder.exists() and not folder.is_dir():
        raise ProtokitError("--out is a file, not a folder", path=rel)
    return rel


def _check_out_folder(ws: Workspace, out_rel: str, plans: list[DistPlan]) -> None:
    """The out folder holds builds of these distributions only (``publish`` uploads it whole)."""
    folder = ws.root / out_rel
    if not folder.is_dir():
        return
    ours = {p.module for p in plans}
    foreign = sorted(
        p.name
        for p in folder.iterdir()
        if not (p.is_file() and not p.is_symlink() and artifact_module(p.name) in ours)
    )
    if foreign:
        raise ProtokitError(
            f"the build folder holds files that are not builds of {', '.join(sorted(ours))} "
            f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); move them away "
            "or pass --out another folder",
            path=out_rel,
        )


def _publish_to_out(
    ws: Workspace, out_rel: str, built: dict[str, bytes], plans: list[DistPlan]
) -> None:
    """Write the new files and remove earlier builds of the same distributions, atomically."""
    folder = ws.root / out_rel
    ours = {p.module for p in plans}
    earlier: dict[str, str] = {}
    if folder.is_dir():
        for path in folder.iterdir():
            rel = f"{out_rel}/{path.name}"
            if artifact_module(path.name) in ours and rel not in built:
                earlier[rel] = sha256(path.read_bytes())
    plan = plan_outputs(
        ws.root,
        [OutputFile(rel, data) for rel, data in sorted(built.items())],
        previous=Manifest(files=earlier) if earlier else None,
    )
    apply(plan)


def _write_tree(project: Path, files: dict[str, bytes]) -> None:
    for rel, data in sorted(files.items()):
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o644)


def _epoch(ws: Workspace) -> int:
    """The commit's timestamp: the same commit always gives the same archive timestamps."""
    if git.toplevel(ws.root) is None:
        return DEFAULT_EPOCH
    return max(git.commit_time(ws.root), DEFAULT_EPOCH)


def _license(ws: Workspace) -> tuple[str, list[tuple[str, bytes]]]:
    """The workspace's ``[project] license`` (an SPDX expression) and its license files."""
    expression = ""
    pyproject = ws.root / PYPROJECT
    if pyproject.is_file():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ProtokitError(f"invalid TOML: {exc}", path=PYPROJECT) from exc
        value = project.get("license") if isinstance(project, dict) else None
        if isinstance(value, str):
            expression = value
    files = [
        (name, (ws.root / name).read_bytes())
        for name in LICENSE_NAMES
        if (ws.root / name).is_file() and not (ws.root / name).is_symlink()
    ]
    return expression, files


def _description(plan: DistPlan) -> str:
    return f"Generated Protobuf and gRPC stubs for the {', '.join(plan.packages)} contracts."


def _typing_extra(plan: DistPlan) -> list[str]:
    """typeshed's stubs are versioned after the library they describe."""

    def minor(version: str) -> str:
        return ".".join(map(str, parse_version(version)[:2]))

    extra = [f"types-protobuf>={minor(plan.floors.protobuf)}"]
    if plan.floors.grpcio:
        extra.append(f"types-grpcio>={minor(plan.floors.grpcio)}")
    return extra
