"""mypy-protobuf in a worker process: both typed stubs from one request, failures named.

``gen`` starts this module (``python -m protokit.gen.mypy_plugin REQUEST RESPONSE [--strip]``)
with a ``CodeGeneratorRequest`` in a file (a batch of targets and the descriptors they need,
comments kept) and reads the ``CodeGeneratorResponse`` it writes, as protoc does with a plugin
(files rather than pipes: the waiting thread then needs no interpreter time while the batch
runs); protoc itself is not in between (it only writes the ``_pb2.py`` modules, from
descriptors without comments). Running mypy-protobuf's generators here rather than through its
console scripts means:

- one process reads the request once and writes both stubs: ``_pb2.pyi`` for every target,
  ``_pb2_grpc.pyi`` (typed for grpc and grpc.aio) only for files that declare services;
- mypy-protobuf never sees options it would misread: it claims ``google.protobuf.FieldOptions``
  extensions 1151 to 1154 (``casttype``, ``keytype``, ``valuetype``, ``options``) for itself, and a
  tree declaring its own extension in that range (googleapis' ``operation_response_field`` is
  1151) would make it fail. With ``--strip`` those fields are removed from the copy of the
  request it reads; the ``_pb2.py`` modules keep them;
- every output whose shape does not prove its docstrings intact (``docstrings_intact``) is
  parsed as Python here, so batches check their outputs side by side;
- a crash or an invalid output is returned as the response's error, naming the generator and
  the ``.proto`` file.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from google.protobuf import descriptor_pb2 as d
from google.protobuf.compiler import plugin_pb2

from protokit.core.descriptors import strip_fields, walk_messages
from protokit.core.docstrings import docstrings_intact, triple_quotes_in_comments
from protokit.gen.typed_worker import SERVE

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


def _generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    """Both stubs of every target: ``_pb2.pyi`` for each, ``_pb2_grpc.pyi`` for those that
    declare services; a failure names the generator and the file."""
    from mypy_protobuf import main as mypy  # type: ignore[import-untyped]

    response = plugin_pb2.CodeGeneratorResponse()
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
    grpc_type = mypy.GRPCType.from_parameter(parameter)
    descriptors = mypy.Descriptors(request)
    targets = dict(descriptors.to_generate)
    for kind in PLUGIN_NAMES:
        for name, proto in targets.items():
            if kind == "mypy_grpc" and not proto.service:
                continue  # no services, no typed gRPC stubs
            descriptors.to_generate = {name: proto}  # one file at a time, to name a failure
            try:
                if kind == "mypy_grpc":
                    mypy.generate_mypy_grpc_stubs(descriptors, response, *flags, grpc_type)
                else:
                    mypy.generate_mypy_stubs(descriptors, response, *flags)
            except Exception as exc:  # the generator's own failure, reported as such
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                return _failed(kind, name, f"{type(exc).__name__}: {detail}".rstrip(": "))
    quoted = {  # the files whose comments hold three quotes: their stubs are always parsed
        name.removesuffix(".proto").replace("-", "_").replace(".", "/")
        for name, proto in targets.items()
        if triple_quotes_in_comments(proto)
    }
    for item in response.file:
        stem = item.name.removesuffix(".pyi").removesuffix("_grpc").removesuffix("_pb2")
        if stem not in quoted and docstrings_intact(item.content):
            continue  # nothing from a comment can have broken out of a docstring
        try:
            ast.parse(item.content, filename=item.name)
        except (SyntaxError, ValueError) as exc:
            kind = "mypy_grpc" if item.name.endswith("_grpc.pyi") else "mypy"
            source = item.name.removesuffix(".pyi").removesuffix("_grpc").removesuffix("_pb2")
            return _failed(
                kind, f"{source}.proto", f"the generated {item.name} is not valid Python ({exc})"
            )
    return response


def _failed(kind: str, proto: str, message: str) -> plugin_pb2.CodeGeneratorResponse:
    return plugin_pb2.CodeGeneratorResponse(
        error=f"the {kind} generator failed: {PLUGIN_NAMES[kind]} failed on {proto}: {message}"
    )


def main(argv: list[str] | None = None) -> int:
    """``REQUEST RESPONSE [--strip]``: read a serialized ``CodeGeneratorRequest`` from the file
    ``REQUEST``, write the ``CodeGeneratorResponse`` to the file ``RESPONSE``. With ``--serve``
    alone, the same arguments come on stdin, so the process can be started (and load all it
    needs) before its request exists."""
    args = sys.argv[1:] if argv is None else argv
    if args == [SERVE]:
        given = sys.stdin.buffer.read()
        if not given:
            return 0  # not needed after all
        args = given.decode("utf-8", "surrogateescape").split("\0")
    paths = [arg for arg in args if not arg.startswith("--")]
    if len(paths) != 2:
        sys.stderr.write("usage: python -m protokit.gen.mypy_plugin REQUEST RESPONSE [--strip]\n")
        return 2
    data = Path(paths[0]).read_bytes()
    if "--strip" in args:
        # Parsed before mypy-protobuf registers its extensions, so the claimed range stays raw.
        request = plugin_pb2.CodeGeneratorRequest.FromString(data)
        _strip_request(request)
        data = request.SerializeToString()
    from mypy_protobuf import main as _registers_extensions  # noqa: F401

    request = plugin_pb2.CodeGeneratorRequest.FromString(data)
    Path(paths[1]).write_bytes(_generate(request).SerializeToString())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
