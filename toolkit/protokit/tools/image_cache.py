"""The compiled-image cache: one entry per workspace and compiler, keyed by everything the
compiler reads, verified by its own content hash before use.

``tools.image`` compiles; this module only keeps what it compiled. An entry is a descriptor
set (``<slot>[.<compiler>].binpb``) beside its metadata (``.json``: key, targets, disk paths,
compiler, protoc's include folders, content hash); a comment-only rebuild splices the changed
files' entries into the stored bytes rather than serializing the whole image again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import descriptor_pb2

from protokit.core.atomic import write_atomic
from protokit.core.descriptors import MAX_IMAGE_BYTES, Image
from protokit.core.errors import ProtokitError
from protokit.core.paths import (
    MAX_STATE_BYTES,
    cache_dir,
    files_under,
    read_record,
    read_regular,
    stat_stamp,
)
from protokit.core.workspace import Workspace
from protokit.tools.buf import binary_stamp, buf_version, module_paths

__all__ = [
    "BUF",
    "CACHE_ENTRIES",
    "PROTOC",
    "cached_entry",
    "cached_image",
    "source_key",
    "splice",
    "store_image",
]

BUF, PROTOC = "buf", "protoc"
"""The compilers an image may come from (recorded in its cache entry)."""


def splice(
    data: bytes,
    files: Sequence[descriptor_pb2.FileDescriptorProto],
    fresh: dict[str, descriptor_pb2.FileDescriptorProto],
) -> bytes:
    """``data`` (a serialized descriptor set of ``files``, in order) with the entries of the
    files named in ``fresh`` replaced by theirs; the other entries are copied as they are
    rather than serialized again."""
    parts: list[bytes] = []
    pos = 0
    for proto in files:
        tag, start = data[pos], pos
        if tag != 0x0A:  # FileDescriptorSet.file, length-delimited: nothing else is written
            return descriptor_pb2.FileDescriptorSet(
                file=[fresh.get(f.name, f) for f in files]
            ).SerializeToString(deterministic=True)
        length, shift, pos = 0, 0, pos + 1
        while True:
            byte = data[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        pos += length
        if proto.name in fresh:
            entry = fresh[proto.name].SerializeToString(deterministic=True)
            parts.append(b"\x0a" + _varint(len(entry)) + entry)
        else:
            parts.append(data[start:pos])
    return b"".join(parts)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


_CONFIG_FILES = ("buf.yaml", "buf.lock", "buf.work.yaml")


def source_key(ws: Workspace, modules: Sequence[str] | None = None) -> str:
    """What ``buf build`` reads: the buf binary (its path and stat: a binary replaced on disk
    is a new key, and no ``buf --version`` runs first), its config files, and every ``.proto``
    file (path and content hash) under the workspace's modules (``modules``: their folders,
    when the caller has them from ``buf config ls-modules`` for the same configuration).

    A file's content hash is taken from the last run's record when the file's stat (size,
    mtime, ctime, inode) is the one recorded; only files whose stat changed are read. A file
    changed within ``SETTLE_NS`` of being hashed is not recorded (its stat may not show a
    change made in the same clock tick), so it is read again next time."""
    digest = hashlib.sha256()
    binary = binary_stamp()  # None: a binary protokit cannot stat, known by its version
    digest.update((binary if binary is not None else buf_version()).encode() + b"\0")
    for name in _CONFIG_FILES:
        path = ws.root / name
        data = path.read_bytes() if path.is_file() else b""
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    memo_path = _memo_path(ws)
    memo, record = _read_memo(memo_path), {}
    settled = time.time_ns() - SETTLE_NS
    cut = len(os.path.join(str(ws.root), ""))
    for module in sorted(set(module_paths(ws) if modules is None else modules)):
        for path in files_under(ws.root / module, ".proto"):
            name = str(path)
            found = stat_stamp(name)  # before reading: a change after it shows next time
            if found is None:
                raise OSError(f"{name} went away while it was read")
            stamp = list(found)
            rel = name[cut:].replace(os.sep, "/")  # under ws.root: strings, no parsing
            known = memo.get(rel)
            if known is not None and known[:4] == stamp:
                sha = str(known[4])
            else:
                with open(name, "rb") as handle:
                    sha = hashlib.sha256(handle.read()).hexdigest()
            if max(stamp[1], stamp[2]) < settled:
                record[rel] = [*stamp, sha]
            digest.update(f"{rel}\0{sha}\0".encode())
    if record != memo:
        with contextlib.suppress(ProtokitError):  # unwritable: the files are read next time
            write_atomic(memo_path, json.dumps(record).encode(), sync=False)
            _prune(memo_path.parent)
    return digest.hexdigest()


SETTLE_NS = 2_000_000_000
"""How long after its last change a file's stat is trusted to tell its content (see
``source_key``)."""


def _slot(ws: Workspace) -> str:
    """A workspace's name in the cache folders."""
    return hashlib.sha256(str(ws.root.resolve()).encode()).hexdigest()[:32]


def _memo_path(ws: Workspace) -> Path:
    return cache_dir() / "sources" / f"{_slot(ws)}.json"


def _read_memo(path: Path) -> dict[str, list[int | str]]:
    """The content hashes recorded by the last ``source_key`` (rel → size, mtime, ctime,
    inode, sha256); empty when absent or damaged."""
    raw = read_record(path)  # absent or damaged: every file is read
    if not isinstance(raw, dict):
        return {}
    return {
        rel: entry
        for rel, entry in raw.items()
        if isinstance(rel, str)
        and isinstance(entry, list)
        and len(entry) == 5
        and all(isinstance(n, int) for n in entry[:4])
        and isinstance(entry[4], str)
    }


def _cache_paths(ws: Workspace, compiler: str) -> tuple[Path, Path]:
    """One entry per workspace and compiler: gen's protoc-made image and the buf image other
    commands use do not push each other out."""
    slot = _slot(ws)
    folder = cache_dir() / "images"
    suffix = "" if compiler == BUF else f".{compiler}"
    return folder / f"{slot}{suffix}.json", folder / f"{slot}{suffix}.binpb"


def _entry_digest(
    key: str, data: bytes, targets: list[str], disk: dict[str, str], made: list[object]
) -> str:
    """A cache entry's own content hash: its key, image bytes, targets, disk paths and how it
    was compiled."""
    digest = hashlib.sha256(key.encode() + b"\0" + data)
    digest.update(json.dumps([targets, disk, made], sort_keys=True).encode())
    return digest.hexdigest()


def cached_image(ws: Workspace, key: str, compilers: Sequence[str]) -> Image | None:
    entry = cached_entry(ws, key, compilers)
    return entry[0] if entry is not None else None


def cached_entry(
    ws: Workspace, key: str, compilers: Sequence[str]
) -> tuple[Image, str, list[str] | None, bytes] | None:
    """The cached image for ``key`` if one of ``compilers`` made
    it, with its compiler, protoc's include folders and its bytes; or None (absent, stale, another
    compiler's, or damaged: then the compiler runs).

    Only regular files are read, and an entry is used only when it matches its own content
    hash: a damaged or edited entry is compiled again, never trusted."""
    for compiler in compilers:
        entry = _slot_entry(ws, key, compiler)
        if entry is not None:
            return entry
    return None


def _slot_entry(
    ws: Workspace, key: str, wanted: str
) -> tuple[Image, str, list[str] | None, bytes] | None:
    meta_path, data_path = _cache_paths(ws, wanted)
    try:
        meta = json.loads(read_regular(meta_path, limit=MAX_STATE_BYTES).decode("utf-8"))
        if not isinstance(meta, dict) or not isinstance(meta.get("key"), str):
            return None
        if meta["key"] != key:
            return None
        targets, disk = meta["targets"], meta["disk_paths"]
        compiler, roots = meta.get("compiler", BUF), meta.get("roots")
        if compiler != wanted:
            return None
        if not (
            isinstance(targets, list)
            and all(isinstance(t, str) for t in targets)
            and isinstance(disk, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in disk.items())
            and (roots is None or _strings(roots))
        ):
            return None
        data = read_regular(data_path, limit=MAX_IMAGE_BYTES)
        made = [compiler, roots]
        if _entry_digest(meta["key"], data, targets, disk, made) != meta.get("sha256"):
            return None
        files = descriptor_pb2.FileDescriptorSet.FromString(data)
    except Exception:  # any damage to a cache entry only means compiling again
        return None
    image = Image(tuple(files.file), tuple(targets), dict(disk), meta["key"])
    return image, compiler, roots, data


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def store_image(
    ws: Workspace, key: str, data: bytes, image: Image, compiler: str, roots: list[str] | None
) -> None:
    meta_path, data_path = _cache_paths(ws, compiler)
    targets, disk = list(image.targets), dict(image.disk_paths)
    roots = roots if compiler == PROTOC else None
    meta = {
        "key": key,
        "root": str(ws.root.resolve()),
        "sha256": _entry_digest(key, data, targets, disk, [compiler, roots]),
        "targets": targets,
        "disk_paths": disk,
        "compiler": compiler,
        "roots": roots,
    }
    try:
        # No fsync: an entry is used only when it matches its own hash (a crash of the
        # machine costs a compile, never a wrong image), and syncing 40 MB costs a one-file
        # run a tenth of a second.
        write_atomic(data_path, data, sync=False)
        write_atomic(meta_path, json.dumps(meta).encode(), sync=False)
    except ProtokitError:
        return  # an unwritable cache costs speed, never correctness
    _prune(meta_path.parent)


CACHE_ENTRIES = 32


def _prune(folder: Path) -> None:
    """Keep the most recently written ``CACHE_ENTRIES`` entries of ``folder`` (images, or
    source records); drop the rest."""
    try:
        metas = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for meta in metas[CACHE_ENTRIES:]:
            meta.unlink(missing_ok=True)
            meta.with_suffix(".binpb").unlink(missing_ok=True)
    except OSError:
        return  # another process pruned first, or the folder went away: nothing to do
