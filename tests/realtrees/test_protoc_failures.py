"""protoc's failures on big trees, each one clear line."""

from __future__ import annotations

from protokit.core.descriptors import Image
from protokit.gen.stubs import _protoc_error

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
