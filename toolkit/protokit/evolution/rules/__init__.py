"""The diff rules, as records: a rule is its buf id, what it checks, its kind (breaking, additive,
cosmetic), the buf categories it belongs to (FILE, PACKAGE, WIRE_JSON, WIRE), the fix to offer,
and a small function from a pair of elements (the baseline's and the current one) to violations.

Rules live by the element they compare: ``files`` (whole images and files), ``messages``,
``fields``, ``enums``, ``services``, and ``changes`` (what is added, deprecated or re-documented).
A new rule is one record, one function, and one scenario under ``tests/evolution/rules/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    """buf's breaking categories, strictest first."""

    FILE = "FILE"
    PACKAGE = "PACKAGE"
    WIRE_JSON = "WIRE_JSON"
    WIRE = "WIRE"


ALL = frozenset(Category)
FILE_PACKAGE = frozenset({Category.FILE, Category.PACKAGE})
NOT_WIRE = frozenset({Category.FILE, Category.PACKAGE, Category.WIRE_JSON})


class Kind(StrEnum):
    BREAKING = "breaking"
    ADDITIVE = "additive"
    COSMETIC = "cosmetic"


class On(StrEnum):
    """The element pair a rule's function receives."""

    IMAGE = "image"  # old and new Schema
    FILE = "file"  # FileDescriptorProto
    MESSAGE = "message"  # DescriptorProto
    FIELD = "field"  # FieldDescriptorProto (parents: the messages)
    ENUM = "enum"  # EnumDescriptorProto
    SERVICE = "service"  # ServiceDescriptorProto
    RPC = "rpc"  # MethodDescriptorProto (parents: the services)


@dataclass(frozen=True)
class Violation:
    """One change a rule found: ``at`` names elements of the current schema to locate it by,
    nearest first (buf reports a deleted element at its parent); ``span`` a source path of a
    current file and ``part`` one below ``at[0]``, tried before them; ``fix`` a fix worked out
    for this very change."""

    element: str  # file, message, field, oneof, enum, enum value, service, rpc
    action: str  # added, removed, changed, deprecated, undeprecated, comment changed
    name: str
    detail: str
    at: tuple[str, ...] = ()
    span: tuple[str, tuple[int, ...]] | None = None
    fix: str | None = None
    part: tuple[int, ...] = ()  # a source path below ``at[0]`` buf reports at (a name, a type)


@dataclass(frozen=True)
class Pair:
    """The baseline's element and the current one, with their parents and both schemas."""

    name: str
    old: Any
    new: Any
    before: Any  # Schema
    after: Any  # Schema
    old_parent: Any = None
    new_parent: Any = None


Check = Callable[[Pair], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    id: str
    purpose: str
    kind: Kind
    on: On
    categories: frozenset[Category]
    check: Check
    fix: str = ""
    fixes: Mapping[Category, str] = field(default_factory=dict)

    def fix_for(self, category: Category | None) -> str:
        """What to do about a violation, in the repository's breaking category."""
        if category is not None and category in self.fixes:
            return self.fixes[category]
        return self.fix or GENERAL_FIX


GENERAL_FIX = (
    "if the break is intended, start a new major version with `protokit new-version`, or "
    "record it as accepted"
)


def all_rules() -> tuple[Rule, ...]:
    from protokit.evolution.rules import changes, enums, fields, files, messages, services

    return (
        *files.RULES,
        *messages.RULES,
        *fields.RULES,
        *enums.RULES,
        *services.RULES,
        *changes.RULES,
    )


def rule_by_id(rule_id: str) -> Rule | None:
    return _INDEX().get(rule_id)


def _INDEX() -> dict[str, Rule]:
    if not _CACHE:
        _CACHE.update({r.id: r for r in all_rules()})
    return _CACHE


_CACHE: dict[str, Rule] = {}


def ids_in(category: Category) -> frozenset[str]:
    """The breaking rules protokit knows in ``category`` (non-breaking ones are always on)."""
    return frozenset(
        r.id for r in all_rules() if r.kind is Kind.BREAKING and category in r.categories
    )


def main_category(configured: Iterable[str]) -> Category:
    """The category a set of configured rule ids comes closest to (FILE on a tie)."""
    wanted = set(configured)
    return max(
        Category, key=lambda c: (len(wanted & ids_in(c)) - len(ids_in(c) - wanted), -_ORDER[c])
    )


_ORDER = {c: i for i, c in enumerate(Category)}

__all__ = [
    "ALL",
    "Category",
    "Kind",
    "On",
    "Pair",
    "Rule",
    "Violation",
    "all_rules",
    "ids_in",
    "main_category",
    "rule_by_id",
]
