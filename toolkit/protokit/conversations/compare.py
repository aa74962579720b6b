"""The first difference between an expected message and the one seen, matchers applied.

Both sides are compared as proto3 JSON values under proto field names (``message_dict``), in
the expected message's field order, then any field only the actual message has. A field a
matcher covers is checked by the matcher instead of by equality.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from protokit.conversations.matchers import MISSING, Matcher

__all__ = ["first_difference", "show"]


def show(value: Any) -> str:
    """A value as a report prints it (JSON-like, absent spelled out)."""
    if value is MISSING:
        return "(absent)"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def first_difference(
    expected: dict[str, Any],
    actual: dict[str, Any],
    matchers: Sequence[Matcher],
    target: str,
    index: int,
) -> str | None:
    """``field a.b[2]: expected X, got Y`` for the first difference, or None when they match.

    ``target``/``index`` say which message this is (``receive``, 0-based) for the matchers."""
    return _compare(expected, actual, (), "", matchers, target, index)


def _compare(
    expected: Any,
    actual: Any,
    fields: tuple[str, ...],
    where: str,
    matchers: Sequence[Matcher],
    target: str,
    index: int,
) -> str | None:
    for matcher in matchers:
        if fields and matcher.applies(target, index, fields):
            problem = matcher.check(actual)
            return f"field {where}: {problem}" if problem else None
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in [*expected, *(k for k in actual if k not in expected)]:
            sub = f"{where}.{key}" if where else key
            problem = _compare(
                expected.get(key, MISSING),
                actual.get(key, MISSING),
                (*fields, key),
                sub,
                matchers,
                target,
                index,
            )
            if problem:
                return problem
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for i, (want, got) in enumerate(zip(expected, actual, strict=False)):
            problem = _compare(want, got, fields, f"{where}[{i}]", matchers, target, index)
            if problem:
                return problem
        if len(expected) != len(actual):
            return f"field {where}: expected {len(expected)} element(s), got {len(actual)}" + (
                f" (first extra: {show(actual[len(expected)])})"
                if len(actual) > len(expected)
                else ""
            )
        return None
    if isinstance(expected, dict) and isinstance(actual, dict):
        return (
            None
            if expected == actual
            else f"field {where}: expected {show(expected)}, got {show(actual)}"
        )
    if expected != actual:
        return f"field {where}: expected {show(expected)}, got {show(actual)}"
    return None
