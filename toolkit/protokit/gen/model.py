"""The immutable model ``gen`` renders from: files, services, methods, messages, fields, comments.

Built once from the ``FileDescriptorProto``s of an image; descriptors are read, never mutated.
Every Python-facing name is computed here (through ``naming``), so templates only place values.
Names that cannot become importable Python, or that collide after mangling, are refused here
with the ``.proto`` path and line.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, partial

from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import Image, MessageAt, walk_messages
from protokit.core.errors import ProtokitError
from protokit.core.naming import (
    Avoid,
    check_unique,
    docstring,
    is_identifier,
    module_path_problem,
    safe_identifier,
)
from protokit.core.sourcemap import SourceIndex

__all__ = [
    "Comment",
    "Field",
    "Import",
    "Message",
    "Method",
    "Model",
    "ProtoFile",
    "RpcKind",
    "Service",
    "TypeRef",
    "build_model",
    "module_alias",
    "python_module",
    "service_folder",
]

WELL_KNOWN_PREFIX = "google/protobuf/"

_FILE_SERVICE = d.FileDescriptorProto.SERVICE_FIELD_NUMBER
_MESSAGE_FIELD = d.DescriptorProto.FIELD_FIELD_NUMBER
_SERVICE_METHOD = d.ServiceDescriptorProto.METHOD_FIELD_NUMBER

# Names the generated ``_pb2_grpc`` module defines or imports itself; proto-derived names there
# must not take them.
GRPC_MODULE_RESERVED = frozenset(
    {"_grpc", "_version_not_supported", "GRPC_GENERATED_VERSION", "GRPC_VERSION"}
)


class RpcKind(Enum):
    """The four shapes of an RPC, named as grpc names its multicallables and handlers."""

    UNARY_UNARY = "unary_unary"
    UNARY_STREAM = "unary_stream"
    STREAM_UNARY = "stream_unary"
    STREAM_STREAM = "stream_stream"

    @classmethod
    def of(cls, client_streaming: bool, server_streaming: bool) -> RpcKind:
        return {
            (False, False): cls.UNARY_UNARY,
            (False, True): cls.UNARY_STREAM,
            (True, False): cls.STREAM_UNARY,
            (True, True): cls.STREAM_STREAM,
        }[(client_streaming, server_streaming)]

    @property
    def client_streaming(self) -> bool:
        return self in (RpcKind.STREAM_UNARY, RpcKind.STREAM_STREAM)

    @property
    def server_streaming(self) -> bool:
        return self in (RpcKind.UNARY_STREAM, RpcKind.STREAM_STREAM)


@dataclass(frozen=True)
class Comment:
    text: str
    line: int  # 1-based; 0 when the image has no source info

    @property
    def docstring(self) -> str:
        return docstring(self.text)

    def indented_docstring(self, indent: str, width: int | None = None) -> str:
        return docstring(self.text, indent, width=width)


def module_alias(module: str) -> str:
    """A private, injective alias for importing ``module`` in generated code
    (``a.b_c_pb2`` → ``_a_dot_b__c__pb2``), as protoc's own generators do."""
    return "_" + module.replace("_", "__").replace(".", "_dot_")


@dataclass(frozen=True)
class Import:
    module: str
    alias: str

    @property
    def statement(self) -> str:
        parent, _, leaf = self.module.rpartition(".")
        if parent:
            return f"from {parent} import {leaf} as {self.alias}"
        return f"import {leaf} as {self.alias}"


@dataclass(frozen=True)
class TypeRef:
    """A message type as Python sees it: ``module`` (dotted) and ``name`` within it."""

    full_name: str  # acme.user.v1.User (no leading dot)
    proto_file: str  # acme/user/v1/user.proto
    module: str  # acme.user.v1.user_pb2
    name: str  # User, or Event.PageView for nested types

    @property
    def aliased(self) -> str:
        """The type through its private module alias: ``_acme_dot_...__pb2.User``."""
        return self.runtime(module_alias(self.module))

    def runtime(self, alias: str) -> str:
        """An expression for the class at runtime; keyword-named messages (``message class``)
        are reached with ``getattr``, as ``alias.class`` would not parse."""
        expr = alias
        for part in self.name.split("."):
            expr = f"{expr}.{part}" if is_identifier(part) else f"getattr({expr}, {part!r})"
        return expr

    def annotation(self, alias: str) -> str:
        """The name type checkers see: mypy-protobuf's stubs call ``class`` ``_r_class``."""
        parts = [p if is_identifier(p) else f"_r_{p}" for p in self.name.split(".")]
        return ".".join([alias, *parts])


@dataclass(frozen=True)
class Field:
    name: str
    number: int
    type_name: str  # the message/enum full name, or the scalar type's proto name
    repeated: bool
    map_entry: bool
    oneof: str | None
    proto3_optional: bool
    comment: Comment


@dataclass(frozen=True)
class Message:
    name: str
    full_name: str
    py_name: str  # dotted within the module: Event.PageView
    fields: tuple[Field, ...]
    nested: tuple[Message, ...]
    comment: Comment


@dataclass(frozen=True)
class Method:
    name: str  # as in the proto (the wire name)
    py_name: str  # the Python attribute (keywords get a trailing underscore)
    kind: RpcKind
    input: TypeRef
    output: TypeRef
    comment: Comment
    path: str  # /acme.user.v1.UserService/GetUser

    @property
    def client_streaming(self) -> bool:
        return self.kind.client_streaming

    @property
    def server_streaming(self) -> bool:
        return self.kind.server_streaming


@dataclass(frozen=True)
class Service:
    name: str
    full_name: str
    proto_file: str
    package: str
    methods: tuple[Method, ...]
    comment: Comment

    @property
    def stub_name(self) -> str:
        return f"{self.name}Stub"

    @property
    def servicer_name(self) -> str:
        return f"{self.name}Servicer"

    @property
    def add_function(self) -> str:
        return f"add_{self.name}Servicer_to_server"

    @property
    def experimental_name(self) -> str:
        # grpcio-tools names this class after the service; a keyword or builtin would break it.
        return safe_identifier(self.name, avoid=Avoid.ALL)

    @property
    def class_name(self) -> str:
        """The skeleton class name: the service name (valid, since keywords get ``_``)."""
        return safe_identifier(self.name, avoid=Avoid.ALL)


@dataclass(frozen=True)
class ProtoFile:
    name: str  # import path: acme/user/v1/user.proto
    package: str
    disk_path: str  # relative to the workspace root (falls back to the import path)
    module: str  # acme.user.v1.user_pb2
    grpc_module: str  # acme.user.v1.user_pb2_grpc
    dependencies: tuple[str, ...]
    build_messages: Callable[[], tuple[Message, ...]] = dataclasses.field(repr=False, compare=False)
    services: tuple[Service, ...]
    syntax: str  # proto2, proto3 or editions

    @cached_property
    def messages(self) -> tuple[Message, ...]:
        """The file's messages, built when first asked for (gen itself renders none of them,
        so a big tree does not pay for them)."""
        return self.build_messages()

    @property
    def grpc_imports(self) -> tuple[Import, ...]:
        """The message modules the ``_pb2_grpc`` module imports, sorted."""
        modules = {
            ref.module for s in self.services for m in s.methods for ref in (m.input, m.output)
        }
        return tuple(Import(m, module_alias(m)) for m in sorted(modules))

    @property
    def module_path(self) -> str:
        """``acme/user/v1/user_pb2`` — the output path without a suffix."""
        return self.module.replace(".", "/")

    @property
    def grpc_module_path(self) -> str:
        return self.grpc_module.replace(".", "/")


@dataclass(frozen=True)
class Model:
    files: tuple[ProtoFile, ...]  # the targets only, sorted by name

    @property
    def services(self) -> tuple[Service, ...]:
        return tuple(s for f in self.files for s in f.services)

    def file(self, name: str) -> ProtoFile:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)


def python_module(proto_path: str) -> str:
    """The module protoc's Python generator writes for a ``.proto`` file (``a/b-c.proto`` →
    ``a.b_c_pb2``): ``.proto`` stripped, ``-`` → ``_``, ``/`` → ``.``."""
    stem = proto_path.removesuffix(".proto")
    return stem.replace("-", "_").replace("/", ".") + "_pb2"


# --- building ---------------------------------------------------------------------------------


def _comment(index: SourceIndex, path: Sequence[int]) -> Comment:
    """The leading and trailing comments at ``path``, and the line they belong to."""
    location = index.location(path)
    if location is None:
        return Comment("", 0)
    parts = [p for p in (location.leading_comments, location.trailing_comments) if p.strip()]
    line = location.span[0] + 1 if location.span else 0
    text = "\n\n".join(textwrap.dedent(p).strip("\n") for p in parts)
    return Comment(text.strip(), line)


def _type_index(files: Iterable[d.FileDescriptorProto]) -> dict[str, TypeRef]:
    return {
        msg.full_name: TypeRef(msg.full_name, proto.name, python_module(proto.name), msg.local_name)
        for proto in files
        for msg in walk_messages(proto)
    }


def _syntax(proto: d.FileDescriptorProto) -> str:
    if proto.syntax == "editions":
        return "editions"
    return proto.syntax or "proto2"


_VERSION = re.compile(r"v\d+(p\d+)?([a-z]+\d*)?$")


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
    if top in sys.stdlib_module_names or top in {"grpc", "protokit"}:
        package = module.rpartition(".")[0]
        raise ProtokitError(
            f"the generated package {top!r} would shadow the module {top!r} that Python code "
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
    types: dict[str, TypeRef],
    service_path: tuple[int, ...],
    disk: str,
) -> Method:
    method = service.method[index]
    path = (*service_path, _SERVICE_METHOD, index)
    refs: list[TypeRef] = []
    for type_name in (method.input_type, method.output_type):
        ref = types.get(type_name.lstrip("."))
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
    types: dict[str, TypeRef],
    disk: str,
) -> Service:
    service = proto.service[index]
    path = (_FILE_SERVICE, index)
    methods = tuple(
        _method(proto, service, i, locations, types, path, disk) for i in range(len(service.method))
    )
    comment = _comment(locations, path)
    check_unique(
        f"service {service.name}",
        [(m.name, m.py_name) for m in methods],
        path=disk,
        line=comment.line or None,
    )
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
    and ``A``'s stub, a service called ``_grpc``...)."""
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
    types = _type_index(image.files)
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


def service_folder(package: str) -> str:
    """The skeleton folder name for a proto package: ``acme.inventory.v1`` → ``inventory``.

    ``<org>.<domain>.v<N>`` gives ``<domain>``; an unversioned package gives its last part.
    """
    parts = [p for p in package.split(".") if p]
    if not parts:
        return "service"
    if len(parts) >= 2 and _VERSION.fullmatch(parts[-1]):
        return safe_identifier(parts[-2].lower(), avoid=Avoid.KEYWORDS)
    return safe_identifier(parts[-1].lower(), avoid=Avoid.KEYWORDS)
