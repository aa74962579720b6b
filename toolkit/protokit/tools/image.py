"""``buf build`` as an ``Image``, with a cache keyed by everything buf reads.

``build_image`` runs ``buf build`` (source info kept) and returns the module's files plus every
import, in dependency order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from google.protobuf import descriptor_pb2

from protokit.core.atomic import write_atomic
from protokit.core.descriptors import Image, without_source_info
from protokit.core.errors import ProtokitError
from protokit.core.paths import MAX_STATE_BYTES, cache_dir, files_under, read_regular
from protokit.core.workspace import Workspace
from protokit.tools.buf import buf_version, module_paths, parse_compile_errors, run_buf
from protokit.tools.process import first_line, json_lines

MAX_IMAGE_BYTES = 2 * 1024 * 1024 * 1024


def build_image(ws: Workspace) -> Image:
    """Compile the workspace with buf, keeping source info (comments and spans).

    The compiled image is kept in a cache (one entry per workspace), keyed by buf's version,
    its configuration and every ``.proto`` file of the workspace's modules: unchanged sources
    are not compiled again (a googleapis-sized tree takes buf seconds).
    """
    try:
        key: str | None = _source_key(ws)
    except (ProtokitError, OSError, RecursionError):
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
    try:
        files = descriptor_pb2.FileDescriptorSet.FromString(result.stdout)
    except Exception as exc:  # protobuf raises DecodeError (and others) on garbage
        raise ProtokitError(
            "`buf build` printed something that is not a descriptor image: "
            f"{first_line(result.stdout)[:80]!r}; check that the buf binary is buf "
            "(`protokit doctor`)"
        ) from exc
    targets: list[str] = []
    disk: dict[str, str] = {}
    for item in json_lines(listing.stdout, what="buf ls-files"):
        if item.get("is_import"):
            continue
        import_path, path = item.get("import_path"), item.get("path")
        if not isinstance(import_path, str) or not isinstance(path, str):
            raise ProtokitError(
                f"`buf ls-files` printed a file without import_path and path: {str(item)[:200]}"
            )
        targets.append(import_path)
        disk[import_path] = path
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
        for path in files_under(base, ".proto"):
            data = path.read_bytes()
            rel = path.relative_to(ws.root).as_posix()
            digest.update(f"{rel}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def _cache_paths(ws: Workspace) -> tuple[Path, Path]:
    slot = hashlib.sha256(str(ws.root.resolve()).encode()).hexdigest()[:32]
    folder = cache_dir() / "images"
    return folder / f"{slot}.json", folder / f"{slot}.binpb"


def _entry_digest(key: str, data: bytes, targets: list[str], disk: dict[str, str]) -> str:
    """A cache entry's own content hash: its key, image bytes, targets and disk paths."""
    digest = hashlib.sha256(key.encode() + b"\0" + data)
    digest.update(json.dumps([targets, disk], sort_keys=True).encode())
    return digest.hexdigest()


def _cached_image(ws: Workspace, key: str | None) -> Image | None:
    """The cached image for ``key`` (None: whatever is cached), or None (absent, stale, or
    damaged: then buf runs).

    Only regular files are read, and an entry is used only when it matches its own content
    hash: a damaged or edited entry is compiled again, never trusted."""
    meta_path, data_path = _cache_paths(ws)
    try:
        meta = json.loads(read_regular(meta_path, limit=MAX_STATE_BYTES).decode("utf-8"))
        if not isinstance(meta, dict) or not isinstance(meta.get("key"), str):
            return None
        if key is not None and meta["key"] != key:
            return None
        targets, disk = meta["targets"], meta["disk_paths"]
        if not (
            isinstance(targets, list)
            and all(isinstance(t, str) for t in targets)
            and isinstance(disk, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in disk.items())
        ):
            return None
        data = read_regular(data_path, limit=MAX_IMAGE_BYTES)
        if _entry_digest(meta["key"], data, targets, disk) != meta.get("sha256"):
            return None
        files = descriptor_pb2.FileDescriptorSet.FromString(data)
    except Exception:  # any damage to a cache entry only means compiling again
        return None
    return Image(files=tuple(files.file), targets=tuple(targets), disk_paths=dict(disk))


def _store_image(ws: Workspace, key: str, data: bytes, image: Image) -> None:
    meta_path, data_path = _cache_paths(ws)
    targets, disk = list(image.targets), dict(image.disk_paths)
    meta = {
        "key": key,
        "root": str(ws.root.resolve()),
        "sha256": _entry_digest(key, data, targets, disk),
        "targets": targets,
        "disk_paths": disk,
    }
    try:
        write_atomic(data_path, data)
        write_atomic(meta_path, json.dumps(meta).encode())
    except ProtokitError:
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
            except (ValueError, RecursionError):
                continue
            if not isinstance(item, dict):
                continue
            path, line, column = item.get("path"), item.get("start_line"), item.get("start_column")
            return ProtokitError(
                str(item.get("message", "does not compile"))[:500],
                path=path if isinstance(path, str) and path else None,
                line=line if isinstance(line, int) and line > 0 else None,
                column=column if isinstance(column, int) and column > 0 else None,
            )
    located = parse_compile_errors(stderr)
    if located is not None:
        return located
    return ProtokitError(f"`buf build` failed: {first_line(stderr).removeprefix('Failure: ')}")
