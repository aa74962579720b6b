"""Fixtures and compatibility checks over every scalar type, map shape and well-known type."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import json_format

from protokit.core.descriptors import Image
from protokit.core.workspace import open_workspace
from protokit.evolution.compat import Compat, Snapshot
from protokit.evolution.fixtures import DynamicSchema, make_fixtures
from protokit.tools.image import build_image

from .conftest import BUF_YAML

SCALARS = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
    "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
]  # fmt: skip
WELL_KNOWN = {
    "any": "Any",
    "duration": "Duration",
    "empty": "Empty",
    "field_mask": "FieldMask",
    "struct": "Struct",
    "timestamp": "Timestamp",
    "wrappers": "Int64Value",
}


def all_types_proto() -> str:
    lines = ['syntax = "proto3";', "", "package kinds.v1;", ""]
    lines += [f'import "google/protobuf/{name}.proto";' for name in sorted(WELL_KNOWN)]
    lines += ["", "message Scalars {"]
    number = 1
    for kind in SCALARS:
        lines.append(f"  {kind} single_{kind} = {number};")
        lines.append(f"  repeated {kind} many_{kind} = {number + 1};")
        lines.append(f"  optional {kind} maybe_{kind} = {number + 2};")
        number += 3
    lines += [
        f"  map<int64, string> by_int = {number};",
        f"  map<bool, Scalars> by_flag = {number + 1};",
        f"  map<uint32, bytes> by_uint = {number + 2};",
    ]
    for offset, (name, message) in enumerate(sorted(WELL_KNOWN.items())):
        lines.append(f"  google.protobuf.{message} wkt_{name} = {number + 3 + offset};")
    lines += [
        "  google.protobuf.Value wkt_value = 99;",
        "  google.protobuf.ListValue wkt_list = 100;",
    ]
    lines += ["}", ""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    root: Path = tmp_path_factory.mktemp("kinds")
    (root / "buf.yaml").write_text(BUF_YAML)
    proto = root / "proto/kinds/v1/kinds.proto"
    proto.parent.mkdir(parents=True)
    proto.write_text(all_types_proto())
    return build_image(open_workspace(root))


def test_every_field_of_every_type_is_set_and_json_round_trips(image: Image) -> None:
    schema = DynamicSchema(image)
    cls = schema.message_class("kinds.v1.Scalars")
    fixtures = [f for f in make_fixtures(image) if f.message == "kinds.v1.Scalars"]
    seen: set[str] = set()
    for fixture in fixtures:
        msg = cls.FromString(fixture.binary)
        seen.update(fd.name for fd, _ in msg.ListFields())
        assert json_format.Parse(fixture.json, cls(), descriptor_pool=schema.pool) == msg
    assert seen == {f.name for f in cls.DESCRIPTOR.fields}


def test_limits_reach_each_integer_types_extremes(image: Image) -> None:
    schema = DynamicSchema(image)
    cls = schema.message_class("kinds.v1.Scalars")
    limits = next(f for f in make_fixtures(image) if f.stem == "kinds.v1.Scalars/limits")
    msg = cls.FromString(limits.binary)
    assert msg.single_sint32 == -(2**31)
    assert msg.single_uint64 == 2**64 - 1
    assert list(msg.many_sfixed64) == [-(2**63), 2**63 - 1, 0]
    assert msg.single_bytes == bytes(range(256))


def test_a_schema_is_compatible_with_itself_for_every_type(image: Image) -> None:
    assert Compat(image).check(Snapshot.of_image("itself", image)) == []


def build(root: Path, proto: str) -> Image:
    root.mkdir(parents=True)
    (root / "buf.yaml").write_text(BUF_YAML)
    path = root / "proto/closed/v1/closed.proto"
    path.parent.mkdir(parents=True)
    path.write_text(proto)
    return build_image(open_workspace(root))


CLOSED = """\
syntax = "proto2";

package closed.v1;

enum Level {
  LEVEL_UNSPECIFIED = 0;
  LEVEL_LOW = 1;%s
}

message Reading {
  optional Level level = 1;
  repeated Level levels = 2;
}
"""


def test_a_new_value_of_a_closed_enum_reaches_old_readers_as_an_unknown_field(
    tmp_path: Path,
) -> None:
    old = build(tmp_path / "old", CLOSED % "")
    new = build(tmp_path / "new", CLOSED % "\n  LEVEL_HIGH = 2;")
    assert Compat(new).check(Snapshot.of_image("old", old)) == []
