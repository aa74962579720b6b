"""The workspace compiled into an ``Image``, with a cache keyed by everything the compiler reads.

``build_image`` runs ``buf build`` (source info kept) and returns the module's files plus every
import, in dependency order. ``compile_image`` is ``gen``'s compile: when buf's modules are
local folders that import nothing but each other and the well-known types, grpcio-tools' protoc
compiles them (``-I`` each module's folder, the files buf lists, in two halves side by side),
which gives the same descriptors as ``buf build`` for the module's files in well under half of
buf's CPU time. Anything else (dependencies from buf.lock, a file protoc rejects) is compiled
by buf, whose message is the one the user sees.

The cache keeps one entry per workspace and compiler. ``gen`` uses the protoc-made one when
protoc can compile the tree (so its output, manifest included, never depends on which other
command ran before it), buf's otherwise. The checks take gen's when it is cached; every other
command uses buf's.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

from protokit.core.atomic import write_atomic
from protokit.core.descriptors import Image, without_source_info
from protokit.core.errors import ProtokitError
from protokit.core.paths import MAX_STATE_BYTES, cache_dir, files_under, read_regular
from protokit.core.workspace import Workspace
from protokit.tools.buf import buf_version, module_paths, parse_compile_errors, run_buf
from protokit.tools.process import first_line, json_lines
from protokit.tools.toolchain import run_protoc

MAX_IMAGE_BYTES = 2 * 1024 * 1024 * 1024

BUF, PROTOC = "buf", "protoc"
"""The compilers an image may come from (recorded in its cache entry)."""

HALVES_FROM = 400
"""From this many files on, protoc compiles the module in two halves side by side."""

WELL_KNOWN = "google/protobuf/"


def build_image(ws: Workspace, *, protoc_ok: bool = False) -> Image:
    """Compile the workspace with buf, keeping source info (comments and spans).

    The compiled image is kept in a cache (one entry per workspace), keyed by buf's version,
    its configuration and every ``.proto`` file of the workspace's modules: unchanged sources
    are not compiled again (a googleapis-sized tree takes buf seconds). ``protoc_ok``: the
    image ``gen`` compiled with protoc will do when it is cached (the same descriptors; for
    checks, not for commands that ship or freeze the image's bytes).
    """
    key = _key_or_none(ws)
    compilers = (PROTOC, BUF) if protoc_ok else (BUF,)
    cached = _cached_image(ws, key, compilers) if key is not None else None
    if cached is not None:
        return cached
    with ThreadPoolExecutor(2) as pool:  # two buf processes side by side
        build = pool.submit(_buf_build, ws)
        listing = _listing(ws, imports=False)
        image = build.result()
    return _finish(ws, key, image, listing, BUF)


def compile_image(ws: Workspace) -> Image:
    """The workspace compiled for code generation: by protoc when buf's modules allow it (see
    the module's docstring), else by buf; cached like ``build_image``."""
    key = _key_or_none(ws)
    cached = _cached_image(ws, key, (PROTOC,)) if key is not None else None
    if cached is not None:
        return cached
    try:
        listing = _listing(ws, imports=True)
    except ProtokitError:  # an import that cannot be resolved: buf's build names where
        built = _buf_build(ws)
        return _finish(ws, key, built, _listing(ws, imports=False), BUF)
    if listing.roots is not None and listing.targets:
        compiled = _protoc_compile(ws, listing.roots, listing.targets, imports=True)
        if compiled is not None:
            return _finish(ws, key, compiled, listing, PROTOC)
    # buf's image, as every other command uses it (cached, or built now)
    cached = _cached_image(ws, key, (BUF,)) if key is not None else None
    return cached or _finish(ws, key, _buf_build(ws), listing, BUF)


def _key_or_none(ws: Workspace) -> str | None:
    try:
        return _source_key(ws)
    except (ProtokitError, OSError, RecursionError):
        return None  # the compiler itself reports the problem, as it would without a cache


@dataclass(frozen=True)
class _Listing:
    targets: list[str]  # import paths of the module's own files
    disk: dict[str, str]  # import path -> workspace-relative path
    roots: list[str] | None  # the folders to give protoc as -I; None: protoc cannot stand in


def _listing(ws: Workspace, *, imports: bool) -> _Listing:
    """The module's files as ``buf ls-files`` lists them (``imports``: and whether protoc can
    compile them: every import is one of the module's files or a well-known type)."""
    args = ["ls-files", "--format", "json", *(["--include-imports"] if imports else [])]
    listed = run_buf(args, ws.root)
    targets: list[str] = []
    disk: dict[str, str] = {}
    roots: list[str] | None = [] if imports else None
    for item in json_lines(listed.stdout, what="buf ls-files"):
        import_path, path = item.get("import_path"), item.get("path")
        if not isinstance(import_path, str) or not isinstance(path, str):
            raise ProtokitError(
                f"`buf ls-files` printed a file without import_path and path: {str(item)[:200]}"
            )
        if item.get("is_import"):
            if not import_path.startswith(WELL_KNOWN) or item.get("module"):
                roots = None  # a dependency only buf knows where to find
            continue
        targets.append(import_path)
        disk[import_path] = path
        root = path.removesuffix(import_path).rstrip("/") or "."
        if roots is not None and (not path.endswith(import_path) or root.startswith("/")):
            roots = None
        elif roots is not None and root not in roots:
            roots.append(root)
    return _Listing(sorted(targets), disk, roots)


def _buf_build(ws: Workspace) -> list[descriptor_pb2.FileDescriptorProto]:
    result = run_buf(["build", "--error-format", "json", "-o", "-#format=binpb"], ws.root)
    if result.returncode != 0:
        raise _compile_failure(result.stderr, result.stdout)
    try:
        files = descriptor_pb2.FileDescriptorSet.FromString(result.stdout)
    except Exception as exc:  # protobuf raises DecodeError (and others) on garbage
        raise ProtokitError(
            "`buf build` printed something that is not a descriptor image: "
            f"{first_line(result.stdout)[:80]!r}; check that the buf binary is buf "
            "(`protokit doctor`)"
        ) from exc
    return list(files.file)


def _protoc_compile(
    ws: Workspace, roots: Sequence[str], names: Sequence[str], *, imports: bool
) -> list[descriptor_pb2.FileDescriptorProto] | None:
    """``names`` (and, with ``imports``, everything they import) compiled by protoc with
    source info, in dependency order; None when protoc fails (buf then compiles, and reports)."""
    if not names:
        return None
    halves = 2 if len(names) >= HALVES_FROM else 1
    size = -(-len(names) // halves)
    parts = [list(names[i : i + size]) for i in range(0, len(names), size)]
    with tempfile.TemporaryDirectory(prefix="protokit-compile-") as tmp:

        def compile_part(index: int, part: list[str]) -> bytes | None:
            out = Path(tmp) / f"part-{index}.binpb"
            args = [*(f"-I{root}" for root in roots), "--include_source_info"]
            if imports:
                args.append("--include_imports")
            proc = run_protoc([*args, f"--descriptor_set_out={out}", *part], ws.root)
            return out.read_bytes() if proc.returncode == 0 and out.is_file() else None

        with ThreadPoolExecutor(len(parts)) as pool:
            results = list(pool.map(compile_part, range(len(parts)), parts))
    if any(data is None for data in results):
        return None
    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for data in results:
        assert data is not None
        for proto in descriptor_pb2.FileDescriptorSet.FromString(data).file:
            files.setdefault(proto.name, proto)  # each half in dependency order: so is the union
    return list(files.values())


def _finish(
    ws: Workspace,
    key: str | None,
    files: list[descriptor_pb2.FileDescriptorProto],
    listing: _Listing,
    compiler: str,
) -> Image:
    if not files or not listing.targets:
        raise ProtokitError(
            "`buf build` gave no compiled .proto files; check that the buf binary is buf "
            "(`protokit doctor`) and that the module holds .proto files"
        )
    image = Image(files=tuple(files), targets=tuple(listing.targets), disk_paths=listing.disk)
    if key is not None:
        _store_image(ws, key, image.serialize(), image, compiler, listing.roots)
    return image


def rebuild_image(ws: Workspace, changed: Sequence[str]) -> tuple[Image, list[str]] | None:
    """The cached image with only the ``changed`` files (workspace-relative paths) compiled
    again, and their import paths; None when that cannot stand for a full build: no cached
    image, a file it does not know, or a change beyond comments (a changed file's descriptor
    without its source info differs, so files importing it may compile differently).

    The compiler that made the cached image compiles just those files (protoc: the files
    alone; buf: ``buf build --path``, which also compiles what they import); a file's
    descriptor depends on its own text and on the names its imports define, so with those
    names unchanged every other file's descriptor is what a full build gives.
    """
    entry = _cached_entry(ws, None, (PROTOC, BUF))  # the one gen compiled, if it compiled
    if entry is None:
        return None
    previous, compiler, roots, data = entry
    by_disk = {disk: name for name, disk in previous.disk_paths.items()}
    names = [by_disk.get(path) for path in changed]
    if not names or any(name is None for name in names):
        return None
    wanted = sorted({name for name in names if name is not None})
    if compiler == PROTOC and roots is not None:
        compiled = _protoc_compile(ws, roots, wanted, imports=False)
        if compiled is None:
            return None  # a full compile names the problem
        fresh = {f.name: f for f in compiled}
    else:
        paths = [arg for path in changed for arg in ("--path", path)]
        args = ["build", "--error-format", "json", "-o", "-#format=binpb", *paths]
        result = run_buf(args, ws.root)
        if result.returncode != 0:
            raise _compile_failure(result.stderr, result.stdout)
        fresh = {f.name: f for f in descriptor_pb2.FileDescriptorSet.FromString(result.stdout).file}
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
        return image, wanted
    _store_image(ws, key, _splice(data, previous.files, fresh), image, compiler, roots)
    return image, wanted


def _splice(
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


def _cache_paths(ws: Workspace, compiler: str) -> tuple[Path, Path]:
    """One entry per workspace and compiler: gen's protoc-made image and the buf image other
    commands use do not push each other out."""
    slot = hashlib.sha256(str(ws.root.resolve()).encode()).hexdigest()[:32]
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


def _cached_image(ws: Workspace, key: str | None, compilers: Sequence[str]) -> Image | None:
    entry = _cached_entry(ws, key, compilers)
    return entry[0] if entry is not None else None


def _cached_entry(
    ws: Workspace, key: str | None, compilers: Sequence[str]
) -> tuple[Image, str, list[str] | None, bytes] | None:
    """The cached image for ``key`` (None: whatever is cached) if one of ``compilers`` made
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
    ws: Workspace, key: str | None, wanted: str
) -> tuple[Image, str, list[str] | None, bytes] | None:
    meta_path, data_path = _cache_paths(ws, wanted)
    try:
        meta = json.loads(read_regular(meta_path, limit=MAX_STATE_BYTES).decode("utf-8"))
        if not isinstance(meta, dict) or not isinstance(meta.get("key"), str):
            return None
        if key is not None and meta["key"] != key:
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
    image = Image(files=tuple(files.file), targets=tuple(targets), disk_paths=dict(disk))
    return image, compiler, roots, data


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _store_image(
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
