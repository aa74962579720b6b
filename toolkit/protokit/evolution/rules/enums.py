"""Rules over an enum kept under its full name. Values are compared by number, and a number may
carry several names (``allow_alias``): adding an alias breaks nothing, dropping a name does."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf import descriptor_pb2 as d

from protokit.evolution.rules import (
    ALL,
    FILE_PACKAGE,
    NOT_WIRE,
    Category,
    Kind,
    On,
    Pair,
    Rule,
    Violation,
)
from protokit.evolution.rules.schema import (
    is_reserved,
    lost_json_support,
    lost_numbers,
    shown_numbers,
)


def names_by_number(enum: d.EnumDescriptorProto) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for value in enum.value:
        out.setdefault(value.number, []).append(value.name)
    return out


def _deleted(p: Pair) -> Iterator[tuple[int, list[str]]]:
    new = names_by_number(p.new)
    for number, names in names_by_number(p.old).items():
        if number not in new:
            yield number, names


def _removed(p: Pair, number: int, names: list[str], fix: str | None = None) -> Violation:
    return Violation(
        "enum value",
        "removed",
        f"{p.name}.{names[0]}",
        f"enum value {p.name}.{' = '.join(names)} ({number}) was deleted",
        at=(p.name,),
        fix=fix,
    )


def value_no_delete(p: Pair) -> Iterator[Violation]:
    for number, names in _deleted(p):
        yield _removed(p, number, names)


def value_no_delete_unless_number_reserved(p: Pair) -> Iterator[Violation]:
    for number, names in _deleted(p):
        if not is_reserved(number, p.new.reserved_range, inclusive=True):
            yield _removed(p, number, names, f"add to enum {p.name}: reserved {number};")


def value_no_delete_unless_name_reserved(p: Pair) -> Iterator[Violation]:
    for number, names in _deleted(p):
        missing = [n for n in names if n not in p.new.reserved_name]
        if missing:
            quoted = ", ".join(f'"{n}"' for n in missing)
            yield _removed(p, number, names, f"add to enum {p.name}: reserved {quoted};")


def value_same_name(p: Pair) -> Iterator[Violation]:
    new = names_by_number(p.new)
    for number, names in names_by_number(p.old).items():
        now = new.get(number)
        if now is not None and not set(names) <= set(now):
            yield Violation(
                "enum value",
                "changed",
                f"{p.name}.{now[0]}",
                f"enum value {p.name}.{' = '.join(names)} ({number}) was renamed to "
                f"{' = '.join(now)}",
                at=(f"{p.name}.{now[0]}", p.name),
                part=(d.EnumValueDescriptorProto.NUMBER_FIELD_NUMBER,),
            )


def reserved_enum_no_delete(p: Pair) -> Iterator[Violation]:
    lost = lost_numbers(p.old.reserved_range, p.new.reserved_range, True)
    names = sorted(set(p.old.reserved_name) - set(p.new.reserved_name))
    if lost or names:
        yield Violation(
            "enum",
            "changed",
            p.name,
            f"enum {p.name} no longer reserves {shown_numbers(lost, names)}",
            at=(p.name,),
        )


def _closed(p: Pair, schema_side: str) -> bool:
    schema = p.before if schema_side == "old" else p.after
    enum = p.old if schema_side == "old" else p.new
    syntax = schema.syntax(p.name)
    if syntax == "editions":
        return bool(enum.options.features.enum_type == d.FeatureSet.CLOSED)
    return bool(syntax == "proto2")


def same_type(p: Pair) -> Iterator[Violation]:
    old, new = _closed(p, "old"), _closed(p, "new")
    if old != new:
        kinds = {True: "closed", False: "open"}
        yield Violation(
            "enum",
            "changed",
            p.name,
            f"enum {p.name} changed from {kinds[old]} to {kinds[new]}",
            at=(p.name,),
        )


_DELETE_FIX = (
    "restore the value (deprecate it if it should no longer be used): in this category "
    "reserving its number and name does not clear the rule"
)

RULES = (
    Rule(
        "ENUM_VALUE_NO_DELETE",
        "Checks that enum values are not deleted from a given enum.",
        Kind.BREAKING,
        On.ENUM,
        FILE_PACKAGE,
        value_no_delete,
        _DELETE_FIX,
    ),
    Rule(
        "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
        "Checks that enum values are not deleted from a given enum unless the number is reserved.",
        Kind.BREAKING,
        On.ENUM,
        frozenset({Category.WIRE_JSON, Category.WIRE}),
        value_no_delete_unless_number_reserved,
        "reserve the deleted value's number so it is never reused",
    ),
    Rule(
        "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
        "Checks that enum values are not deleted from a given enum unless the name is reserved.",
        Kind.BREAKING,
        On.ENUM,
        frozenset({Category.WIRE_JSON}),
        value_no_delete_unless_name_reserved,
        "reserve the deleted value's name so its JSON form is never reused",
    ),
    Rule(
        "ENUM_VALUE_SAME_NAME",
        "Checks that enum values have the same name.",
        Kind.BREAKING,
        On.ENUM,
        NOT_WIRE,
        value_same_name,
        "restore the old name (it is the value's JSON form), or keep both names with "
        "`option allow_alias = true;`",
    ),
    Rule(
        "RESERVED_ENUM_NO_DELETE",
        "Checks that reserved ranges and names are not deleted from a given enum.",
        Kind.BREAKING,
        On.ENUM,
        ALL,
        reserved_enum_no_delete,
        "restore the reserved numbers and names",
    ),
    Rule(
        "ENUM_SAME_JSON_FORMAT",
        "Checks that enums have the same JSON format support.",
        Kind.BREAKING,
        On.ENUM,
        NOT_WIRE,
        lost_json_support("enum"),
        "restore the file's syntax (proto3): JSON readers and writers rely on it",
    ),
    Rule(
        "ENUM_SAME_TYPE",
        "Checks that enums have the same type (open vs closed).",
        Kind.BREAKING,
        On.ENUM,
        FILE_PACKAGE,
        same_type,
        "restore the enum's syntax or enum_type feature",
    ),
)
