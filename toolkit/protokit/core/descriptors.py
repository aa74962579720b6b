"""Compiled descriptors: the single source of truth for everything protokit derives.

An ``Image`` is a module's files plus every import, in dependency order, as ``buf build``
(``protokit.tools.image``) or a descriptor-set file gives them. Nothing here reads ``.proto`` text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

from protokit.core.errors import ProtokitError
from protokit.core.paths import read_regular

MAX_IMAGE_BYTES = 2 * 1024 * 1024 * 1024
"""The largest descriptor image protokit reads."""


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


def load_image_file(path: Path) -> Image:
    """Read a descriptor set / buf image file (binary); every file in it counts as a target."""
    try:
        data = read_regular(path, what="descriptor image", limit=MAX_IMAGE_BYTES)
    except FileNotFoundError as exc:
        raise ProtokitError("descriptor image not found", path=str(path)) from exc
    return parse_image(data, str(path))


def parse_image(data: bytes, shown: str) -> Image:
    """A descriptor set / buf image from its bytes; every file in it counts as a target."""
    try:
        files = descriptor_pb2.FileDescriptorSet.FromString(data)
    except Exception as exc:  # protobuf raises DecodeError (and others) on garbage
        raise ProtokitError("not a descriptor set or buf image (binary)", path=shown) from exc
    names = tuple(sorted(f.name for f in files.file if not f.name.startswith("google/protobuf/")))
    return Image(files=tuple(files.file), targets=names, disk_paths={})
