"""Compiled descriptors: the single source of truth for everything protokit derives.

An ``Image`` is a module's files plus every import, in dependency order, as ``buf build``
(``protokit.tools.image``) or a descriptor-set file gives them. ``walk_messages`` and
``walk_enums`` are the one walk over a file's message tree (full names and source paths made from
the ``*_FIELD_NUMBER`` constants). Nothing here reads ``.proto`` text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import descriptor_pb2

from protokit.core.errors import ProtokitError
from protokit.core.naming import WELL_KNOWN_PREFIX
from protokit.core.paths import read_regular

MAX_IMAGE_BYTES = 2 * 1024 * 1024 * 1024
"""The largest descriptor image protokit reads."""


@dataclass(frozen=True)
class Image:
    """A compiled module: ``files`` in dependency order, ``targets`` the module's own files
    (import paths), and where each target lives on disk relative to the workspace root.
    ``key``: the image cache's key for the sources it was compiled from, when it was compiled
    from the workspace (None otherwise); not part of what the image says."""

    files: tuple[descriptor_pb2.FileDescriptorProto, ...]
    targets: tuple[str, ...]
    disk_paths: dict[str, str]
    key: str | None = field(default=None, compare=False)

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

    def closure(self, names: Iterable[str]) -> list[descriptor_pb2.FileDescriptorProto]:
        """The files ``names`` and every file they import, transitively, in the image's
        dependency order."""
        by_name = {f.name: f for f in self.files}
        needed: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name in needed or name not in by_name:
                continue
            needed.add(name)
            stack.extend(by_name[name].dependency)
        return [f for f in self.files if f.name in needed]

    def serialize_closure(self, names: Iterable[str], *, source_info: bool = True) -> bytes:
        """``closure(names)`` as a serialized descriptor set (``source_info``: with comments
        and spans)."""
        subset = self.closure(names)
        if not source_info:
            subset = [_stripped(f) for f in subset]
        return descriptor_pb2.FileDescriptorSet(file=subset).SerializeToString(deterministic=True)


def _stripped(proto: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    copy = descriptor_pb2.FileDescriptorProto()
    copy.CopyFrom(proto)
    copy.ClearField("source_code_info")
    return copy


_FILE_MESSAGE = descriptor_pb2.FileDescriptorProto.MESSAGE_TYPE_FIELD_NUMBER
_FILE_ENUM = descriptor_pb2.FileDescriptorProto.ENUM_TYPE_FIELD_NUMBER
_MESSAGE_NESTED = descriptor_pb2.DescriptorProto.NESTED_TYPE_FIELD_NUMBER
_MESSAGE_ENUM = descriptor_pb2.DescriptorProto.ENUM_TYPE_FIELD_NUMBER


@dataclass(frozen=True)
class MessageAt:
    """A message of a file, wherever it is nested."""

    full_name: str  # acme.user.v1.User.Address (no leading dot)
    local_name: str  # User.Address: the name inside the package (and the generated module)
    path: tuple[int, ...]  # its SourceCodeInfo path
    message: descriptor_pb2.DescriptorProto

    @property
    def is_map_entry(self) -> bool:
        return self.message.options.map_entry


@dataclass(frozen=True)
class EnumAt:
    """An enum of a file, top-level or nested in a message."""

    full_name: str
    path: tuple[int, ...]
    enum: descriptor_pb2.EnumDescriptorProto


def walk_messages(file: descriptor_pb2.FileDescriptorProto) -> Iterator[MessageAt]:
    """Every message of ``file``, each before the messages nested in it, in declaration order
    (map entries included: ``is_map_entry`` tells them apart)."""
    prefix = f"{file.package}." if file.package else ""
    stack = [
        MessageAt(prefix + msg.name, msg.name, (_FILE_MESSAGE, i), msg)
        for i, msg in enumerate(file.message_type)
    ]
    stack.reverse()
    while stack:  # iterative: a deeply nested message tree needs no recursion
        at = stack.pop()
        yield at
        nested = [
            MessageAt(
                f"{at.full_name}.{msg.name}",
                f"{at.local_name}.{msg.name}",
                (*at.path, _MESSAGE_NESTED, i),
                msg,
            )
            for i, msg in enumerate(at.message.nested_type)
        ]
        stack.extend(reversed(nested))


def walk_enums(file: descriptor_pb2.FileDescriptorProto) -> Iterator[EnumAt]:
    """Every enum of ``file``: the top-level ones, then those nested in each message."""
    prefix = f"{file.package}." if file.package else ""
    for i, enum in enumerate(file.enum_type):
        yield EnumAt(prefix + enum.name, (_FILE_ENUM, i), enum)
    for at in walk_messages(file):
        for i, enum in enumerate(at.message.enum_type):
            yield EnumAt(f"{at.full_name}.{enum.name}", (*at.path, _MESSAGE_ENUM, i), enum)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _skip(data: bytes, pos: int, wire: int, number: int) -> int:
    if wire == 0:
        return _varint(data, pos)[1]
    if wire == 1:
        return pos + 8
    if wire == 5:
        return pos + 4
    if wire == 2:
        length, pos = _varint(data, pos)
        return pos + length
    if wire == 3:  # a group: skip to its end tag
        while True:
            tag, pos = _varint(data, pos)
            if tag >> 3 == number and tag & 7 == 4:
                return pos
            pos = _skip(data, pos, tag & 7, tag >> 3)
    raise ValueError(f"unexpected wire type {wire}")


def strip_fields(data: bytes, numbers: range) -> bytes:
    """``data`` (one serialized message) without its top-level fields numbered in ``numbers``."""
    kept: list[bytes] = []
    pos = 0
    while pos < len(data):
        start = pos
        tag, pos = _varint(data, pos)
        pos = _skip(data, pos, tag & 7, tag >> 3)
        if tag >> 3 not in numbers:
            kept.append(data[start:pos])
    return b"".join(kept)


BUF_IMAGE_FIELDS = range(8042, 8043)
"""``FileDescriptorProto`` fields buf adds to every file of its images (``buf_extension``:
whether it is an import, whether its syntax was unspecified); protoc adds none."""


def file_digests(image: Image, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """What each file's descriptor says (name → digest): the descriptor without source info,
    options included (they are compiled into the ``_pb2.py``), and its comments by source path
    (not spans: a change that only moves lines renders nothing again). Imported well-known
    types count by name only: they come with the compiler, whose version is an input of its
    own. ``known``: digests of files the caller knows to be unchanged since they were
    computed."""
    own = set(image.targets)
    digests: dict[str, str] = {}
    for proto in image.files:
        if known is not None and proto.name in known:
            digests[proto.name] = known[proto.name]
            continue
        digest = hashlib.sha256(proto.name.encode() + b"\0")
        if not proto.name.startswith(WELL_KNOWN_PREFIX) or proto.name in own:
            data = _stripped(proto).SerializeToString(deterministic=True)
            digest.update(strip_fields(data, BUF_IMAGE_FIELDS))  # the same whichever compiled
            comments = sorted(
                (
                    list(loc.path),
                    loc.leading_comments,
                    loc.trailing_comments,
                    *loc.leading_detached_comments,
                )
                for loc in proto.source_code_info.location
                if loc.leading_comments or loc.trailing_comments or loc.leading_detached_comments
            )
            digest.update(json.dumps(comments).encode())
        digests[proto.name] = digest.hexdigest()
    return digests


def content_digest(digests: Mapping[str, str]) -> str:
    """One digest for a whole image from its ``file_digests``."""
    return hashlib.sha256(json.dumps(sorted(digests.items())).encode()).hexdigest()


def without_source_info(proto: descriptor_pb2.FileDescriptorProto) -> bytes:
    """A file's descriptor without its comments and spans: what other files compile against."""
    return _stripped(proto).SerializeToString(deterministic=True)


def _payload_shape(proto: descriptor_pb2.FileDescriptorProto) -> bytes:
    """What of a file can change how its messages read: the descriptor without comments and
    without unknown fields (a compiler's own additions, such as buf's image extension, and
    custom options, which no payload carries), whichever compiler made it."""
    copy = _stripped(proto)
    copy.DiscardUnknownFields()
    return copy.SerializeToString(deterministic=True)


def changed_targets(before: Image, after: Image) -> set[str]:
    """Targets of ``before`` whose messages may read differently in ``after`` (their
    descriptor, comments and custom options aside, differs or is gone), and every target of
    ``before`` importing one of them, directly or not. Well-known types count as unchanged:
    each compiler bundles its own copy, and their messages are the runtime's."""
    now = {f.name: f for f in after.files}
    changed = {
        f.name
        for f in before.target_files()
        if not f.name.startswith(WELL_KNOWN_PREFIX)
        and (f.name not in now or _payload_shape(f) != _payload_shape(now[f.name]))
    }
    importers: dict[str, list[str]] = {}
    for f in before.files:
        for dep in f.dependency:
            importers.setdefault(dep, []).append(f.name)
    stack = list(changed)
    while stack:
        for name in importers.get(stack.pop(), []):
            if name not in changed:
                changed.add(name)
                stack.append(name)
    return changed & set(before.targets)


def load_image_file(path: Path) -> Image:
    """Read a descriptor set / buf image file, binary or buf's JSON form (``buf build -o
    image.json``), told apart by content; every file in it counts as a target."""
    try:
        data = read_regular(path, what="descriptor image", limit=MAX_IMAGE_BYTES)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise ProtokitError("descriptor image not found", path=str(path)) from exc
    if is_json_image(data):
        return _json_image(data, str(path))
    return load_image_bytes(data, str(path))


def is_json_image(data: bytes) -> bool:
    """Whether an image file's bytes are buf's JSON form: a JSON object. A binary image starts
    with its first file's tag (``0x0a``), never with ``{`` or blank space."""
    return data.lstrip(b" \t\r\n")[:1] == b"{"


def _json_image(data: bytes, shown: str) -> Image:
    from google.protobuf import json_format

    files = descriptor_pb2.FileDescriptorSet()
    try:
        # buf's own per-file record (which files were imports, the module) is not part of a
        # descriptor set: as in a binary image read here, every file counts
        json_format.Parse(data.decode("utf-8"), files, ignore_unknown_fields=True)
    except (json_format.ParseError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ProtokitError(
            f"not a descriptor set or buf image (JSON): {detail}", path=shown
        ) from exc
    return _image_of(files)


def load_image_bytes(data: bytes, shown: str) -> Image:
    """A descriptor set / buf image from bytes; ``shown`` names where they came from."""
    try:
        files = descriptor_pb2.FileDescriptorSet.FromString(data)
    except Exception as exc:  # protobuf raises DecodeError (and others) on garbage
        raise ProtokitError("not a descriptor set or buf image (binary)", path=shown) from exc
    return _image_of(files)


def _image_of(files: descriptor_pb2.FileDescriptorSet) -> Image:
    names = tuple(sorted(f.name for f in files.file if not f.name.startswith(WELL_KNOWN_PREFIX)))
    return Image(files=tuple(files.file), targets=names, disk_paths={})


_FIELD_TYPES = descriptor_pb2.FieldDescriptorProto.Type
SCALAR_NAMES: dict[int, str] = {
    value: name.removeprefix("TYPE_").lower() for name, value in _FIELD_TYPES.items()
}
"""Field type numbers (``FieldDescriptorProto.TYPE_*``, which the runtime's ``FieldDescriptor``
shares) to their ``.proto`` spelling: ``int64``, ``string``, ``message``."""


def scalar_name(type_number: int) -> str:
    return SCALAR_NAMES.get(type_number, str(type_number))
