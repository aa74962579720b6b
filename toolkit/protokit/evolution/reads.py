"""How one fixture reads across two schemas: the binary payload (wire types, values,
reserved numbers, the round trip) and its proto3 JSON (names, values, enum names). Each
problem found is a ``Problem``; ``compat.Compat`` turns them into located findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2, json_format
from google.protobuf.descriptor import FieldDescriptor

from protokit.evolution.fixtures import DynamicSchema, Fixture
from protokit.evolution.payloads import diff_trees, one_line, show, tree, type_name, unknown_fields

__all__ = ["Problem", "read_binary", "read_json"]

RULE_PARSE = "COMPAT_PARSE"
RULE_WIRE_TYPE = "COMPAT_WIRE_TYPE"
RULE_VALUE = "COMPAT_VALUE_CHANGED"
RULE_UNRESERVED = "COMPAT_UNRESERVED"
RULE_ROUNDTRIP = "COMPAT_ROUNDTRIP"
RULE_JSON_PARSE = "COMPAT_JSON_PARSE"
RULE_JSON_NAME = "COMPAT_JSON_NAME"
RULE_JSON_VALUE = "COMPAT_JSON_VALUE"
RULE_JSON_ENUM = "COMPAT_JSON_ENUM_NAME"

_WIRE_NAMES = {0: "varint", 1: "64-bit", 2: "length-delimited", 3: "group", 4: "group", 5: "32-bit"}


@dataclass(frozen=True)
class Problem:
    rule: str
    scope: str  # full name of the message declaring the field (or the payload's message)
    number: int | None
    text: str


def read_binary(
    payload: bytes, name: str, writer: DynamicSchema, reader: DynamicSchema, backward: bool
) -> list[Problem]:
    try:
        written = writer.message_class(name).FromString(payload)
        read = reader.message_class(name).FromString(payload)
    except Exception as exc:  # DecodeError (bad UTF-8, corrupt wire data) and friends
        return [Problem(RULE_PARSE, name, None, f"{name} no longer parses: {one_line(exc)}")]
    problems: dict[tuple[str, int | None], Problem] = {}
    tolerated: set[tuple[str, int | None]] = set()
    for scope, number, wire_type in unknown_fields(read):
        declared = scope.fields_by_number.get(number)
        key = (scope.full_name, number)
        if (
            declared is not None
            and declared.type == FieldDescriptor.TYPE_ENUM
            and wire_type
            in (
                0,
                2,
            )
        ):
            # A closed (proto2-style) enum keeps a value it does not know as an unknown field:
            # nothing is lost, and re-serialising writes it back.
            tolerated.add(key)
        elif declared is not None:
            problems[key] = Problem(
                RULE_WIRE_TYPE,
                scope.full_name,
                number,
                f"field {declared.full_name} ({number}) is {type_name(declared)} in the "
                f"{'current' if backward else 'baseline'} schema but the payload carries a "
                f"{_WIRE_NAMES.get(wire_type, str(wire_type))} value there; restore the old "
                f"type, or add a new field with a new number and `reserved {number};` this one",
            )
        elif backward and not _reserved(reader, scope.full_name, number):
            problems[key] = Problem(
                RULE_UNRESERVED,
                scope.full_name,
                number,
                f"old payloads of {scope.full_name} carry field number {number}, which the "
                f"current schema neither declares nor reserves; add `reserved {number};` so it "
                "is never reused with another type",
            )
    for w_field, r_field, old_value, new_value in diff_trees(
        tree(written), tree(read), written.DESCRIPTOR, read.DESCRIPTOR
    ):
        key = (r_field.containing_type.full_name, r_field.number)
        if key in problems or key in tolerated:
            continue
        problems[key] = Problem(
            RULE_VALUE,
            r_field.containing_type.full_name,
            r_field.number,
            f"field {r_field.full_name} ({r_field.number}) reads {show(old_value)} written "
            f"as {type_name(w_field)} as {show(new_value)} ({type_name(r_field)}); restore "
            f"the old type, or add a new field with a new number and `reserved "
            f"{r_field.number};` this one",
        )
    if not problems:
        again = read.SerializeToString(deterministic=True)
        if again != payload:
            cls = writer.message_class(name)
            before = cls.FromString(payload).SerializeToString(deterministic=True)
            after = cls.FromString(again).SerializeToString(deterministic=True)
            if before != after:
                problems[(name, None)] = Problem(
                    RULE_ROUNDTRIP,
                    name,
                    None,
                    f"re-serialising {name} lost or changed data (unknown fields included)",
                )
    return list(problems.values())


def read_json(fixture: Fixture, writer: DynamicSchema, reader: DynamicSchema) -> list[Problem]:
    name = fixture.message
    cls = reader.message_class(name)
    try:
        parsed = json_format.Parse(
            fixture.json, cls(), ignore_unknown_fields=True, descriptor_pool=reader.pool
        )
    except Exception as exc:  # ParseError, ValueError, and whatever else bad input raises
        return [
            Problem(
                RULE_JSON_PARSE,
                *_json_error_field(cls.DESCRIPTOR, str(exc)),
                f"old JSON of {name} no longer parses: {one_line(exc)}; restore the field's type "
                "or JSON name",
            )
        ]
    try:
        binary = cls.FromString(fixture.binary)
    except Exception:  # the binary payload no longer parses: the backward check reports it
        return []
    problems: list[Problem] = []
    seen: set[tuple[str, int]] = set()
    for _, r_field, from_binary, from_json in diff_trees(
        tree(binary), tree(parsed), cls.DESCRIPTOR, cls.DESCRIPTOR
    ):
        key = (r_field.containing_type.full_name, r_field.number)
        if key in seen:
            continue
        seen.add(key)
        old_msg = writer.descriptor(key[0]) if writer.has_message(key[0]) else None
        old_field = old_msg.fields_by_number.get(r_field.number) if old_msg else None
        renumbered = old_msg.fields_by_name.get(r_field.name) if old_msg else None
        old_enum_name = _enum_name(old_field, from_binary)
        if old_field is None and renumbered is not None:
            problems.append(
                Problem(
                    RULE_JSON_VALUE,
                    key[0],
                    r_field.number,
                    f"old JSON key {renumbered.json_name!r} now reaches field "
                    f"{r_field.full_name} ({r_field.number}), but the same payloads in binary "
                    f"carry it as field {renumbered.number}; restore the field's number",
                )
            )
        elif old_enum_name is not None and from_json is None:
            problems.append(
                Problem(
                    RULE_JSON_ENUM,
                    key[0],
                    r_field.number,
                    f"old JSON value {old_enum_name!r} of field {r_field.full_name} "
                    f"({r_field.number}) is no longer a name of {type_name(r_field)}; restore "
                    "the enum value's name (or keep it as an alias with `allow_alias`)",
                )
            )
        elif old_field is not None and old_field.json_name != r_field.json_name:
            problems.append(
                Problem(
                    RULE_JSON_NAME,
                    key[0],
                    r_field.number,
                    f"old JSON key {old_field.json_name!r} no longer reaches field "
                    f"{r_field.full_name} ({r_field.number}), whose JSON name is now "
                    f"{r_field.json_name!r}; restore the name (or `json_name = "
                    f'"{old_field.json_name}"`)',
                )
            )
        else:
            problems.append(
                Problem(
                    RULE_JSON_VALUE,
                    key[0],
                    r_field.number,
                    f"old JSON sets field {r_field.full_name} ({r_field.number}) to "
                    f"{show(from_json)} but the binary payload holds {show(from_binary)}; "
                    "restore the field's type or enum value names",
                )
            )
    return problems


def _enum_name(field: Any, value: Any) -> str | None:
    """The baseline's name for an enum field's (first) value, if the field is an enum."""
    if field is None or field.type != FieldDescriptor.TYPE_ENUM:
        return None
    number = value[0] if isinstance(value, list) and value else value
    found = field.enum_type.values_by_number.get(number)
    return str(found.name) if found is not None else None


def _reserved(schema: DynamicSchema, full_name: str, number: int) -> bool:
    proto = descriptor_pb2.DescriptorProto()
    schema.descriptor(full_name).CopyToProto(proto)
    return any(r.start <= number < r.end for r in proto.reserved_range)


def _json_error_field(root: Any, error: str) -> tuple[str, int | None]:
    """The field a json_format error names (``... at Item.tree.label.``), as (scope, number)."""
    scope, number = str(root.full_name), None
    _, found, where = error.rpartition(" at ")
    parts = where.strip().rstrip(".").split(".")[1:] if found else []
    if not parts:  # "Failed to parse user field: Failed to parse email field: ..."
        parts = re.findall(r"Failed to parse (\w+) field", error)
    desc = root
    for part in parts:
        key = part.split("[", 1)[0]
        field = next((f for f in desc.fields if key in (f.name, f.json_name)), None)
        if field is None:
            break
        scope, number = str(desc.full_name), int(field.number)
        if field.message_type is None:
            break
        desc = field.message_type
    return scope, number
