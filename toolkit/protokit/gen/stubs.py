"""Message stubs from grpcio-tools' protoc, run once per batch of the descriptor image.

protoc gets the image as ``--descriptor_set_in`` (no ``.proto`` text is re-read) and runs three
generators in one process: the built-in Python generator (``*_pb2.py``) and mypy-protobuf's two
plugins (``*_pb2.pyi``, and ``*_pb2_grpc.pyi`` typed for grpc and grpc.aio). The runtime gRPC
module (``*_pb2_grpc.py``) is rendered by protokit itself from a template (see ``gen``), so
grpcio-tools' gRPC generator is not used. Output is read back into memory; nothing is written
into the workspace here.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError
from protokit.gen.mypy_plugin import declares_foreign_options
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

_SIGNALS = {s.value for s in signal.Signals}
_PLUGIN_FAILURE = re.compile(r"^--(?P<out>\w+)_out: (?P<msg>.+)$")


@dataclass(frozen=True)
class ProtocOutput:
    files: dict[str, bytes]  # output path (POSIX, relative to the stubs root) → bytes
    gencode: str | None  # the "Protobuf Python Version" the _pb2.py files carry
    runs: int  # how many protoc processes ran
    parsed: frozenset[str] = frozenset()  # outputs already parsed as valid Python


def _plugin_launcher(folder: Path, name: str, *, strip: bool) -> Path:
    """An executable protoc can start that runs one of mypy-protobuf's plugins in this Python,
    through ``protokit.gen.mypy_plugin`` (``strip``: remove the options it would misread).

    Going through ``sys.executable`` (rather than a console script on PATH) keeps it working
    from any install, activated or not.
    """
    path = folder / f"protoc-gen-{name}"
    python = sys.executable.replace("'", "'\\''")
    flag = " --strip" if strip else ""
    path.write_text(
        f"#!/bin/sh\nexec '{python}' -m protokit.gen.mypy_plugin {name}{flag}\n",
        encoding="utf-8",
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _protoc_error(stderr: str, image: Image, returncode: int = 1) -> ProtokitError:
    if returncode < 0:  # a signal: the kernel's OOM killer sends SIGKILL
        name = signal.Signals(-returncode).name if -returncode in _SIGNALS else str(-returncode)
        hint = " (out of memory?)" if -returncode == signal.SIGKILL else ""
        return ProtokitError(
            f"protoc was killed by {name}{hint} while generating a batch of "
            f"{len(image.targets)} files; nothing was written"
        )
    for raw in stderr.splitlines():
        plugin = _PLUGIN_FAILURE.match(raw.strip())
        if plugin:  # a generator failed: its own words, not a warning about some file
            return ProtokitError(
                f"the {plugin.group('out')} generator failed: {plugin.group('msg')}"
            )
    for raw in stderr.splitlines():
        if "warning:" in raw.lower():
            continue
        match = COMPILE_ERROR_LINE.match(raw.strip())
        if match:
            name = match.group("path")
            return ProtokitError(
                f"protoc rejected it: {match.group('msg')}",
                path=image.disk_paths.get(name, name),
                line=int(match.group("line")),
                column=int(match.group("col")),
            )
    lines = [
        line.strip()
        for line in stderr.splitlines()
        if line.strip() and "warning:" not in line.lower()
    ]
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
    parsed: frozenset[str]  # outputs verified here (the rest are parsed by the caller)


_PB2_HEADER = (
    b"# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.  DO NOT EDIT!\n"
)


def _verified(rel: str, data: bytes) -> bool:
    """Whether an output needs no further parse. ``.pyi`` files were parsed (where escaping
    mattered) by the plugin that wrote them; protoc's own ``_pb2.py`` is code of a fixed shape
    around a bytes literal protoc escapes itself, from module names the model checked: its
    header proves where it came from."""
    if rel.endswith(".pyi"):
        return True
    return rel.endswith("_pb2.py") and data.startswith(_PB2_HEADER)


def _run_batch(folder: str, index: int, image: bytes, batch: list[str]) -> _BatchResult:
    """One protoc run in its own folder; its outputs read back into memory."""
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
    parsed = frozenset(rel for rel, data in files.items() if _verified(rel, data))
    return _BatchResult(proc.returncode, proc.stderr, files, parsed)


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
        strip = declares_foreign_options(image.files)
        _plugin_launcher(folder, "mypy", strip=strip)
        _plugin_launcher(folder, "mypy_grpc", strip=strip)
        if len(batches) == 1:
            results = [_run_batch(tmp, 0, image.serialize(), batches[0])]
        else:
            # Threads, not worker processes: protoc runs in its own process anyway (the threads
            # wait on it without the GIL), and a process pool would re-import the caller's
            # ``__main__`` (a script calling run_gen without a main guard would run again).
            with ThreadPoolExecutor(min(pool_size, len(batches))) as pool:
                futures = [
                    pool.submit(_run_batch, tmp, i, _closure(image, batch), batch)
                    for i, batch in enumerate(batches)
                ]
                results = [future.result() for future in futures]
        for result in results:
            if result.returncode != 0:
                raise _protoc_error(result.stderr, image, result.returncode)
            files.update(result.files)
            parsed.update(result.parsed)
    gencode = None
    for name in sorted(files):
        if name.endswith("_pb2.py"):
            gencode = gencode_of(files[name])
            if gencode:
                break
    return ProtocOutput(dict(sorted(files.items())), gencode, len(batches), frozenset(parsed))
