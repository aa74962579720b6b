"""``python_package_map``: generated modules moved to another Python package.

A dependency's folder can make an unusable Python package (``io/prometheus/client/*.proto``
would shadow the standard library's ``io``), and the user cannot move someone else's file. The
map renames the files *in the descriptors handed to the generators* (``io/prometheus/client/
metrics.proto`` → ``ioprom/client/metrics.proto``), and every import of them with it, so protoc's
``_pb2.py``, mypy-protobuf's ``.pyi``, protokit's ``_pb2_grpc.py`` and the typed gRPC stubs all
agree on the new module path. Proto packages and full type names stay as they are: the wire
format, ``Any`` type URLs and JSON names do not change.
"""

from __future__ import annotations

from collections.abc import Mapping

from google.protobuf import descriptor_pb2

from protokit.core.descriptors import Image

__all__ = ["map_file", "map_image"]


def map_file(name: str, mapping: Mapping[str, str]) -> str:
    """The import path ``name`` takes under ``mapping`` (the longest matching package wins)."""
    folder, _, leaf = name.rpartition("/")
    dotted = folder.replace("/", ".")
    best = ""
    for old in mapping:
        if (dotted == old or dotted.startswith(f"{old}.")) and len(old) > len(best):
            best = old
    if not best:
        return name
    moved = mapping[best] + dotted[len(best) :]
    return f"{moved.replace('.', '/')}/{leaf}"


def map_image(image: Image, mapping: Mapping[str, str]) -> Image:
    """``image`` with its files renamed by ``mapping``; untouched files are shared, renamed ones
    are copies (descriptors are never changed in place). Disk paths follow the new names."""
    if not mapping:
        return image
    renamed = {f.name: map_file(f.name, mapping) for f in image.files}
    if all(old == new for old, new in renamed.items()):
        return image
    files: list[descriptor_pb2.FileDescriptorProto] = []
    for proto in image.files:
        deps = [renamed.get(dep, dep) for dep in proto.dependency]
        if renamed[proto.name] == proto.name and deps == list(proto.dependency):
            files.append(proto)
            continue
        copy = descriptor_pb2.FileDescriptorProto()
        copy.CopyFrom(proto)
        copy.name = renamed[proto.name]
        del copy.dependency[:]
        copy.dependency.extend(deps)
        files.append(copy)
    disk = {renamed.get(name, name): path for name, path in image.disk_paths.items()}
    for old, new in renamed.items():
        if old != new:
            disk.setdefault(new, old)
    targets = tuple(sorted(renamed.get(t, t) for t in image.targets))
    return Image(tuple(files), targets, disk, image.key)
