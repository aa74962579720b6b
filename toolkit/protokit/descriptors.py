"""Compiled descriptors: the single source of truth for everything protokit derives.

``build_image`` runs ``buf build`` (source info kept) and returns the module's files plus every
import, in dependency order. Nothing here reads ``.proto`` text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

from protokit.buf import parse_compile_errors, run_buf
from protokit.errors import ProtokitError
from protokit.workspace import Workspace


@dataclass(frozen=True)
class Image:
    """A compiled module: ``files`` in dependency order, ``targets`` the module's own files
    (import paths), and where each target lives on disk relative to the workspace root."""

    files: tuple[descriptor_pb2.FileDescriptorProto, ...]
    targets: tuple[str, ...]
    disk_paths: dict[str, str]

    def file(self, name: str) -> descriptor_pb2.FileDescriptorProto:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)

    def target_files(self) -> list[descriptor_pb2.FileDescriptorProto]:
        wanted = set(self.targets)
        return [f for f in self.files if f.name in wanted]

    def descriptor_set(self) -> descriptor_pb2.FileDescriptorSet:
        return descriptor_pb2.FileDescriptorSet(file=self.files)

    def serialize(self) -> bytes:
        return self.descriptor_set().SerializeToString(deterministic=True)


def build_image(ws: Workspace) -> Image:
    """Compile the workspace with buf, keeping source info (comments and spans)."""
    result = run_buf(["build", "--error-format", "json", "-o", "-#format=binpb"], ws.root)
    if result.returncode != 0:
        raise _compile_failure(result.stderr, result.stdout)
    files = descriptor_pb2.FileDescriptorSet.FromString(result.stdout)
    listing = run_buf(["ls-files", "--format", "json"], ws.root)
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
    return Image(files=tuple(files.file), targets=tuple(sorted(targets)), disk_paths=disk)


def load_image_file(path: Path) -> Image:
    """Read a descriptor set / buf image file (binary); every file in it counts as a target."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProtokitError(
            f"cannot read descriptor image: {exc.strerror}", path=str(path)
        ) from exc
    try:
        files = descriptor_pb2.FileDescriptorSet.FromString(data)
    except Exception as exc:  # protobuf raises DecodeError (and others) on garbage
        raise ProtokitError("not a descriptor set or buf image (binary)", path=str(path)) from exc
    names = tuple(sorted(f.name for f in files.file if not f.name.startswith("google/protobuf/")))
    return Image(files=tuple(files.file), targets=names, disk_paths={})


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
