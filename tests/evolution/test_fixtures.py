"""Golden fixtures: deterministic, every field exercised, recursion bounded, JSON equivalent."""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.protobuf import json_format

from protokit.core.descriptors import Image
from protokit.core.workspace import open_workspace
from protokit.evolution.fixtures import MAX_DEPTH, DynamicSchema, make_fixtures
from protokit.tools.image import build_image

from .conftest import SHOP, Repo


@pytest.fixture(scope="module")
def image(pristine: Repo) -> Image:
    return build_image(open_workspace(pristine.root))


def parsed(image: Image, message: str, case: str) -> Any:
    schema = DynamicSchema(image)
    fixture = next(f for f in make_fixtures(image) if (f.message, f.case) == (message, case))
    return schema.message_class(message).FromString(fixture.binary)


def test_fixtures_are_identical_from_run_to_run(image: Image) -> None:
    assert make_fixtures(image) == make_fixtures(image)


def test_every_message_gets_values_and_limits_cases(image: Image) -> None:
    cases = {(f.message, f.case) for f in make_fixtures(image)}
    for message in DynamicSchema(image).messages():
        assert (message, "values") in cases
        assert (message, "limits") in cases


def test_every_field_is_set_by_some_case(image: Image) -> None:
    schema = DynamicSchema(image)
    seen: dict[str, set[str]] = {}
    for fixture in make_fixtures(image):
        msg = schema.message_class(fixture.message).FromString(fixture.binary)
        seen.setdefault(fixture.message, set()).update(fd.name for fd, _ in msg.ListFields())
    for message in schema.messages():
        declared = {f.name for f in schema.descriptor(message).fields}
        assert seen[message] == declared, message


def test_each_oneof_branch_has_its_own_case(image: Image) -> None:
    assert parsed(image, "shop.v1.Item", "values").WhichOneof("kind") == "text"
    assert parsed(image, "shop.v1.Item", "oneof-blob").WhichOneof("kind") == "blob"


def test_limits_case_carries_edge_values(image: Image) -> None:
    item = parsed(image, "shop.v1.Item", "limits")
    assert item.price == -(2**63)
    assert item.color == 2  # the highest enum value, never the zero default
    assert any(ord(ch) > 0xFFFF for ch in item.id)  # outside the BMP
    assert item.updated_at.ToJsonString() == "9999-12-31T23:59:59.999999999Z"
    assert parsed(image, "shop.v1.Item", "values").color == 1


def test_optional_presence_case_keeps_a_zero_value(image: Image) -> None:
    item = parsed(image, "shop.v1.Item", "presence")
    assert item.HasField("note")
    assert item.note == ""


def test_recursive_messages_stop_at_the_depth_bound(image: Image) -> None:
    node = parsed(image, "shop.v1.Node", "values")
    depth = 0
    while node.HasField("child"):
        node = node.child
        depth += 1
    assert depth == MAX_DEPTH


def test_json_fixture_parses_to_the_binary_fixture(image: Image) -> None:
    schema = DynamicSchema(image)
    for fixture in make_fixtures(image):
        cls = schema.message_class(fixture.message)
        from_json = json_format.Parse(fixture.json, cls(), descriptor_pool=schema.pool)
        from_binary = cls.FromString(fixture.binary)
        if any(isinstance(v, float) and math.isnan(v) for _, v in from_binary.ListFields()):
            continue
        assert from_json == from_binary, fixture.stem


def test_bytes_becoming_string_is_reported_not_a_crash(repo: Repo) -> None:
    repo.replace(SHOP, "    bytes blob = 8;", "    string blob = 8;")
    repo.commit("bytes to string")
    proc = repo.protokit("check", "--against", "main")
    assert proc.returncode == 100, proc.stderr
    assert "internal error" not in proc.stderr
    assert f"{SHOP}:" in proc.stdout and "FIELD_SAME_TYPE" in proc.stdout
