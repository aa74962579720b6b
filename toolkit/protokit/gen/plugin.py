"""``protoc-gen-grpc_python``: the gRPC Python generator of grpcio-tools as a protoc plugin.

grpcio-tools builds its gRPC generator into its own protoc and ships no plugin binary, so
``buf generate`` has nothing to call. This plugin reads the ``CodeGeneratorRequest`` buf sends,
hands the descriptors to grpcio-tools' protoc (``--descriptor_set_in``), and returns its files.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    from grpc_tools import protoc

    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = (
        plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
        | plugin_pb2.CodeGeneratorResponse.FEATURE_SUPPORTS_EDITIONS
    )
    response.minimum_edition = descriptor_pb2.EDITION_PROTO2
    response.maximum_edition = descriptor_pb2.EDITION_2023
    with tempfile.TemporaryDirectory(prefix="protoc-gen-grpc_python-") as tmp:
        folder = Path(tmp)
        descriptor_set = descriptor_pb2.FileDescriptorSet(file=request.proto_file)
        set_path = folder / "input.binpb"
        set_path.write_bytes(descriptor_set.SerializeToString(deterministic=True))
        out = folder / "out"
        out.mkdir()
        option = f"{request.parameter}:" if request.parameter else ""
        code = protoc.main(
            [
                "grpc_tools.protoc",
                f"--descriptor_set_in={set_path}",
                f"--grpc_python_out={option}{out}",
                *request.file_to_generate,
            ]
        )
        if code != 0:
            names = ", ".join(request.file_to_generate)
            response.error = f"grpcio-tools' gRPC generator failed (exit {code}) for {names}"
            return response
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            item = response.file.add()
            item.name = path.relative_to(out).as_posix()
            item.content = path.read_text(encoding="utf-8")
    return response


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())
