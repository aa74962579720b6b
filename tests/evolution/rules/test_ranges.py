"""Reserved and extension ranges compared as ranges: what the old ones cover and the new do not."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2 as d

from protokit.evolution.rules.schema import lost_numbers, shown_numbers

MAX = 536_870_912  # a message range's exclusive end for `to max`


def _ranges(*spans: tuple[int, int]) -> list[d.DescriptorProto.ReservedRange]:
    return [d.DescriptorProto.ReservedRange(start=a, end=b) for a, b in spans]


@pytest.mark.parametrize(
    ("old", "new", "lost"),
    [
        ([(1, 4)], [(1, 4)], []),
        ([(1, 4)], [], [(1, 3)]),
        ([(1, 10)], [(3, 5)], [(1, 2), (5, 9)]),
        ([(1, 10)], [(1, 4), (4, 10)], []),
        ([(100, MAX)], [(100, 20_001)], [(20_001, MAX - 1)]),
        ([(5, 6), (8, 9)], [(1, 100)], []),
        ([(5, 6), (8, 9)], [(8, 9)], [(5, 5)]),
    ],
)
def test_lost_numbers_of_message_ranges(
    old: list[tuple[int, int]], new: list[tuple[int, int]], lost: list[tuple[int, int]]
) -> None:
    assert lost_numbers(_ranges(*old), _ranges(*new), inclusive=False) == lost


def test_enum_ranges_end_inclusive() -> None:
    old = [d.EnumDescriptorProto.EnumReservedRange(start=1, end=3)]
    new = [d.EnumDescriptorProto.EnumReservedRange(start=2, end=2)]
    assert lost_numbers(old, new, inclusive=True) == [(1, 1), (3, 3)]


def test_shown_numbers_names_runs_and_names() -> None:
    assert shown_numbers([(3, 3), (5, 9)], ["old"]) == '3, 5 to 9, "old"'
