"""Message stubs from grpcio-tools' protoc, run once per batch on the whole descriptor image.

protoc gets the image as ``--descriptor_set_in`` (no ``.proto`` text is re-read) and runs three
generators in one process: the built-in Python generator (``*_pb2.py``) and mypy-protobuf's two
plugins (``*_pb2.pyi``, and ``*_pb2_grpc.pyi`` typed for grpc and grpc.aio). The runtime gRPC
module (``*_pb2_grpc.py``) is rendered by protokit itself from a template (see ``gen``), so
grpcio-tools' gRPC generator is not used. Output is read back into memory; nothing is written
into the workspace here.
"""

from __future__ import annotations

import re
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from protokit.descriptors import Image
from protokit.errors import ProtokitError
from protokit.toolchain import run_protoc

__all__ = ["BATCH_SIZE", "ProtocOutput", "run_protoc_batches"]

BATCH_SIZE = 1000
"""Files per protoc run: one run for any ordinary module, a few for googleapis-sized trees."""

_GENCODE = re.compile(rb"^# Protobuf Python Version: (\S+)$", re.M)
_PROTOC_LOCATION = re.compile(
    r"^(?P<path>[^:\s][^:]*\.proto):(?P<line>\d+):(?P<col>\d+):\s*(?P<msg>.*)$"
)


@dataclass(frozen=True)
class ProtocOutput:
    files: dict[str, bytes]  # output path (POSIX, relative to the stubs root) → bytes
    gencode: str | None  # the "Protobuf Python Version" the _pb2.py files carry
    runs: int  # how many protoc processes ran


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
        match = _PROTOC_LOCATION.match(raw.strip())
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


def run_protoc_batches(image: Image, targets: Sequence[str]) -> ProtocOutput:
    """Generate ``_pb2.py``, ``_pb2.pyi`` and ``_pb2_grpc.pyi`` for ``targets`` from ``image``."""
    files: dict[str, bytes] = {}
    runs = 0
    if not targets:
        return ProtocOutput(files, None, 0)
    with tempfile.TemporaryDirectory(prefix="protokit-gen-") as tmp:
        folder = Path(tmp)
        image_path = folder / "image.binpb"
        image_path.write_bytes(image.serialize())
        mypy = _plugin_launcher(folder, "mypy", "main")
        mypy_grpc = _plugin_launcher(folder, "mypy_grpc", "grpc")
        out = folder / "out"
        out.mkdir()
        for start in range(0, len(targets), BATCH_SIZE):
            batch = list(targets[start : start + BATCH_SIZE])
            proc = run_protoc(
                [
                    f"--descriptor_set_in={image_path}",
                    f"--plugin=protoc-gen-mypy={mypy}",
                    f"--plugin=protoc-gen-mypy_grpc={mypy_grpc}",
                    f"--python_out={out}",
                    f"--mypy_out=quiet:{out}",
                    f"--mypy_grpc_out=quiet:{out}",
                    *batch,
                ],
                folder,
            )
            runs += 1
            if proc.returncode != 0:
                raise _protoc_error(proc.stderr, image)
        for path in sorted(out.rglob("*")):
            if path.is_file():
                files[path.relative_to(out).as_posix()] = path.read_bytes()
    gencode = None
    for name in sorted(files):
        if name.endswith("_pb2.py"):
            match = _GENCODE.search(files[name])
            if match:
                gencode = match.group(1).decode("ascii")
                break
    return ProtocOutput(files, gencode, runs)
