"""Where each element of an image is declared, and its leading comment, keyed by full name.

Built once per image from ``SourceCodeInfo``; source paths are made from the ``*_FIELD_NUMBER``
constants. Images without source info (descriptor sets from elsewhere) give file-level locations.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import Image

_FILE_MESSAGE = d.FileDescriptorProto.MESSAGE_TYPE_FIELD_NUMBER
_FILE_ENUM = d.FileDescriptorProto.ENUM_TYPE_FIELD_NUMBER
_FILE_SERVICE = d.FileDescriptorProto.SERVICE_FIELD_NUMBER
_MSG_FIELD = d.DescriptorProto.FIELD_FIELD_NUMBER
_MSG_NESTED = d.DescriptorProto.NESTED_TYPE_FIELD_NUMBER
_MSG_ENUM = d.DescriptorProto.ENUM_TYPE_FIELD_NUMBER
_ENUM_VALUE = d.EnumDescriptorProto.VALUE_FIELD_NUMBER
_SERVICE_METHOD = d.ServiceDescriptorProto.METHOD_FIELD_NUMBER


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    column: int
    comment: str


_Spans = dict[tuple[int, ...], tuple[list[int], str]]


class SourceMap:
    """Locations of the image's own elements: ``acme.user.v1.User``, ``acme.user.v1.User.name``
    (fields and enum values under their parent), ``acme.user.v1.UserService.GetUser``, and
    files by import path."""

    def __init__(self, image: Image) -> None:
        self._by_name: dict[str, Location] = {}
        self._paths: dict[str, tuple[str, tuple[int, ...]]] = {}
        self._file = ""
        self._spans: dict[str, tuple[str, _Spans]] = {}
        for file in image.target_files():
            disk = image.disk_paths.get(file.name, file.name)
            spans: _Spans = {
                tuple(loc.path): (list(loc.span), loc.leading_comments)
                for loc in file.source_code_info.location
            }
            self._spans[file.name] = (disk, spans)
            self._file = file.name
            self._add(file.name, (), disk, spans)
            prefix = f"{file.package}." if file.package else ""
            for i, msg in enumerate(file.message_type):
                self._message(prefix + msg.name, msg, (_FILE_MESSAGE, i), disk, spans)
            for i, enum in enumerate(file.enum_type):
                self._enum(prefix + enum.name, enum, (_FILE_ENUM, i), disk, spans)
            for i, svc in enumerate(file.service):
                name = prefix + svc.name
                self._add(name, (_FILE_SERVICE, i), disk, spans)
                for j, method in enumerate(svc.method):
                    path = (_FILE_SERVICE, i, _SERVICE_METHOD, j)
                    self._add(f"{name}.{method.name}", path, disk, spans)

    def _add(self, name: str, path: tuple[int, ...], disk: str, spans: _Spans) -> None:
        if path:
            self._paths[name] = (self._file, path)
        span, comment = spans.get(path, ([], ""))
        line, column = (span[0] + 1, span[1] + 1) if len(span) >= 2 else (1, 1)
        self._by_name[name] = Location(disk, line, column, comment.strip())

    def _message(
        self, name: str, msg: d.DescriptorProto, path: tuple[int, ...], disk: str, spans: _Spans
    ) -> None:
        self._add(name, path, disk, spans)
        for i, field in enumerate(msg.field):
            self._add(f"{name}.{field.name}", (*path, _MSG_FIELD, i), disk, spans)
        for i, nested in enumerate(msg.nested_type):
            self._message(f"{name}.{nested.name}", nested, (*path, _MSG_NESTED, i), disk, spans)
        for i, enum in enumerate(msg.enum_type):
            self._enum(f"{name}.{enum.name}", enum, (*path, _MSG_ENUM, i), disk, spans)

    def _enum(
        self,
        name: str,
        enum: d.EnumDescriptorProto,
        path: tuple[int, ...],
        disk: str,
        spans: _Spans,
    ) -> None:
        self._add(name, path, disk, spans)
        for i, value in enumerate(enum.value):
            self._add(f"{name}.{value.name}", (*path, _ENUM_VALUE, i), disk, spans)

    def span(self, file: str, path: tuple[int, ...]) -> Location | None:
        """Where a source path of ``file`` is declared (a file option, say), if recorded."""
        disk, spans = self._spans.get(file, ("", {}))
        span, comment = spans.get(path, ([], ""))
        if len(span) < 2:
            return None
        return Location(disk, span[0] + 1, span[1] + 1, comment.strip())

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
