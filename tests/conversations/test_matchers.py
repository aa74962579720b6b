"""Each matcher, one by one: what it accepts and what it refuses."""

from __future__ import annotations

import pytest

from protokit.conversations.compare import first_difference
from protokit.conversations.matchers import MISSING, Matcher, MatchKind, parse_path


def _matcher(kind: MatchKind, pattern: str = "") -> Matcher:
    return Matcher("receive[*].id", kind, pattern, "receive", None, ("id",))


@pytest.mark.parametrize(
    ("kind", "pattern", "value", "ok"),
    [
        (MatchKind.TYPE, "", "anything", True),
        (MatchKind.TYPE, "", MISSING, True),
        (MatchKind.PRESENT, "", "u-7", True),
        (MatchKind.PRESENT, "", MISSING, False),
        (MatchKind.NON_EMPTY, "", "u-7", True),
        (MatchKind.NON_EMPTY, "", [], False),
        (MatchKind.NON_EMPTY, "", MISSING, False),
        (MatchKind.REGEX, r"u-\d{4}", "u-0006", True),
        (MatchKind.REGEX, r"u-\d{4}", "u-6", False),
        (MatchKind.REGEX, r"u-\d{4}", 7, False),
    ],
)
def test_matcher_kind_accepts_or_refuses(
    kind: MatchKind, pattern: str, value: object, ok: bool
) -> None:
    assert (_matcher(kind, pattern).check(value) is None) is ok


def test_a_matched_field_is_not_compared_by_value() -> None:
    matcher = _matcher(MatchKind.PRESENT)
    assert (
        first_difference({"id": "u-1", "n": 1}, {"id": "u-2", "n": 1}, [matcher], "receive", 0)
        is None
    )


def test_an_unmatched_field_is_compared_by_value() -> None:
    problem = first_difference({"id": "u-1", "n": 1}, {"id": "u-1", "n": 2}, [], "receive", 0)
    assert problem == "field n: expected 1, got 2"


def test_a_matcher_with_an_index_applies_to_that_message_only() -> None:
    matcher = Matcher("receive[1].id", MatchKind.TYPE, "", "receive", 1, ("id",))
    assert first_difference({"id": "a"}, {"id": "b"}, [matcher], "receive", 1) is None
    assert first_difference({"id": "a"}, {"id": "b"}, [matcher], "receive", 0) == (
        "field id: expected 'a', got 'b'"
    )


def test_a_matcher_applies_inside_repeated_fields() -> None:
    matcher = Matcher(
        "receive[*].users.id", MatchKind.NON_EMPTY, "", "receive", None, ("users", "id")
    )
    expected = {"users": [{"id": "u-6", "name": "K"}]}
    assert (
        first_difference(expected, {"users": [{"id": "u-9", "name": "K"}]}, [matcher], "receive", 0)
        is None
    )
    assert first_difference(expected, {"users": [{"name": "K"}]}, [matcher], "receive", 0) == (
        "field users[0].id: expected a non-empty value, found none"
    )


@pytest.mark.parametrize(
    ("path", "parsed"),
    [
        ("receive[*].a.b", ("receive", None, ("a", "b"))),
        ("receive[2].a", ("receive", 2, ("a",))),
        ("status.message", ("status", None, ("message",))),
    ],
)
def test_matcher_paths_parse(path: str, parsed: tuple[object, ...]) -> None:
    assert parse_path(path) == parsed


@pytest.mark.parametrize(
    "path", ["send[0].a", "receive[*]", "status.code", "receive[x].a", "receive.a-b"]
)
def test_bad_matcher_paths_are_refused(path: str) -> None:
    with pytest.raises(ValueError):
        parse_path(path)
