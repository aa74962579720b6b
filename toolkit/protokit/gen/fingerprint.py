"""What proves that ``gen`` has nothing to do.

Two fingerprints:

- ``inputs_digest``: the content of everything that shapes the generated stubs (what the compiled
  descriptors say, comments by path rather than by span; the generator versions, protokit's
  own generator code, the templates and the options). It is recorded in the manifest: same digest
  and intact outputs, nothing to render.
- ``Snapshot``: the stats (path, size, mtime) of every file a run reads — the ``.proto``
  files, buf's and protokit's configuration, templates, the servicer folders, the generator
  tools — plus the size and mtime of every file the run left behind. It lives in protokit's
  cache, never in the workspace. When nothing a run read or wrote has changed since, the run's
  result still holds: no ``buf build``, no protoc, nothing read but directory entries. When
  only some ``.proto`` files changed, they are the ones to compile and generate again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from protokit import __version__
from protokit.core.paths import cache_dir, read_record
from protokit.core.workspace import Workspace
from protokit.tools.buf import find_buf
from protokit.tools.toolchain import dist_version

if TYPE_CHECKING:
    from protokit.core.descriptors import Image

__all__ = [
    "Snapshot",
    "Sources",
    "folder_stamp",
    "forget_snapshot",
    "inputs_digest",
    "load_snapshot",
    "read_sources",
    "save_snapshot",
    "stat_outputs",
]

# The modules whose code shapes generated stubs: a change to any of them (an editable install
# between releases) counts as a changed input, like a new protokit version does.
_GENERATOR_MODULES = (
    "gen/pipeline.py",
    "gen/stages.py",
    "gen/rerun.py",
    "gen/model.py",
    "gen/model_build.py",
    "gen/stubs.py",
    "gen/mypy_plugin.py",
    "gen/package_map.py",
    "gen/distribution.py",
    "gen/render.py",
    "core/naming.py",
    "core/docstrings.py",
    "core/descriptors.py",
    "core/sourcemap.py",
    "core/templates.py",
    "core/writer.py",
    "core/manifest.py",
    "core/atomic.py",
)
_TOOLS = ("grpcio-tools", "mypy-protobuf", "protobuf", "grpcio")
_CONFIG_FILES = ("buf.yaml", "buf.lock", "buf.work.yaml", "buf.gen.yaml", "pyproject.toml")


def code_digest() -> str:
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for name in _GENERATOR_MODULES:
        digest.update(name.encode() + b"\0" + (package / name).read_bytes())
    return digest.hexdigest()


def inputs_digest(
    image: Image,
    digests: Mapping[str, str],
    templates: Mapping[str, str],
    options: Mapping[str, object],
) -> str:
    """The manifest's ``inputs``: descriptors (``digests``: the image's ``file_digests``),
    generators, templates (name → source) and options, by content."""
    from protokit.core.descriptors import content_digest  # protobuf: only for a run that renders

    digest = hashlib.sha256()
    digest.update(content_digest(digests).encode())
    facts = {
        "protokit": __version__,
        "protokit-code": code_digest(),
        "grpcio-tools": dist_version("grpcio-tools") or "",
        "mypy-protobuf": dist_version("mypy-protobuf") or "",
        "targets": list(image.targets),
        **options,
        "templates": {
            name: hashlib.sha256(source.encode()).hexdigest() for name, source in templates.items()
        },
    }
    digest.update(json.dumps(facts, sort_keys=True).encode())
    return digest.hexdigest()


# --- the stat snapshot ---------------------------------------------------------------------


def _stat_line(path: Path, rel: str) -> str:
    try:
        info = path.stat()
    except OSError:
        return f"{rel}\0-"
    return f"{rel}\0{info.st_size}\0{info.st_mtime_ns}"


def _walk(root: Path, folder: str, suffix: str | None) -> dict[str, list[int]]:
    """``rel → [size, mtime_ns]`` for every regular file under ``root/folder``."""
    found: dict[str, list[int]] = {}
    base = str(root)
    cut = len(os.path.join(base, ""))  # entry paths are base/rel: strings, no parsing
    stack = [os.path.normpath(os.path.join(base, folder))]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    stack.append(entry.path)
            elif entry.is_file() and (suffix is None or entry.name.endswith(suffix)):
                info = entry.stat()
                rel = entry.path[cut:].replace(os.sep, "/")
                found[rel] = [info.st_size, info.st_mtime_ns]
    return found


@dataclass(frozen=True)
class Sources:
    """What a gen run reads before it writes: ``facts`` (a digest of configuration, generator
    tools and code, options) and the stats of every ``.proto`` file of buf's modules."""

    facts: str
    protos: dict[str, list[int]]

    def changed(self, before: Sources) -> list[str] | None:
        """The ``.proto`` files (workspace-relative) whose stats changed since ``before``; None
        when more than file contents changed (configuration, tools, files added or removed)."""
        if self.facts != before.facts or self.protos.keys() != before.protos.keys():
            return None
        return sorted(rel for rel, stat in self.protos.items() if before.protos[rel] != stat)


def read_sources(ws: Workspace, modules: Sequence[str], options: Mapping[str, object]) -> Sources:
    """The stats of everything a gen run reads before it writes (``modules``: buf's module
    folders): the ``.proto`` files, configuration, generator tools and code."""
    lines = [
        json.dumps(
            {"protokit": __version__, "code": code_digest(), "settings": repr(ws.settings)},
            sort_keys=True,
        ),
        json.dumps(dict(options), sort_keys=True, default=str),
        json.dumps(sorted(set(modules))),
    ]
    lines.extend(f"{name}={dist_version(name)}" for name in _TOOLS)
    buf = find_buf()
    lines.append(_stat_line(buf, str(buf)))
    lines.extend(_stat_line(ws.root / name, name) for name in _CONFIG_FILES)
    protos: dict[str, list[int]] = {}
    for module in sorted(set(modules)):
        protos.update(_walk(ws.root, module, ".proto"))
    return Sources(hashlib.sha256("\n".join(lines).encode()).hexdigest(), protos)


def folder_stamp(ws: Workspace, folders: Sequence[str]) -> str:
    """A digest of the stats of every file under ``folders`` (templates, servicers, their
    tests), taken after a run wrote into them."""
    found: dict[str, list[int]] = {}
    for folder in sorted(set(folders)):
        found.update(_walk(ws.root, folder, None))
    return hashlib.sha256(json.dumps(sorted(found.items())).encode()).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """A finished write-mode run: what it read (``stamp``), what it left (``outputs``: path →
    [size, mtime_ns], the manifest included), and what it reported."""

    sources: Sources
    folders: str  # folder_stamp after the run
    modules: list[str]
    outputs: dict[str, list[int]]
    gencode: str = ""
    warnings: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # file_digests of the run's image
    image_key: str = ""  # the image cache's key of the run's image ("": not cached)

    def outputs_intact(self, root: Path) -> bool:
        base = str(root)
        for rel, (size, mtime) in self.outputs.items():
            try:
                info = os.stat(os.path.join(base, rel))
            except OSError:
                return False
            if info.st_size != size or info.st_mtime_ns != mtime:
                return False
        return True


def _snapshot_path(ws: Workspace, stubs_out: str) -> Path:
    slot = hashlib.sha256(f"{ws.root.resolve()}\0{stubs_out}".encode()).hexdigest()[:32]
    return cache_dir() / "gen" / f"{slot}.json"


def load_snapshot(ws: Workspace, stubs_out: str) -> Snapshot | None:
    try:
        raw = read_record(_snapshot_path(ws, stubs_out))
        return Snapshot(
            sources=Sources(
                str(raw["sources"]["facts"]),
                {str(k): [int(v[0]), int(v[1])] for k, v in raw["sources"]["protos"].items()},
            ),
            folders=str(raw["folders"]),
            modules=[str(m) for m in raw["modules"]],
            outputs={str(k): [int(v[0]), int(v[1])] for k, v in dict(raw["outputs"]).items()},
            gencode=str(raw.get("gencode", "")),
            warnings=[str(w) for w in raw.get("warnings", [])],
            digests={str(k): str(v) for k, v in dict(raw.get("digests", {})).items()},
            image_key=str(raw.get("image_key", "")),
        )
    except Exception:  # absent or damaged: the run does the full work
        return None


def stat_outputs(root: Path, paths: Iterable[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    base = str(root)
    for rel in paths:
        try:
            info = os.stat(os.path.join(base, rel))
        except OSError:
            continue
        found[rel] = [info.st_size, info.st_mtime_ns]
    return found


def save_snapshot(ws: Workspace, stubs_out: str, snapshot: Snapshot) -> None:
    path = _snapshot_path(ws, stubs_out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        data = {  # not dataclasses.asdict: it deep-copies tens of thousands of entries
            "sources": {"facts": snapshot.sources.facts, "protos": snapshot.sources.protos},
            "folders": snapshot.folders,
            "modules": snapshot.modules,
            "outputs": snapshot.outputs,
            "gencode": snapshot.gencode,
            "warnings": snapshot.warnings,
            "digests": snapshot.digests,
            "image_key": snapshot.image_key,
        }
        temp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        return  # an unwritable cache costs speed, never correctness


def forget_snapshot(ws: Workspace, stubs_out: str) -> None:
    try:
        _snapshot_path(ws, stubs_out).unlink(missing_ok=True)
    except OSError:
        return
