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

import json
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from google.protobuf import descriptor_pb2

from protokit.core.descriptors import Image, without_source_info
from protokit.core.errors import ProtokitError
from protokit.core.workspace import Workspace
from protokit.tools.buf import Listing, list_files, run_buf
from protokit.tools.buf_output import (
    CompileError,
    compile_error_of,
    compile_failure,
    parse_compile_errors,
)
from protokit.tools.image_cache import (
    BUF,
    PROTOC,
    cached_entry,
    cached_image,
    source_key,
    splice,
    store_image,
)
from protokit.tools.process import first_line
from protokit.tools.toolchain import run_protoc

HALVES_FROM = 400
"""From this many files on, protoc compiles the module in two halves side by side."""


def build_image(ws: Workspace, *, protoc_ok: bool = False) -> Image:
    """Compile the workspace with buf, keeping source info (comments and spans).

    The compiled image is kept in a cache (one entry per workspace), keyed by the buf binary,
    its configuration and every ``.proto`` file of the workspace's modules: unchanged sources
    are not compiled again (a googleapis-sized tree takes buf seconds). ``protoc_ok``: the
    image ``gen`` compiled with protoc will do when it is cached (the same descriptors; for
    checks, not for commands that ship or freeze the image's bytes).
    """
    key = _key_or_none(ws)
    compilers = (PROTOC, BUF) if protoc_ok else (BUF,)
    cached = cached_image(ws, key, compilers) if key is not None else None
    if cached is not None:
        return cached
    with ThreadPoolExecutor(2) as pool:  # two buf processes side by side
        build = pool.submit(_buf_build, ws)
        listing = list_files(ws, imports=False)
        image = build.result()
    return _finish(ws, key, image, listing, BUF)


def compile_image(
    ws: Workspace,
    modules: Sequence[str] | None = None,
    listed: Future[Listing] | None = None,
) -> Image:
    """The workspace compiled for code generation: by protoc when buf's modules allow it (see
    the module's docstring), else by buf; cached like ``build_image`` (``modules``: buf's module
    folders, when the caller has them for the same configuration; ``listed``: ``list_files(ws,
    imports=True)``, when the caller started it)."""
    with ThreadPoolExecutor(1) as pool:
        if listed is None:  # buf lists the files while the key is worked out
            listed = pool.submit(list_files, ws, imports=True)
        key = _key_or_none(ws, modules)
        cached = cached_image(ws, key, (PROTOC,)) if key is not None else None
        if cached is not None:
            return cached
        try:
            listing = listed.result()
        except ProtokitError:  # an import that cannot be resolved: buf's build names where
            built = _buf_build(ws)
            return _finish(ws, key, built, list_files(ws, imports=False), BUF)
    if listing.roots is not None and listing.targets:
        compiled = _protoc_compile(ws, listing.roots, listing.targets, imports=True)
        if compiled is not None:
            return _finish(ws, key, compiled, listing, PROTOC)
    # buf's image, as every other command uses it (cached, or built now)
    cached = cached_image(ws, key, (BUF,)) if key is not None else None
    return cached or _finish(ws, key, _buf_build(ws), listing, BUF)


def _key_or_none(ws: Workspace, modules: Sequence[str] | None = None) -> str | None:
    try:
        return source_key(ws, modules)
    except (ProtokitError, OSError, RecursionError):
        return None  # the compiler itself reports the problem, as it would without a cache


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
        try:
            parsed = descriptor_pb2.FileDescriptorSet.FromString(data)
        except Exception:  # protobuf raises DecodeError (and others) on garbage: buf compiles
            return None
        for proto in parsed.file:
            files.setdefault(proto.name, proto)  # each half in dependency order: so is the union
    return list(files.values())


def _finish(
    ws: Workspace,
    key: str | None,
    files: list[descriptor_pb2.FileDescriptorProto],
    listing: Listing,
    compiler: str,
) -> Image:
    if not files or not listing.targets:
        raise ProtokitError(
            "`buf build` gave no compiled .proto files; check that the buf binary is buf "
            "(`protokit doctor`) and that the module holds .proto files"
        )
    image = Image(tuple(files), tuple(listing.targets), listing.disk, key)
    if key is not None:
        store_image(ws, key, image.serialize(), image, compiler, listing.roots)
    return image


def rebuild_image(
    ws: Workspace, changed: Sequence[str], previous_key: str, modules: Sequence[str] | None = None
) -> tuple[Image, list[str]] | None:
    """The image of key ``previous_key`` (the one the previous run generated from) with only
    the ``changed`` files (workspace-relative paths) compiled again, and their import paths;
    None when that cannot stand for a full build: that image is no longer cached (another run
    compiled the changed sources since, say), a file it does not know, or a change beyond
    comments (a changed file's descriptor without its source info differs, so files importing
    it may compile differently). ``modules``: buf's module folders, when the caller has them
    for the same configuration.

    The compiler that made the cached image compiles just those files (protoc: the files
    alone; buf: ``buf build --path``, which also compiles what they import); a file's
    descriptor depends on its own text and on the names its imports define, so with those
    names unchanged every other file's descriptor is what a full build gives.
    """
    if not previous_key:
        return None
    # That image exactly: the one cached now may already hold the changed files (a check, or a
    # gen --check, compiled them), and comparing them with themselves would find no change.
    entry = cached_entry(ws, previous_key, (PROTOC, BUF))
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
    try:
        key: str | None = source_key(ws, modules)
    except (ProtokitError, OSError):
        key = None
    image = Image(files, previous.targets, previous.disk_paths, key)
    if key is not None:
        store_image(ws, key, splice(data, previous.files, fresh), image, compiler, roots)
    return image, wanted


def _compile_failure(stderr: str, stdout: bytes) -> ProtokitError:
    errors: list[CompileError] = []
    for raw in (stderr + "\n" + stdout.decode("utf-8", "replace")).splitlines():
        raw = raw.strip()
        if raw.startswith("{"):
            try:
                item = json.loads(raw)
            except (ValueError, RecursionError):
                continue
            if not isinstance(item, dict):
                continue
            errors.append(compile_error_of(item))
    if errors:
        return compile_failure(errors)
    located = parse_compile_errors(stderr)
    if located is not None:
        return located
    return ProtokitError(f"`buf build` failed: {first_line(stderr).removeprefix('Failure: ')}")
