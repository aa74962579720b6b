"""Message stubs for a batch of the descriptor image: protoc for the modules, mypy-protobuf for
the typed stubs, side by side.

Each batch of targets gets two processes, all batches running at once on the machine's cores:

- grpcio-tools' protoc with ``--descriptor_set_in`` and ``--python_out`` (``*_pb2.py``). It is
  given the batch's descriptors *without* source info: the module holds no comments, and
  reading comments and spans is most of what protoc would otherwise spend loading a batch;
- ``protokit.gen.mypy_plugin``, which runs mypy-protobuf's two generators in one Python process
  on a ``CodeGeneratorRequest`` built here (comments kept): ``*_pb2.pyi``, and
  ``*_pb2_grpc.pyi`` typed for grpc and grpc.aio for files with services.

The runtime gRPC module (``*_pb2_grpc.py``) is rendered by protokit itself from a template (see
``gen``), so grpcio-tools' gRPC generator is not used. Output is read back into memory; nothing
is written into the workspace here.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from google.protobuf.compiler import plugin_pb2

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError
from protokit.gen.mypy_plugin import declares_foreign_options
from protokit.gen.typed_worker import run_worker
from protokit.tools.buf_output import COMPILE_ERROR_LINE
from protokit.tools.process import first_line
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


def _killed(tool: str, returncode: int, files: int) -> str:
    """What to say of ``tool`` stopped by a signal (the kernel's OOM killer sends SIGKILL)."""
    name = signal.Signals(-returncode).name if -returncode in _SIGNALS else str(-returncode)
    hint = " (out of memory?)" if -returncode == signal.SIGKILL else ""
    return (
        f"{tool} was killed by {name}{hint} while generating a batch of {files} files; "
        "nothing was written"
    )


def _protoc_error(stderr: str, image: Image, returncode: int = 1) -> ProtokitError:
    if returncode < 0:
        return ProtokitError(_killed("protoc", returncode, len(image.targets)))
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


def _run_python(folder: str, index: int, image: bytes, batch: list[str]) -> _BatchResult:
    """protoc's ``_pb2.py`` modules for one batch, read back into memory. protoc writes them
    into one zip archive (stored, not compressed): one file created instead of one per module,
    which on a big tree is seconds of file-system work."""
    base = Path(folder)
    image_path = base / f"image-{index}.binpb"
    image_path.write_bytes(image)
    out = base / f"out-{index}.zip"
    proc = run_protoc([f"--descriptor_set_in={image_path}", f"--python_out={out}", *batch], base)
    image_path.unlink()
    files: dict[str, bytes] = {}
    if proc.returncode != 0:
        return _BatchResult(proc.returncode, proc.stderr, files, frozenset())
    try:
        with zipfile.ZipFile(out) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    files[PurePosixPath(info.filename).as_posix()] = archive.read(info)
    except Exception as exc:  # protoc said it succeeded; it did not (zipfile raises many kinds)
        detail = str(exc).replace(str(out), out.name) or type(exc).__name__
        message = f"it exited 0 but left no readable modules ({detail})"
        return _BatchResult(1, message, {}, frozenset())
    out.unlink()
    parsed = frozenset(rel for rel, data in files.items() if _verified(rel, data))
    return _BatchResult(proc.returncode, proc.stderr, files, parsed)


TYPED_PARAMETER = "quiet"
"""mypy-protobuf's options: none but quiet (the generator's defaults are the stubs' shape)."""


def _run_typed(folder: str, index: int, request: bytes, strip: bool, files: int) -> _BatchResult:
    """mypy-protobuf's typed stubs for one batch of ``files`` files (``request``: a serialized
    ``CodeGeneratorRequest``), from a worker process."""
    base = Path(folder)
    request_path, response_path = base / f"request-{index}.binpb", base / f"response-{index}.binpb"
    request_path.write_bytes(request)
    proc = run_worker(request_path, response_path, strip)
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0:
        return _BatchResult(1, _killed("mypy-protobuf", proc.returncode, files), {}, frozenset())
    if proc.returncode != 0 or not response_path.is_file():
        lines = [line for line in stderr.splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else f"exit {proc.returncode}"
        return _BatchResult(1, f"mypy-protobuf failed: {detail}", {}, frozenset())
    data = response_path.read_bytes()
    try:
        response = plugin_pb2.CodeGeneratorResponse.FromString(data)
    except Exception:  # protobuf raises DecodeError (and others) on garbage
        shown = first_line(data)[:80]
        return _BatchResult(1, f"mypy-protobuf wrote no response: {shown!r}", {}, frozenset())
    if response.error:
        return _BatchResult(1, response.error, {}, frozenset())
    stubs = {item.name: item.content.encode("utf-8") for item in response.file}
    return _BatchResult(0, stderr, stubs, frozenset(stubs))  # parsed where it mattered


def _typed_request(image: Image, batch: list[str]) -> bytes:
    request = plugin_pb2.CodeGeneratorRequest(
        file_to_generate=batch, parameter=TYPED_PARAMETER, proto_file=image.closure(batch)
    )
    return request.SerializeToString(deterministic=True)


def run_protoc_batches(
    image: Image,
    targets: Sequence[str],
    *,
    batch_size: int | None = None,
    workers: int | None = None,
    modules: bool = True,
) -> ProtocOutput:
    """Generate ``_pb2.py``, ``_pb2.pyi`` and ``_pb2_grpc.pyi`` for ``targets`` from ``image``
    (``modules=False``: the typed stubs only).

    A big tree is cut into batches; each batch is one protoc run and one mypy-protobuf worker,
    ``workers + 1`` processes at once (each holds only its batch's descriptors, not the whole
    tree's). Every output is the same bytes as from one run over all targets.
    """
    files: dict[str, bytes] = {}
    parsed: set[str] = set()
    if not targets:
        return ProtocOutput(files, None, 0)
    size = batch_size or BATCH_SIZE
    pool_size = workers or WORKERS
    batches = _batches(targets, size, pool_size)
    strip = declares_foreign_options(image.files)
    with tempfile.TemporaryDirectory(prefix="protokit-gen-") as tmp:
        # Threads, not worker processes: each job runs in its own process anyway (the threads
        # wait on it without the GIL), and a process pool would re-import the caller's
        # ``__main__`` (a script calling run_gen without a main guard would run again).
        with ThreadPoolExecutor(pool_size + 1) as pool:
            jobs = []  # (typed?, job)
            for i, batch in enumerate(batches):  # the longer job of each batch first
                request = _typed_request(image, batch)
                jobs.append((True, pool.submit(_run_typed, tmp, i, request, strip, len(batch))))
                if modules:
                    data = image.serialize_closure(batch, source_info=False)
                    jobs.append((False, pool.submit(_run_python, tmp, i, data, batch)))
            results = [(typed, job.result()) for typed, job in jobs]
        for typed, result in results:
            if result.returncode != 0:
                if typed:  # its error names the generator and the file already
                    raise ProtokitError(result.stderr)
                raise _protoc_error(result.stderr, image, result.returncode)
            files.update(result.files)
            parsed.update(result.parsed)
    gencode = None
    for name in sorted(files):
        if name.endswith("_pb2.py"):
            gencode = gencode_of(files[name])
            if gencode:
                break
    runs = len(batches) if modules else 0
    return ProtocOutput(dict(sorted(files.items())), gencode, runs, frozenset(parsed))
