"""Matchers for values that vary between runs (timestamps, generated ids, counters).

A matcher is a record (the path it applies to, its kind, a pattern for ``regex``) and the
kinds are a table of small functions: each takes the value seen (``MISSING`` when the field
was absent) and returns why it does not match, or None.

Paths: ``receive[*].updated_at`` (every received message), ``receive[2].user.id`` (the third),
``status.message``. Field names are proto names or their JSON names; inside repeated fields a
matcher applies to every element.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["MISSING", "MatchKind", "Matcher", "parse_path"]


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()
"""The value a matcher sees for a field the message does not carry."""


class MatchKind(Enum):
    """What a varying value must be."""

    TYPE = "type"  # any value of the field's type (parsing already checked the type), or absent
    PRESENT = "present"  # set, whatever its value
    NON_EMPTY = "non_empty"  # set and not empty (a string, bytes, list or map with content)
    REGEX = "regex"  # a string matching ``pattern`` in full


def _type(_value: Any, _pattern: str) -> str | None:
    return None


def _present(value: Any, _pattern: str) -> str | None:
    return "expected a value, found none" if value is MISSING else None


def _non_empty(value: Any, _pattern: str) -> str | None:
    if value is MISSING or value in ("", [], {}):
        return "expected a non-empty value, found none"
    return None


def _regex(value: Any, pattern: str) -> str | None:
    if not isinstance(value, str):
        return f"expected a string matching /{pattern}/, found {value!r}"
    if re.fullmatch(pattern, value, flags=re.DOTALL) is None:
        return f"expected a string matching /{pattern}/, found {value!r}"
    return None


_CHECKS: dict[MatchKind, Callable[[Any, str], str | None]] = {
    MatchKind.TYPE: _type,
    MatchKind.PRESENT: _present,
    MatchKind.NON_EMPTY: _non_empty,
    MatchKind.REGEX: _regex,
}

_SEGMENT = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\*|\d+)\])?")


def parse_path(path: str) -> tuple[str, int | None, tuple[str, ...]]:
    """``receive[2].a.b`` → (``receive``, 2, (``a``, ``b``)); ``[*]`` or no index → None.

    Raises ValueError naming what is wrong."""
    parts = path.split(".")
    head = _SEGMENT.fullmatch(parts[0])
    if head is None or head.group("name") not in ("receive", "status"):
        raise ValueError(f"matcher path {path!r} must start with receive[...] or status")
    index = head.group("index")
    fields = tuple(parts[1:])
    for name in fields:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"matcher path {path!r}: {name!r} is not a field name")
    if head.group("name") == "status":
        if index is not None or fields != ("message",):
            raise ValueError(f"matcher path {path!r}: only status.message can vary")
    elif not fields:
        raise ValueError(f"matcher path {path!r} names no field")
    return head.group("name"), None if index in (None, "*") else int(index or 0), fields


@dataclass(frozen=True)
class Matcher:
    """``path`` as written; ``fields`` resolved to proto field names; ``index`` None for all."""

    path: str
    kind: MatchKind
    pattern: str = ""
    target: str = "receive"  # receive or status
    index: int | None = None
    fields: tuple[str, ...] = ()

    def applies(self, target: str, index: int, fields: tuple[str, ...]) -> bool:
        return (
            self.target == target
            and (self.index is None or self.index == index)
            and self.fields == fields
        )

    def check(self, value: Any) -> str | None:
        """Why ``value`` does not match, or None."""
        return _CHECKS[self.kind](value, self.pattern)

    def to_json(self) -> dict[str, str]:
        data = {"path": self.path, "match": self.kind.value}
        if self.kind is MatchKind.REGEX:
            data["pattern"] = self.pattern
        return data
