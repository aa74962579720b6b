"""``buf build`` as an ``Image``, with a cache keyed by everything buf reads.

``build_image`` runs ``buf build`` (source info kept) and returns the module's files plus every
import, in dependency order.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from google.protobuf import descriptor_pb2

from protokit.core.descriptors import Image, without_source_info
from protokit.core.errors import ProtokitError
from protokit.core.workspace import Workspace
from protokit.tools.buf import buf_version, module_paths, parse_compile_errors, run_buf


def build_image(ws: Workspace) -> Image:
    """Compile the workspace with buf, keeping source info (comments and spans).

    The compiled image is kept in a cache (one entry per workspace), keyed by buf's version,
    its configuration and every ``.proto`` file of the workspace's modules: unchanged sources
    are not compiled again (a googleapis-sized tree takes buf seconds).
    """
    try:
        key: str | None = _source_key(ws)
    except (ProtokitError, OSError):
        key = None  # buf itself reports the problem below, as it would without a cache
    cached = _cached_image(ws, key) if key is not None else None
    if cached is not None:
        return cached
    with ThreadPoolExecutor(2) as pool:  # two buf processes side by side
        build = pool.submit(
            run_buf, ["build", "--error-format", "json", "-o", "-#format=binpb"], ws.root
        )
        listed = pool.submit(run_buf, ["ls-files", "--format", "json"], ws.root)
        result = build.result()
        if result.returncode != 0:
            raise _compile_failure(result.stderr, result.stdout)
        listing = listed.result()
    files = descriptor_pb2.FileDescriptorSet.FromString(result.stdout)
    targets: list[str] = []
    disk: dict[str, str] = {}
    for raw in listing.stdout.decode().splitlines():
        if not raw.strip():
            continue
        item = json.loads(raw)
        if item.get("is_import"):
            continue
        targets.append(str(item["import_path"]))
        disk[str(item["import_path"])] = str(item["path"])
    if not files.file or not targets:
        raise ProtokitError(
            "`buf build` gave no compiled .proto files; check that the buf binary is buf "
            "(`protokit doctor`) and that the module holds .proto files"
        )
    image = Image(files=tuple(files.file), targets=tuple(sorted(targets)), disk_paths=disk)
    if key is not None:
        _store_image(ws, key, result.stdout, image)
    return image


def rebuild_image(ws: Workspace, changed: Sequence[str]) -> tuple[Image, list[str]] | None:
    """The cached image with only the ``changed`` files (workspace-relative paths) compiled
    again, and their import paths; None when that cannot stand for a full build: no cached
    image, a file it does not know, or a change beyond comments (a changed file's descriptor
    without its source info differs, so files importing it may compile differently).

    buf compiles just those files and what they import (``buf build --path``); a file's
    descriptor depends on its own text and on the names its imports define, so with those
    names unchanged every other file's descriptor is what a full build gives.
    """
    previous = _cached_image(ws, None)
    if previous is None:
        return None
    by_disk = {disk: name for name, disk in previous.disk_paths.items()}
    names = [by_disk.get(path) for path in changed]
    if not names or any(name is None for name in names):
        return None
    paths = [arg for path in changed for arg in ("--path", path)]
    result = run_buf(["build", "--error-format", "json", "-o", "-#format=binpb", *paths], ws.root)
    if result.returncode != 0:
        raise _compile_failure(result.stderr, result.stdout)
    fresh = {f.name: f for f in descriptor_pb2.FileDescriptorSet.FromString(result.stdout).file}
    wanted = {name for name in names if name is not None}
    for name in wanted:
        if name not in fresh or without_source_info(fresh[name]) != without_source_info(
            previous.file(name)
        ):
            return None
    files = tuple(fresh[f.name] if f.name in wanted else f for f in previous.files)
    image = Image(files=files, targets=previous.targets, disk_paths=previous.disk_paths)
    try:
        key = _source_key(ws)
    except (ProtokitError, OSError):
        return image, sorted(wanted)
    _store_image(ws, key, image.serialize(), image)
    return image, sorted(wanted)


_CONFIG_FILES = ("buf.yaml", "buf.lock", "buf.work.yaml")


def cache_dir() -> Path:
    """protokit's cache folder (``PROTOKIT_CACHE_DIR``, else under ``XDG_CACHE_HOME``)."""
    override = os.environ.get("PROTOKIT_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "protokit"


def _source_key(ws: Workspace) -> str:
    """What ``buf build`` reads: buf's version, its config files, and every ``.proto`` file
    (path and bytes) under the workspace's modules."""
    digest = hashlib.sha256()
    digest.update(buf_version().encode() + b"\0")
    for name in _CONFIG_FILES:
        path = ws.root / name
        data = path.read_bytes() if path.is_file() else b""
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    for module in sorted(set(module_paths(ws))):
        base = ws.root / module
        for path in sorted(base.rglob("*.proto")):
            if not path.is_file():
                continue
            data = path.read_bytes()
            rel = path.relative_to(ws.root).as_posix()
            digest.update(f"{rel}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def _cache_paths(ws: Workspace) -> tuple[Path, Path]:
    slot = hashlib.sha256(str(ws.root.resolve()).encode()).hexdigest()[:32]
    folder = cache_dir() / "images"
    return folder / f"{slot}.json", folder / f"{slot}.binpb"


def _cached_image(ws: Workspace, key: str | None) -> Image | None:
    """The cached image for ``key`` (None: whatever is cached), or None (absent, stale, or
    damaged: then buf runs)."""
    meta_path, data_path = _cache_paths(ws)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if key is not None and meta.get("key") != key:
            return None
        data = data_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            return None
        files = descriptor_pb2.FileDescriptorSet.FromString(data)
        targets = tuple(str(t) for t in meta["targets"])
        disk = {str(k): str(v) for k, v in dict(meta["disk_paths"]).items()}
    except Exception:  # any damage to a cache entry only means compiling again
        return None
    return Image(files=tuple(files.file), targets=targets, disk_paths=disk)


def _store_image(ws: Workspace, key: str, data: bytes, image: Image) -> None:
    meta_path, data_path = _cache_paths(ws)
    meta = {
        "key": key,
        "root": str(ws.root.resolve()),
        "sha256": hashlib.sha256(data).hexdigest(),
        "targets": list(image.targets),
        "disk_paths": image.disk_paths,
    }
    try:
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        for path, content in ((data_path, data), (meta_path, json.dumps(meta).encode())):
            temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            temp.write_bytes(content)
            os.replace(temp, path)
    except OSError:
        return  # an unwritable cache costs speed, never correctness
    _prune(meta_path.parent)


CACHE_ENTRIES = 32


def _prune(folder: Path) -> None:
    """Keep the most recently written ``CACHE_ENTRIES`` workspaces' images; drop the rest."""
    try:
        metas = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for meta in metas[CACHE_ENTRIES:]:
            meta.unlink(missing_ok=True)
            meta.with_suffix(".binpb").unlink(missing_ok=True)
    except OSError:
        return  # another process pruned first, or the folder went away: nothing to do


def _compile_failure(stderr: str, stdout: bytes) -> ProtokitError:
    for raw in (stderr + "\n" + stdout.decode("utf-8", "replace")).splitlines():
        raw = raw.strip()
        if raw.startswith("{"):
            try:
                item = json.loads(raw)
            except json.JSONDecodeError:
                continue
            return ProtokitError(
                str(item.get("message", "does not compile")),
                path=item.get("path") or None,
                line=item.get("start_line") or None,
                column=item.get("start_column") or None,
            )
    located = parse_compile_errors(stderr)
    if located is not None:
        return located
    first = next((line for line in stderr.splitlines() if line.strip()), "buf build failed")
    return ProtokitError(first.removeprefix("Failure: "))
