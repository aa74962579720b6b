"""Compiled descriptors: the single source of truth for everything protokit derives.

An ``Image`` is a module's files plus every import, in dependency order, as ``buf build``
(``protokit.tools.image``) or a descriptor-set file gives them. Nothing here reads ``.proto`` text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

from protokit.core.errors import ProtokitError


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


_FIELD_TYPES = descriptor_pb2.FieldDescriptorProto.Type
SCALAR_NAMES: dict[int, str] = {
    value: name.removeprefix("TYPE_").lower() for name, value in _FIELD_TYPES.items()
}
"""Field type numbers (``FieldDescriptorProto.TYPE_*``, which the runtime's ``FieldDescriptor``
shares) to their ``.proto`` spelling: ``int64``, ``string``, ``message``."""


def scalar_name(type_number: int) -> str:
    return SCALAR_NAMES.get(type_number, str(type_number))
