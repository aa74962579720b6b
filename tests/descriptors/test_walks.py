"""The one walk over a file's messages and enums, and the one SourceCodeInfo index: full names,
nesting order and source paths, read from a real ``buf build`` image."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import walk_enums, walk_messages
from protokit.core.sourcemap import SourceIndex, SourceMap
from protokit.core.workspace import open_workspace
from protokit.tools.image import build_image
from tests.support import write_tree

NESTED = """\
syntax = "proto3";

package shop.walk.v1;

// Outer is declared first.
message Outer {
  // Inner is nested.
  message Inner {
    // Deepest is nested twice.
    message Deepest {
      string id = 1;
    }
    // Mood is an enum inside Inner.
    enum Mood {
      MOOD_UNSPECIFIED = 0;
    }
  }
  map<string, int64> counts = 1;
}

// Second is declared after Outer.
message Second {
  string id = 1;
}

// Colour is a top-level enum.
enum Colour {
  COLOUR_UNSPECIFIED = 0;
}
"""


@pytest.fixture(scope="module")
def file(tmp_path_factory: pytest.TempPathFactory) -> d.FileDescriptorProto:
    root = write_tree(
        tmp_path_factory.mktemp("walk"),
        {"buf.yaml": "version: v2\n", "shop/walk/v1/walk.proto": NESTED},
    )
    return build_image(open_workspace(root)).file("shop/walk/v1/walk.proto")


def test_every_message_comes_before_the_ones_nested_in_it(file: d.FileDescriptorProto) -> None:
    assert [m.full_name for m in walk_messages(file)] == [
        "shop.walk.v1.Outer",
        "shop.walk.v1.Outer.Inner",
        "shop.walk.v1.Outer.Inner.Deepest",
        "shop.walk.v1.Outer.CountsEntry",
        "shop.walk.v1.Second",
    ]


def test_local_names_are_the_names_inside_the_package(file: d.FileDescriptorProto) -> None:
    names = {m.full_name: m.local_name for m in walk_messages(file)}
    assert names["shop.walk.v1.Outer.Inner.Deepest"] == "Outer.Inner.Deepest"


def test_map_entries_are_walked_and_flagged(file: d.FileDescriptorProto) -> None:
    entries = [m.local_name for m in walk_messages(file) if m.is_map_entry]
    assert entries == ["Outer.CountsEntry"]


def test_enums_are_walked_at_the_top_and_inside_messages(file: d.FileDescriptorProto) -> None:
    assert [e.full_name for e in walk_enums(file)] == [
        "shop.walk.v1.Colour",
        "shop.walk.v1.Outer.Inner.Mood",
    ]


def test_each_source_path_leads_to_the_elements_own_comment(file: d.FileDescriptorProto) -> None:
    index = SourceIndex(file)
    comments = {
        at.full_name: index.location(at.path).leading_comments.strip()  # type: ignore[union-attr]
        for at in [*walk_messages(file), *walk_enums(file)]
        if not at.full_name.endswith("CountsEntry")  # a map entry has no source location
    }
    assert comments == {
        "shop.walk.v1.Outer": "Outer is declared first.",
        "shop.walk.v1.Outer.Inner": "Inner is nested.",
        "shop.walk.v1.Outer.Inner.Deepest": "Deepest is nested twice.",
        "shop.walk.v1.Second": "Second is declared after Outer.",
        "shop.walk.v1.Colour": "Colour is a top-level enum.",
        "shop.walk.v1.Outer.Inner.Mood": "Mood is an enum inside Inner.",
    }


def test_a_path_with_no_location_has_none(file: d.FileDescriptorProto) -> None:
    assert SourceIndex(file).location((4, 99)) is None


def test_the_source_map_locates_nested_elements_by_full_name(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"buf.yaml": "version: v2\n", "shop/walk/v1/walk.proto": NESTED})
    found = SourceMap(build_image(open_workspace(root))).get("shop.walk.v1.Outer.Inner.Mood")
    assert found is not None
    assert (found.path, found.line, found.comment) == (
        "shop/walk/v1/walk.proto",
        14,
        "Mood is an enum inside Inner.",
    )


def test_the_source_map_locates_a_part_of_an_element(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"buf.yaml": "version: v2\n", "shop/walk/v1/walk.proto": NESTED})
    sources = SourceMap(build_image(open_workspace(root)))
    name = d.EnumDescriptorProto.NAME_FIELD_NUMBER
    found = sources.part("shop.walk.v1.Outer.Inner.Mood", (name,))
    assert found is not None
    assert (found.line, found.column) == (14, 10)  # the name token of `enum Mood`
