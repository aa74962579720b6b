"""Where each element of an image is declared, and its comments: the one index of
``SourceCodeInfo``.

``SourceIndex`` indexes one file's locations by source path (built on first use: most files of a
big tree never need it); ``SourceMap`` keys the locations of an image's own elements by full name.
Source paths come from ``protokit.core.descriptors``' walks, made from the ``*_FIELD_NUMBER``
constants. Images without source info (descriptor sets from elsewhere) give file-level locations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import Image, walk_enums, walk_messages

_FILE_SERVICE = d.FileDescriptorProto.SERVICE_FIELD_NUMBER
_MSG_FIELD = d.DescriptorProto.FIELD_FIELD_NUMBER
_ENUM_VALUE = d.EnumDescriptorProto.VALUE_FIELD_NUMBER
_SERVICE_METHOD = d.ServiceDescriptorProto.METHOD_FIELD_NUMBER


class SourceIndex:
    """One file's ``SourceCodeInfo`` by source path (the first location of a path wins)."""

    def __init__(self, file: d.FileDescriptorProto) -> None:
        self._file = file
        self._index: dict[tuple[int, ...], d.SourceCodeInfo.Location] | None = None

    def location(self, path: Sequence[int]) -> d.SourceCodeInfo.Location | None:
        if self._index is None:
            locations = self._file.source_code_info.location
            # reversed: where a path has several locations, the first one is kept
            self._index = {tuple(loc.path): loc for loc in reversed(locations)}
        return self._index.get(tuple(path))


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    column: int
    comment: str


class SourceMap:
    """Locations of the image's own elements: ``acme.user.v1.User``, ``acme.user.v1.User.name``
    (fields and enum values under their parent), ``acme.user.v1.UserService.GetUser``, and
    files by import path."""

    def __init__(self, image: Image) -> None:
        self._by_name: dict[str, Location] = {}
        self._files: dict[str, tuple[str, SourceIndex]] = {}  # import path -> disk path, index
        self._paths: dict[str, tuple[str, tuple[int, ...]]] = {}  # full name -> file, path
        for file in image.target_files():
            disk = image.disk_paths.get(file.name, file.name)
            self._files[file.name] = (disk, SourceIndex(file))
            self._add(file.name, file.name, ())
            for msg in walk_messages(file):
                self._add(msg.full_name, file.name, msg.path)
                for i, field in enumerate(msg.message.field):
                    name = f"{msg.full_name}.{field.name}"
                    self._add(name, file.name, (*msg.path, _MSG_FIELD, i))
            for enum in walk_enums(file):
                self._add(enum.full_name, file.name, enum.path)
                for i, value in enumerate(enum.enum.value):
                    name = f"{enum.full_name}.{value.name}"
                    self._add(name, file.name, (*enum.path, _ENUM_VALUE, i))
            prefix = f"{file.package}." if file.package else ""
            for i, svc in enumerate(file.service):
                name = prefix + svc.name
                self._add(name, file.name, (_FILE_SERVICE, i))
                for j, method in enumerate(svc.method):
                    path = (_FILE_SERVICE, i, _SERVICE_METHOD, j)
                    self._add(f"{name}.{method.name}", file.name, path)

    def _add(self, name: str, file: str, path: tuple[int, ...]) -> None:
        if path:
            self._paths[name] = (file, path)
        found = self.span(file, path)
        self._by_name[name] = found or Location(self._files[file][0], 1, 1, "")

    def span(self, file: str, path: tuple[int, ...]) -> Location | None:
        """Where a source path of ``file`` (an import path) is declared, if recorded."""
        disk, index = self._files.get(file, ("", None))
        found = index.location(path) if index is not None else None
        if found is None or len(found.span) < 2:
            return None
        return Location(disk, found.span[0] + 1, found.span[1] + 1, found.leading_comments.strip())

    def part(self, name: str, sub: tuple[int, ...]) -> Location | None:
        """Where a part of an element is declared: ``sub`` is a source path below the element
        (its name, its type, one of its options)."""
        found = self._paths.get(name)
        return self.span(found[0], found[1] + sub) if found is not None else None

    def get(self, name: str) -> Location | None:
        return self._by_name.get(name)

    def nearest(self, *names: str) -> Location | None:
        """The first of ``names`` that has a location (an element, then its parents)."""
        for name in names:
            found = self._by_name.get(name)
            if found is not None:
                return found
        return None
