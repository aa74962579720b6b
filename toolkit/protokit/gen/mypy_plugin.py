"""mypy-protobuf's two protoc plugins, run on a cleaned request and with their failures named.

protoc starts this module (``python -m protokit.gen.mypy_plugin mypy|mypy_grpc [--strip]``)
instead of mypy-protobuf's own console scripts, so that:

- mypy-protobuf never sees options it would misread: it claims ``google.protobuf.FieldOptions``
  extensions 1151 to 1154 (``casttype``, ``keytype``, ``valuetype``, ``options``) for itself, and a
  tree declaring its own extension in that range (googleapis' ``operation_response_field`` is
  1151) would make it fail. With ``--strip`` those fields are removed from the copy of the
  request the plugin reads; protoc's own ``_pb2.py`` output is untouched.
- the typed gRPC stubs are generated only for files that declare services, from only the
  descriptors those files need (a ``_pb2_grpc.pyi`` for a file without services is discarded);
- every output that holds something escaped from a comment is parsed as Python in the plugin
  process itself, so batches check their outputs side by side;
- a crash or an invalid output is returned as the plugin's error, naming the plugin and the
  ``.proto`` file; protoc reports it as ``--<name>_out: ...``.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator

from google.protobuf import descriptor_pb2 as d
from google.protobuf.compiler import plugin_pb2

from protokit.core.descriptors import walk_messages

__all__ = ["FOREIGN_RANGE", "PLUGIN_NAMES", "declares_foreign_options", "main", "strip_fields"]

FOREIGN_RANGE = range(1151, 1155)
"""``FieldOptions`` numbers mypy-protobuf reads as its own options."""

MYPY_EXTENSIONS_FILE = "mypy_protobuf/extensions.proto"
FIELD_OPTIONS = ".google.protobuf.FieldOptions"
PLUGIN_NAMES = {"mypy": "mypy-protobuf", "mypy_grpc": "mypy-protobuf (grpc)"}


def _extensions(proto: d.FileDescriptorProto) -> Iterator[d.FieldDescriptorProto]:
    yield from proto.extension
    for at in walk_messages(proto):
        yield from at.message.extension


def declares_foreign_options(files: Iterable[d.FileDescriptorProto]) -> bool:
    """Whether a file other than mypy-protobuf's own declares a ``FieldOptions`` extension in
    the range mypy-protobuf claims."""
    return any(
        ext.extendee == FIELD_OPTIONS and ext.number in FOREIGN_RANGE
        for proto in files
        if proto.name != MYPY_EXTENSIONS_FILE
        for ext in _extensions(proto)
    )


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


def _fields(proto: d.FileDescriptorProto) -> Iterator[d.FieldDescriptorProto]:
    yield from proto.extension
    for at in walk_messages(proto):
        yield from at.message.field
        yield from at.message.extension


def _strip_request(request: plugin_pb2.CodeGeneratorRequest) -> None:
    """Remove the claimed range from every field's options in ``request`` (a private copy)."""
    for proto in request.proto_file:
        for field in _fields(proto):
            if not field.HasField("options"):
                continue
            raw = field.options.SerializeToString()
            cleaned = strip_fields(raw, FOREIGN_RANGE)
            if cleaned != raw:
                field.options.Clear()
                field.options.MergeFromString(cleaned)


def _with_services(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorRequest:
    """The request narrowed to the targets that declare services, and the files they need."""
    by_name = {f.name: f for f in request.proto_file}
    targets = [n for n in request.file_to_generate if by_name[n].service]
    needed: set[str] = set()
    stack = list(targets)
    while stack:
        name = stack.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        stack.extend(by_name[name].dependency)
    narrowed = plugin_pb2.CodeGeneratorRequest(
        file_to_generate=targets,
        parameter=request.parameter,
        proto_file=[f for f in request.proto_file if f.name in needed],
    )
    if request.HasField("compiler_version"):
        narrowed.compiler_version.CopyFrom(request.compiler_version)
    return narrowed


def _generate(
    kind: str, request: plugin_pb2.CodeGeneratorRequest
) -> plugin_pb2.CodeGeneratorResponse:
    from mypy_protobuf import main as mypy  # type: ignore[import-untyped]

    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = (
        plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
        | plugin_pb2.CodeGeneratorResponse.FEATURE_SUPPORTS_EDITIONS
    )
    response.minimum_edition = d.EDITION_LEGACY
    response.maximum_edition = d.EDITION_2024
    if not request.file_to_generate:
        return response
    parameter = request.parameter
    flags = (
        "quiet" in parameter,
        "readable_stubs" in parameter,
        "relax_strict_optional_primitives" in parameter,
        "use_default_deprecation_warnings" in parameter,
        "generate_concrete_servicer_stubs" in parameter,
    )
    descriptors = mypy.Descriptors(request)
    targets = dict(descriptors.to_generate)
    for name, proto in targets.items():
        descriptors.to_generate = {name: proto}  # one file at a time, to name the one that fails
        try:
            if kind == "mypy_grpc":
                grpc_type = mypy.GRPCType.from_parameter(parameter)
                mypy.generate_mypy_grpc_stubs(descriptors, response, *flags, grpc_type)
            else:
                mypy.generate_mypy_stubs(descriptors, response, *flags)
        except Exception as exc:  # the plugin's own failure, reported as such
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return _failed(kind, name, f"{type(exc).__name__}: {detail}".rstrip(": "))
    for item in response.file:
        if not escaping_mattered(item.content):
            continue  # nothing from a comment that could have broken out of a docstring
        try:
            ast.parse(item.content, filename=item.name)
        except (SyntaxError, ValueError) as exc:
            source = item.name.removesuffix(".pyi").removesuffix("_grpc").removesuffix("_pb2")
            return _failed(
                kind, f"{source}.proto", f"the generated {item.name} is not valid Python ({exc})"
            )
    return response


_ESCAPED = re.compile(r'[\\\x00-\x08\x0b-\x1f\x7f]|""""')


def escaping_mattered(text: str) -> bool:
    """Whether generated text holds what docstring escaping must handle (a backslash, a control
    character, a quote against closing quotes): only then can a comment have broken the code
    around it.
    Everything else in a stub is names the model checked, placed by the generator's own code."""
    return _ESCAPED.search(text) is not None


def _failed(kind: str, proto: str, message: str) -> plugin_pb2.CodeGeneratorResponse:
    return plugin_pb2.CodeGeneratorResponse(
        error=f"{PLUGIN_NAMES[kind]} failed on {proto}: {message}"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    kind = args[0] if args and args[0] in PLUGIN_NAMES else "mypy"
    data = sys.stdin.buffer.read()
    if "--strip" in args:
        # Parsed before mypy-protobuf registers its extensions, so the claimed range stays raw.
        request = plugin_pb2.CodeGeneratorRequest.FromString(data)
        _strip_request(request)
        data = request.SerializeToString()
    from mypy_protobuf import main as _registers_extensions  # noqa: F401

    request = plugin_pb2.CodeGeneratorRequest.FromString(data)
    if kind == "mypy_grpc":
        request = _with_services(request)
    sys.stdout.buffer.write(_generate(kind, request).SerializeToString())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
