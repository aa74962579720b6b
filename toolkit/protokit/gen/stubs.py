"""Message stubs from grpcio-tools' protoc, run once per batch of the descriptor image.

protoc gets the image as ``--descriptor_set_in`` (no ``.proto`` text is re-read) and runs three
generators in one process: the built-in Python generator (``*_pb2.py``) and mypy-protobuf's two
plugins (``*_pb2.pyi``, and ``*_pb2_grpc.pyi`` typed for grpc and grpc.aio). The runtime gRPC
module (``*_pb2_grpc.py``) is rendered by protokit itself from a template (see ``gen``), so
grpcio-tools' gRPC generator is not used. Output is read back into memory; nothing is written
into the workspace here.
"""

from __future__ import annotations

import ast
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError
from protokit.tools.buf import COMPILE_ERROR_LINE
from protokit.tools.toolchain import gencode_of, run_protoc

__all__ = ["BATCH_SIZE", "PARALLEL_MIN", "WORKERS", "ProtocOutput", "run_protoc_batches"]

BATCH_SIZE = 2000
"""Most files per protoc run."""

PARALLEL_MIN = 400
"""From this many files on, protoc runs in at least ``WORKERS`` batches side by side; below it,
one run (a worker process costs more than it saves on a small tree)."""

WORKERS = max(1, min(2, os.cpu_count() or 1))
"""Batches running at once: bounded, since each protoc run holds its batch's descriptors."""


@dataclass(frozen=True)
class ProtocOutput:
    files: dict[str, bytes]  # output path (POSIX, relative to the stubs root) → bytes
    gencode: str | None  # the "Protobuf Python Version" the _pb2.py files carry
    runs: int  # how many protoc processes ran
    parsed: frozenset[str] = frozenset()  # outputs already parsed as valid Python


def _plugin_launcher(folder: Path, name: str, entry: str) -> Path:
    """An executable protoc can start that runs a mypy-protobuf entry point in this Python.

    Going through ``sys.executable`` (rather than a console script on PATH) keeps it working
    from any install, activated or not.
    """
    path = folder / f"protoc-gen-{name}"
    python = sys.executable.replace("'", "'\\''")
    path.write_text(
        "#!/bin/sh\n"
        f"exec '{python}' -c 'import sys; from mypy_protobuf.main import {entry}; "
        f"sys.exit({entry}())'\n",
        encoding="utf-8",
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _protoc_error(stderr: str, image: Image) -> ProtokitError:
    for raw in stderr.splitlines():
        match = COMPILE_ERROR_LINE.match(raw.strip())
        if match:
            name = match.group("path")
            return ProtokitError(
                f"protoc rejected it: {match.group('msg')}",
                path=image.disk_paths.get(name, name),
                line=int(match.group("line")),
                column=int(match.group("col")),
            )
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        name = line.split(":", 1)[0]
        if name.endswith(".proto"):
            detail = line.split(":", 1)[1].strip() if ":" in line else line
            return ProtokitError(
                f"protoc rejected it: {detail}", path=image.disk_paths.get(name, name)
            )
    return ProtokitError(f"protoc failed: {lines[-1] if lines else 'no message'}")


def _closure(image: Image, batch: Sequence[str]) -> bytes:
    """The image's files ``batch`` needs: each protoc run parses only what its batch uses."""
    return image.serialize_closure(batch)


def _batches(targets: Sequence[str], batch_size: int, workers: int) -> list[list[str]]:
    """Sorted targets cut into contiguous runs of about equal size (so files of one folder stay
    together): at most ``batch_size`` each; for a big tree, a multiple of ``workers`` runs, so
    no worker is left running a batch alone at the end."""
    ordered = sorted(targets)
    count = -(-len(ordered) // batch_size)
    if len(ordered) >= PARALLEL_MIN:
        count = -(-count // workers) * workers
    size = -(-len(ordered) // max(count, 1))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


@dataclass(frozen=True)
class _BatchResult:
    returncode: int
    stderr: str
    files: dict[str, bytes]
    parsed: frozenset[str]  # outputs that parse as Python (the rest are checked again, to report)


_PARSE_CHECK = """
import ast, pathlib, sys
root = pathlib.Path(sys.argv[1])
for path in sorted(root.rglob("*")):
    if path.suffix in (".py", ".pyi") and path.is_file():
        try:
            ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            print(path.relative_to(root).as_posix())
"""
"""Parses every Python output under a folder and prints the ones that do not parse."""


def _run_batch(
    folder: str, index: int, image: bytes, batch: list[str], *, parse_apart: bool
) -> _BatchResult:
    """One protoc run in its own folder, then its Python outputs parsed: in this process, or
    with ``parse_apart`` in a child Python, so batches also parse side by side (the GIL would
    serialize them here)."""
    base = Path(folder)
    image_path = base / f"image-{index}.binpb"
    image_path.write_bytes(image)
    out = base / f"out-{index}"
    out.mkdir()
    proc = run_protoc(
        [
            f"--descriptor_set_in={image_path}",
            f"--plugin=protoc-gen-mypy={base / 'protoc-gen-mypy'}",
            f"--plugin=protoc-gen-mypy_grpc={base / 'protoc-gen-mypy_grpc'}",
            f"--python_out={out}",
            f"--mypy_out=quiet:{out}",
            f"--mypy_grpc_out=quiet:{out}",
            *batch,
        ],
        base,
    )
    image_path.unlink()
    files: dict[str, bytes] = {}
    if proc.returncode != 0:
        return _BatchResult(proc.returncode, proc.stderr, files, frozenset())
    for path in sorted(out.rglob("*")):
        if path.is_file():
            files[path.relative_to(out).as_posix()] = path.read_bytes()
    python = {rel for rel in files if rel.endswith((".py", ".pyi"))}
    if parse_apart:
        check = subprocess.run(
            [sys.executable, "-c", _PARSE_CHECK, str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        # A failed checker proves nothing: then every output is parsed again by the caller.
        bad = set(check.stdout.split()) if check.returncode == 0 else python
    else:
        bad = {rel for rel in python if not _parses(files[rel], rel)}
    return _BatchResult(proc.returncode, proc.stderr, files, frozenset(python - bad))


def _parses(data: bytes, name: str) -> bool:
    try:
        ast.parse(data, filename=name)
    except (SyntaxError, ValueError):
        return False
    return True


def run_protoc_batches(
    image: Image,
    targets: Sequence[str],
    *,
    batch_size: int | None = None,
    workers: int | None = None,
) -> ProtocOutput:
    """Generate ``_pb2.py``, ``_pb2.pyi`` and ``_pb2_grpc.pyi`` for ``targets`` from ``image``.

    A big tree is cut into batches, at most ``workers`` protoc processes at once (each protoc
    run then holds only its batch's descriptors, not the whole tree's); every output is the
    same bytes as from one run over all targets.
    """
    files: dict[str, bytes] = {}
    parsed: set[str] = set()
    if not targets:
        return ProtocOutput(files, None, 0)
    size = batch_size or BATCH_SIZE
    pool_size = workers or WORKERS
    batches = _batches(targets, size, pool_size)
    with tempfile.TemporaryDirectory(prefix="protokit-gen-") as tmp:
        folder = Path(tmp)
        _plugin_launcher(folder, "mypy", "main")
        _plugin_launcher(folder, "mypy_grpc", "grpc")
        if len(batches) == 1:
            results = [_run_batch(tmp, 0, image.serialize(), batches[0], parse_apart=False)]
        else:
            # Threads, not worker processes: protoc runs in its own process anyway (the threads
            # wait on it without the GIL), and a process pool would re-import the caller's
            # ``__main__`` (a script calling run_gen without a main guard would run again).
            with ThreadPoolExecutor(min(pool_size, len(batches))) as pool:
                futures = [
                    pool.submit(_run_batch, tmp, i, _closure(image, batch), batch, parse_apart=True)
                    for i, batch in enumerate(batches)
                ]
                results = [future.result() for future in futures]
        for result in results:
            if result.returncode != 0:
                raise _protoc_error(result.stderr, image)
            files.update(result.files)
            parsed.update(result.parsed)
    gencode = None
    for name in sorted(files):
        if name.endswith("_pb2.py"):
            gencode = gencode_of(files[name])
            if gencode:
                break
    return ProtocOutput(dict(sorted(files.items())), gencode, len(batches), frozenset(parsed))
