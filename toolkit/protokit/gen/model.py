"""The immutable model ``gen`` renders from: files, services, methods, messages, fields, comments.

Every Python-facing name is computed here (through ``naming``), so templates only place values.
``model_build`` builds the model from the descriptors of an image.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from protokit.core.docstrings import docstring
from protokit.core.naming import (
    Avoid,
    is_identifier,
    is_package_version,
    safe_identifier,
)

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
    "module_alias",
    "python_module",
    "service_folder",
]


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

    @property
    def word(self) -> str:
        """How new-service names the kind: ``unary``, ``server_stream``, ``client_stream``,
        ``bidi`` (its answers file and, as ``--server-stream``, its flags)."""
        return _KIND_WORDS[self]

    @property
    def flag(self) -> str:
        return "--" + self.word.replace("_", "-")

    @classmethod
    def from_word(cls, word: str) -> RpcKind:
        """The kind named ``word`` (ValueError for anything else)."""
        for kind, known in _KIND_WORDS.items():
            if known == word:
                return kind
        raise ValueError(f"{word!r} is not an RPC kind ({', '.join(_KIND_WORDS.values())})")


_KIND_WORDS = {
    RpcKind.UNARY_UNARY: "unary",
    RpcKind.UNARY_STREAM: "server_stream",
    RpcKind.STREAM_UNARY: "client_stream",
    RpcKind.STREAM_STREAM: "bidi",
}


class Comment:
    """The comment on an element (leading and trailing comments) and the element's line
    (1-based; 0 when the image has no source info). Built from a function that reads them,
    called the first time either is asked for: most comments of a big tree are never used."""

    __slots__ = ("_read", "_value")

    def __init__(self, read: Callable[[], tuple[str, int]]) -> None:
        self._read = read
        self._value: tuple[str, int] | None = None

    @classmethod
    def of(cls, text: str, line: int) -> Comment:
        return cls(lambda: (text, line))

    def _get(self) -> tuple[str, int]:
        if self._value is None:
            self._value = self._read()
        return self._value

    @property
    def text(self) -> str:
        return self._get()[0]

    @property
    def line(self) -> int:
        return self._get()[1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Comment) and self._get() == other._get()

    def __hash__(self) -> int:
        return hash(self._get())

    def __repr__(self) -> str:
        return f"Comment(text={self.text!r}, line={self.line})"

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


def service_folder(package: str) -> str:
    """The skeleton folder name for a proto package: ``acme.inventory.v1`` → ``inventory``.

    ``<org>.<domain>.v<N>`` gives ``<domain>``; an unversioned package gives its last part.
    """
    parts = [p for p in package.split(".") if p]
    if not parts:
        return "service"
    if len(parts) >= 2 and is_package_version(parts[-1]):
        return safe_identifier(parts[-2].lower(), avoid=Avoid.KEYWORDS)
    return safe_identifier(parts[-1].lower(), avoid=Avoid.KEYWORDS)
