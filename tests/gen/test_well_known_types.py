"""A file of the user's own under google/protobuf/ is refused, not silently skipped."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.support import assert_one_error_line

OWN = 'syntax = "proto3";\npackage google.protobuf;\nmessage Mine { string a = 1; }\n'
TIMESTAMP = """\
syntax = "proto3";
package google.protobuf;
message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}
"""


def test_gen_refuses_a_new_file_under_google_protobuf(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tiny_ws: Callable[..., Path]
) -> None:
    root = tiny_ws({"google/protobuf/mine.proto": OWN})

    line = assert_one_error_line(protokit("gen", "--no-services", cwd=root), 1)

    assert line.startswith("protokit: error: google/protobuf/mine.proto:1: google/protobuf/ ")
    assert not (root / "gen").exists()


def test_gen_still_skips_a_vendored_copy_of_a_well_known_type(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tiny_ws: Callable[..., Path]
) -> None:
    root = tiny_ws({"google/protobuf/timestamp.proto": TIMESTAMP})

    proc = protokit("gen", "--no-services", cwd=root)

    assert proc.returncode == 0, proc.stderr
    assert (root / "gen/python/shop/core/v1/core_pb2.py").is_file()
    assert not (root / "gen/python/google").exists()
