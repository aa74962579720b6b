"""Fixture checks limited to what changed give the findings the full checks give.

A message whose file, and every file that file imports, is unchanged reads the same both ways,
so ``Snapshot.of_image``/``of_release`` with the changed targets spare it; these tests prove the
findings stay those of checking every message, forward direction included."""

from __future__ import annotations

import pytest

from protokit.core.descriptors import Image, changed_targets, load_image_file
from protokit.core.findings import dedupe
from protokit.evolution.compat import Compat, Snapshot
from protokit.evolution.fixtures import make_fixtures
from protokit.evolution.release import Release

from .rules.agreement import build, write_module

A_OLD = 'syntax = "proto3";\npackage p.v1;\nmessage A {\n  int32 v = 1;\n  string s = 2;\n}\n'
A_NEW = 'syntax = "proto3";\npackage p.v1;\nmessage A {\n  string v = 1;\n  string s = 2;\n}\n'
B = """\
syntax = "proto3";
package p.v1;
import "p/v1/a.proto";
message B {
  A a = 1;
  int64 w = 2;
  message Inner {
    A a = 1;
  }
  Inner inner = 3;
}
"""
C = 'syntax = "proto3";\npackage p.v1;\nmessage C {\n  int32 x = 1;\n}\n'


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Image, Image]:
    root = tmp_path_factory.mktemp("changed")
    old, new = (
        load_image_file(
            build(write_module(root / side, {**a, "p/v1/b.proto": B, "p/v1/c.proto": C}))
        )
        for side, a in (("old", {"p/v1/a.proto": A_OLD}), ("new", {"p/v1/a.proto": A_NEW}))
    )
    return old, new


def test_the_changed_file_and_its_importers_are_checked_and_the_rest_is_spared(
    images: tuple[Image, Image],
) -> None:
    old, new = images
    snapshot = Snapshot.of_image("old", old, changed_targets(old, new))
    assert snapshot.messages() == ["p.v1.A", "p.v1.B", "p.v1.B.Inner"]
    assert snapshot.same_schema == {"p.v1.C"}


def test_checking_only_changed_messages_finds_what_checking_all_finds(
    images: tuple[Image, Image],
) -> None:
    old, new = images
    every = Compat(new).check(Snapshot.of_image("old", old))
    changed = Compat(new).check(Snapshot.of_image("old", old, changed_targets(old, new)))
    assert changed == every
    assert any(f.message.startswith("forward:") for f in every)
    assert any(f.message.startswith("backward:") for f in every)


def test_forward_against_a_release_spares_only_unchanged_messages(
    images: tuple[Image, Image],
) -> None:
    old, new = images
    release = Release("1.0.0", "compat/releases/1.0.0", old, tuple(make_fixtures(old)))
    every = Compat(new).check(Snapshot.of_release(release))
    changed = Compat(new).check(Snapshot.of_release(release, changed_targets(old, new)))
    assert changed == every
    assert any(f.message.startswith("forward:") for f in every)


def test_forward_for_one_message_matches_forward_for_all(images: tuple[Image, Image]) -> None:
    old, new = images
    compat = Compat(new)
    snapshot = Snapshot.of_image("old", old)
    every = compat.forward(snapshot)
    one_by_one = [
        f
        for name in ("p.v1.A", "p.v1.B", "p.v1.B.Inner", "p.v1.C")
        for f in compat.forward(snapshot, only=name)
    ]
    assert dedupe(one_by_one) == every  # forward keeps one finding per place and rule
    assert compat.forward(snapshot, only="p.v1.Gone") == []


def test_an_unchanged_schema_makes_no_payloads_at_all(images: tuple[Image, Image]) -> None:
    _, new = images
    snapshot = Snapshot.of_image("itself", new, changed_targets(new, new))
    assert snapshot.fixtures == ()
    assert Compat(new).check(snapshot) == []
