"""protoc's failures on big trees, each one clear line."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError
from protokit.gen.stubs import _protoc_error, run_protoc_batches

IMAGE = Image(files=(), targets=("a/v1/a.proto", "b/v1/b.proto"), disk_paths={})


def test_protoc_killed_by_the_kernel_says_so_and_suspects_memory() -> None:
    error = _protoc_error("", IMAGE, -9)
    assert str(error) == (
        "protoc was killed by SIGKILL (out of memory?) while generating a batch of 2 files; "
        "nothing was written"
    )


def test_a_warning_about_one_file_is_not_blamed_for_a_plugin_failure() -> None:
    stderr = (
        "a/v1/a.proto:3:1: warning: Import google/protobuf/empty.proto is unused.\n"
        "--mypy_out: mypy-protobuf failed on b/v1/b.proto: AssertionError: bad casttype\n"
    )
    error = _protoc_error(stderr, IMAGE)
    assert str(error) == (
        "the mypy generator failed: mypy-protobuf failed on b/v1/b.proto: "
        "AssertionError: bad casttype"
    )
    assert error.path is None


def _casttype_field_options(value: str) -> bytes:
    """FieldOptions with field 1151 (mypy-protobuf's ``casttype``) set to ``value``, raw."""
    data = value.encode()
    tag = (1151 << 3) | 2
    out = bytearray()
    for number in (tag, len(data)):
        while True:
            low, number = number & 0x7F, number >> 7
            out.append(low | (0x80 if number else 0))
            if not number:
                break
    return bytes(out) + data


def test_a_typed_stub_generator_crash_names_the_generator_and_the_file() -> None:
    proto = descriptor_pb2.FileDescriptorProto(name="bad/v1/bad.proto", package="bad.v1")
    proto.syntax = "proto3"
    message = proto.message_type.add(name="Thing")
    field = message.field.add(
        name="id", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING
    )
    field.label = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
    field.options.MergeFromString(_casttype_field_options("not a path"))  # mypy-protobuf asserts
    image = Image(files=(proto,), targets=(proto.name,), disk_paths={})
    with pytest.raises(ProtokitError) as caught:
        run_protoc_batches(image, image.targets)
    message_text = str(caught.value)
    assert message_text.startswith(
        "the mypy generator failed: mypy-protobuf failed on bad/v1/bad.proto: AssertionError: "
    ), message_text
    assert "\n" not in message_text and "Traceback" not in message_text
