"""Building the ``gen`` model from the ``FileDescriptorProto``s of an image.

Descriptors are read, never mutated. Names that cannot become importable Python, or that
collide after mangling, are refused here with the ``.proto`` path and line.
"""

from __future__ import annotations

import importlib.util
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from functools import partial

from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import Image, MessageAt, walk_messages
from protokit.core.errors import ProtokitError
from protokit.core.naming import (
    WELL_KNOWN_PREFIX,
    NameCollisionError,
    check_unique,
    find_collisions,
    module_path_problem,
    safe_identifier,
    shadowing,
)
from protokit.core.sourcemap import SourceIndex
from protokit.gen.model import (
    Comment,
    Field,
    Message,
    Method,
    Model,
    ProtoFile,
    RpcKind,
    Service,
    TypeRef,
    module_alias,
    python_module,
)

__all__ = ["build_model"]

_FILE_SERVICE = d.FileDescriptorProto.SERVICE_FIELD_NUMBER
_MESSAGE_FIELD = d.DescriptorProto.FIELD_FIELD_NUMBER
_SERVICE_METHOD = d.ServiceDescriptorProto.METHOD_FIELD_NUMBER

# Names the generated ``_pb2_grpc`` module defines or imports itself; proto-derived names there
# must not take them.
GRPC_MODULE_RESERVED = frozenset(
    {"_grpc", "_version_not_supported", "GRPC_GENERATED_VERSION", "GRPC_VERSION"}
)


def _comment(index: SourceIndex, path: Sequence[int]) -> Comment:
    """The leading and trailing comments at ``path``, and the line they belong to (read when
    first asked for)."""

    def read() -> tuple[str, int]:
        location = index.location(path)
        if location is None:
            return "", 0
        parts = [p for p in (location.leading_comments, location.trailing_comments) if p.strip()]
        line = location.span[0] + 1 if location.span else 0
        text = "\n\n".join(textwrap.dedent(p).strip("\n") for p in parts)
        return text.strip(), line

    return Comment(read)


class _Types:
    """Message types by full name, looked up where protoc finds a name a file uses: the file
    itself, the files it imports, and what those import publicly. Only the files a lookup
    visits have their messages indexed (a service's types are rarely in more than a few);
    a name found nowhere there is looked up in every file, as a last resort."""

    def __init__(self, files: Iterable[d.FileDescriptorProto]) -> None:
        self._files = {proto.name: proto for proto in files}
        self._indexed: dict[str, dict[str, TypeRef]] = {}

    def _of(self, name: str) -> dict[str, TypeRef]:
        found = self._indexed.get(name)
        if found is None:
            proto = self._files[name]
            module = python_module(proto.name)
            found = {
                msg.full_name: TypeRef(msg.full_name, proto.name, module, msg.local_name)
                for msg in walk_messages(proto)
            }
            self._indexed[name] = found
        return found

    def find(self, proto: d.FileDescriptorProto, type_name: str) -> TypeRef | None:
        full = type_name.lstrip(".")
        queue, seen = [proto.name], {proto.name}
        while queue:
            name = queue.pop(0)
            ref = self._of(name).get(full)
            if ref is not None:
                return ref
            current = self._files[name]
            following = (
                current.dependency
                if name == proto.name
                else [current.dependency[i] for i in current.public_dependency]
            )
            for dep in following:
                if dep in self._files and dep not in seen:
                    seen.add(dep)
                    queue.append(dep)
        for name in self._files:
            ref = self._of(name).get(full)
            if ref is not None:
                return ref
        return None


def _syntax(proto: d.FileDescriptorProto) -> str:
    if proto.syntax == "editions":
        return "editions"
    return proto.syntax or "proto2"


def _check_module(proto: d.FileDescriptorProto, disk: str) -> None:
    module = python_module(proto.name)
    problem = module_path_problem(module)
    if problem is not None:
        raise ProtokitError(
            f"the Python module {module!r} cannot be imported: {problem}; "
            "rename the file or folder",
            path=disk,
            line=1,
        )
    top = module.split(".")[0]
    shadowed = shadowing(top)
    if shadowed:
        package = module.rpartition(".")[0]
        raise ProtokitError(
            f"the generated package {top!r} would shadow {shadowed} that Python code "
            "imports; move the file under another top-level folder, or (for a file you cannot "
            "move) generate its modules into another package with [tool.protokit] "
            f'python_package_map = {{"{package}" = "<another package>"}}',
            path=disk,
            line=1,
        )


def _method(
    proto: d.FileDescriptorProto,
    service: d.ServiceDescriptorProto,
    index: int,
    locations: SourceIndex,
    types: _Types,
    service_path: tuple[int, ...],
    disk: str,
) -> Method:
    method = service.method[index]
    path = (*service_path, _SERVICE_METHOD, index)
    refs: list[TypeRef] = []
    for type_name in (method.input_type, method.output_type):
        ref = types.find(proto, type_name)
        if ref is None:
            raise ProtokitError(
                f"method {service.name}.{method.name} uses unknown type {type_name}",
                path=disk,
                line=_comment(locations, path).line or None,
            )
        refs.append(ref)
    return Method(
        name=method.name,
        py_name=safe_identifier(method.name),
        kind=RpcKind.of(method.client_streaming, method.server_streaming),
        input=refs[0],
        output=refs[1],
        comment=_comment(locations, path),
        path=f"/{proto.package + '.' if proto.package else ''}{service.name}/{method.name}",
    )


def _service(
    proto: d.FileDescriptorProto,
    index: int,
    locations: SourceIndex,
    types: _Types,
    disk: str,
) -> Service:
    service = proto.service[index]
    path = (_FILE_SERVICE, index)
    methods = tuple(
        _method(proto, service, i, locations, types, path, disk) for i in range(len(service.method))
    )
    comment = _comment(locations, path)
    found = find_collisions(f"service {service.name}", [(m.name, m.py_name) for m in methods])
    if found:  # the comment's line is read only here: most comments are never used
        raise NameCollisionError(found, path=disk, line=comment.line or None)
    full = f"{proto.package}.{service.name}" if proto.package else service.name
    return Service(service.name, full, proto.name, proto.package, methods, comment)


def _message(at: MessageAt, loc: SourceIndex, built: Mapping[str, Message]) -> Message:
    msg = at.message
    map_entries = {n.name for n in msg.nested_type if n.options.map_entry}
    fields: list[Field] = []
    for i, field in enumerate(msg.field):
        type_name = field.type_name.lstrip(".") or d.FieldDescriptorProto.Type.Name(field.type)
        is_map = field.type_name.rsplit(".", 1)[-1] in map_entries and bool(field.type_name)
        oneof = (
            msg.oneof_decl[field.oneof_index].name
            if field.HasField("oneof_index") and not field.proto3_optional
            else None
        )
        fields.append(
            Field(
                name=field.name,
                number=field.number,
                type_name=type_name,
                repeated=field.label == d.FieldDescriptorProto.LABEL_REPEATED and not is_map,
                map_entry=is_map,
                oneof=oneof,
                proto3_optional=field.proto3_optional,
                comment=_comment(loc, (*at.path, _MESSAGE_FIELD, i)),
            )
        )
    nested = tuple(
        built[f"{at.full_name}.{n.name}"] for n in msg.nested_type if not n.options.map_entry
    )
    comment = _comment(loc, at.path)
    return Message(msg.name, at.full_name, at.local_name, tuple(fields), nested, comment)


def _messages(proto: d.FileDescriptorProto, loc: SourceIndex) -> tuple[Message, ...]:
    """The file's message trees, built from the innermost messages out."""
    walked = [at for at in walk_messages(proto) if not at.is_map_entry]
    built: dict[str, Message] = {}
    for at in reversed(walked):  # every message after the ones nested in it
        built[at.full_name] = _message(at, loc, built)
    return tuple(built[at.full_name] for at in walked if "." not in at.local_name)


def _grpc_module_names(
    proto: d.FileDescriptorProto, services: Sequence[Service], disk: str
) -> None:
    """Module-level names of the ``_pb2_grpc`` module must not collide (``AStub`` the service
    and ``A``'s stub, a service called ``_grpc``...). A file without services has no such
    module."""
    if not services:
        return
    pairs: list[tuple[str, str]] = [(f"<protokit: {n}>", n) for n in sorted(GRPC_MODULE_RESERVED)]
    modules = {r.module for s in services for m in s.methods for r in (m.input, m.output)}
    pairs.extend((f"<import {m}>", module_alias(m)) for m in sorted(modules))
    for s in services:
        for attr in ("stub_name", "servicer_name", "add_function", "experimental_name"):
            pairs.append((f"service {s.name} ({attr.removesuffix('_name')})", getattr(s, attr)))
    check_unique(f"the gRPC module of {proto.name}", pairs, path=disk, line=1)


def _runtime_has(proto_name: str) -> bool:
    """Whether the installed protobuf runtime ships the module of this well-known file."""
    try:
        return importlib.util.find_spec(python_module(proto_name)) is not None
    except (ImportError, ValueError):
        return False


def build_model(image: Image) -> Model:
    """The model of the image's target files (well-known types excluded: the runtime has them)."""
    types = _Types(image.files)
    files: list[ProtoFile] = []
    modules: dict[str, str] = {}
    for proto in sorted(image.target_files(), key=lambda f: f.name):
        if proto.name.startswith(WELL_KNOWN_PREFIX):
            if proto.name in image.disk_paths and not _runtime_has(proto.name):
                raise ProtokitError(
                    f"{WELL_KNOWN_PREFIX} belongs to the protobuf runtime, so a module of this "
                    "file could never be imported; move it into a package of your own",
                    path=image.disk_paths[proto.name],
                    line=1,
                )
            continue  # a copy of a well-known type: the runtime has it
        disk = image.disk_paths.get(proto.name, proto.name)
        _check_module(proto, disk)
        module = python_module(proto.name)
        if module in modules:
            raise ProtokitError(
                f"{modules[module]} and {disk} both generate the Python module {module!r}; "
                "rename one of them",
                path=disk,
                line=1,
            )
        modules[module] = disk
        loc = SourceIndex(proto)
        services = tuple(_service(proto, i, loc, types, disk) for i in range(len(proto.service)))
        _grpc_module_names(proto, services, disk)
        messages = partial(_messages, proto, loc)
        files.append(
            ProtoFile(
                name=proto.name,
                package=proto.package,
                disk_path=disk,
                module=module,
                grpc_module=module + "_grpc",
                dependencies=tuple(proto.dependency),
                build_messages=messages,
                services=services,
                syntax=_syntax(proto),
            )
        )
    return Model(tuple(files))
