"""Rules over a message kept under its full name: deleted fields and oneofs, reserved ranges."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf import descriptor_pb2 as d

from protokit.evolution.rules import (
    ALL,
    FILE_PACKAGE,
    NOT_WIRE,
    Category,
    Check,
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
    real_oneofs,
    shown_numbers,
)

_WIRE_BOTH = frozenset({Category.WIRE_JSON, Category.WIRE})


def _deleted_fields(p: Pair) -> Iterator[tuple[d.FieldDescriptorProto, str, str | None]]:
    """Fields whose number is gone, with how to describe it (deleted, or renumbered) and, for
    a renumbered field, the one fix that clears every deletion rule (buf judges by number: the
    old number is deleted, and the name, still in use, can be neither reserved nor freed)."""
    old: d.DescriptorProto = p.old
    new: d.DescriptorProto = p.new
    numbers = {f.number for f in new.field}
    by_name = {f.name: f for f in new.field}
    for f in old.field:
        if f.number in numbers:
            continue
        moved = by_name.get(f.name)
        if moved is None:
            yield f, f"field {p.name}.{f.name} ({f.number}) was deleted", None
            continue
        yield (
            f,
            f"field {p.name}.{f.name} changed number from {f.number} to {moved.number}",
            f"give {p.name}.{f.name} its number {f.number} back: a renumbered field reads as "
            "a deleted one",
        )


def field_no_delete(p: Pair) -> Iterator[Violation]:
    for f, detail, renumbered in _deleted_fields(p):
        yield Violation(
            "field", "removed", f"{p.name}.{f.name}", detail, at=(p.name,), fix=renumbered
        )


def field_no_delete_unless_number_reserved(p: Pair) -> Iterator[Violation]:
    for f, detail, renumbered in _deleted_fields(p):
        if not is_reserved(f.number, p.new.reserved_range, inclusive=False):
            yield Violation(
                "field",
                "removed",
                f"{p.name}.{f.name}",
                detail,
                at=(p.name,),
                fix=renumbered or f"add to message {p.name}: reserved {f.number};",
            )


def field_no_delete_unless_name_reserved(p: Pair) -> Iterator[Violation]:
    # By number, as buf judges it: a renumbered field's old number is deleted, and its name,
    # though a field still has it, is not reserved.
    for f, detail, renumbered in _deleted_fields(p):
        if f.name not in p.new.reserved_name:
            yield Violation(
                "field",
                "removed",
                f"{p.name}.{f.name}",
                detail,
                at=(p.name,),
                fix=renumbered or f'add to message {p.name}: reserved "{f.name}";',
            )


def oneof_no_delete(p: Pair) -> Iterator[Violation]:
    for name in sorted(real_oneofs(p.old) - real_oneofs(p.new)):
        yield Violation(
            "oneof",
            "removed",
            f"{p.name}.{name}",
            f"oneof {p.name}.{name} was deleted",
            at=(p.name,),
        )


def _lost_ranges(ranges: str, what: str, names: str | None = None) -> Check:
    """The check of a message's ``ranges`` (``reserved_range``, ``extension_range``), and its
    reserved ``names``: what the old message's cover and the new one's do not."""

    def check(p: Pair) -> Iterator[Violation]:
        lost = lost_numbers(getattr(p.old, ranges), getattr(p.new, ranges), False)
        gone = sorted(set(getattr(p.old, names)) - set(getattr(p.new, names))) if names else []
        if lost or gone:
            shown = shown_numbers(lost, gone)
            yield Violation(
                "message", "changed", p.name, f"message {p.name} {what} {shown}", at=(p.name,)
            )

    return check


reserved_message_no_delete = _lost_ranges("reserved_range", "no longer reserves", "reserved_name")
extension_message_no_delete = _lost_ranges("extension_range", "no longer takes extensions at")


def same_required_fields(p: Pair) -> Iterator[Violation]:
    required = d.FieldDescriptorProto.LABEL_REQUIRED
    old = {f.number: f.name for f in p.old.field if f.label == required}
    new = {f.number: f.name for f in p.new.field if f.label == required}
    for number in sorted(set(old) ^ set(new)):
        if number in new:
            detail = f"message {p.name} added required field {new[number]} ({number})"
            at: tuple[str, ...] = (f"{p.name}.{new[number]}", p.name)
        else:
            detail = f"message {p.name} deleted required field {old[number]} ({number})"
            at = (p.name,)
        yield Violation("message", "changed", p.name, detail, at=at)


def no_remove_standard_descriptor_accessor(p: Pair) -> Iterator[Violation]:
    if p.new.options.no_standard_descriptor_accessor and not (
        p.old.options.no_standard_descriptor_accessor
    ):
        yield Violation(
            "message",
            "changed",
            p.name,
            f"message {p.name} set no_standard_descriptor_accessor",
            at=(p.name,),
            part=(
                d.DescriptorProto.OPTIONS_FIELD_NUMBER,
                d.MessageOptions.NO_STANDARD_DESCRIPTOR_ACCESSOR_FIELD_NUMBER,
            ),
        )


_JSON_FORMAT_FIX = "restore the file's syntax (proto3): JSON readers and writers rely on it"

_DELETE_FIX = (
    "restore the field and mark it `deprecated = true`: in this category reserving its number "
    "and name does not clear the rule, because generated code loses the field"
)

RULES = (
    Rule(
        "FIELD_NO_DELETE",
        "Checks that fields are not deleted from a given message.",
        Kind.BREAKING,
        On.MESSAGE,
        FILE_PACKAGE,
        field_no_delete,
        _DELETE_FIX,
    ),
    Rule(
        "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
        "Checks that fields are not deleted from a given message unless the number is reserved.",
        Kind.BREAKING,
        On.MESSAGE,
        _WIRE_BOTH,
        field_no_delete_unless_number_reserved,
        "reserve the deleted field's number so it is never reused with another type",
    ),
    Rule(
        "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
        "Checks that fields are not deleted from a given message unless the name is reserved.",
        Kind.BREAKING,
        On.MESSAGE,
        frozenset({Category.WIRE_JSON}),
        field_no_delete_unless_name_reserved,
        "reserve the deleted field's name so its JSON key is never reused",
    ),
    Rule(
        "ONEOF_NO_DELETE",
        "Checks that oneofs are not deleted from a given message.",
        Kind.BREAKING,
        On.MESSAGE,
        FILE_PACKAGE,
        oneof_no_delete,
        "restore the oneof (generated code has an accessor for it)",
    ),
    Rule(
        "RESERVED_MESSAGE_NO_DELETE",
        "Checks that reserved ranges and names are not deleted from a given message.",
        Kind.BREAKING,
        On.MESSAGE,
        ALL,
        reserved_message_no_delete,
        "restore the reserved numbers and names",
    ),
    Rule(
        "EXTENSION_MESSAGE_NO_DELETE",
        "Checks that extension ranges are not deleted from a given message.",
        Kind.BREAKING,
        On.MESSAGE,
        FILE_PACKAGE,
        extension_message_no_delete,
        "restore the extension range (extensions others declared in it stop compiling)",
    ),
    Rule(
        "MESSAGE_SAME_JSON_FORMAT",
        "Checks that messages have the same JSON format support.",
        Kind.BREAKING,
        On.MESSAGE,
        NOT_WIRE,
        lost_json_support("message"),
        _JSON_FORMAT_FIX,
    ),
    Rule(
        "MESSAGE_SAME_REQUIRED_FIELDS",
        "Checks that messages have no added or deleted required fields.",
        Kind.BREAKING,
        On.MESSAGE,
        ALL,
        same_required_fields,
        "restore the required fields as they were",
    ),
    Rule(
        "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR",
        "Checks that messages do not change the no_standard_descriptor_accessor option from "
        "false or unset to true.",
        Kind.BREAKING,
        On.MESSAGE,
        FILE_PACKAGE,
        no_remove_standard_descriptor_accessor,
        "remove the no_standard_descriptor_accessor option",
    ),
)
