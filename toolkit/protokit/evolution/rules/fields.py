"""Rules over a field kept under its number in a message kept under its full name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

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
from protokit.evolution.rules.schema import Schema, cardinality, json_name, oneof_of, type_of

F = d.FieldDescriptorProto

# Scalar types that read each other's bytes (buf's wire and wire+JSON compatibility groups);
# ``string`` may become ``bytes`` on the wire, not back (bytes need not be UTF-8).
_WIRE_GROUPS = (
    {"int32", "int64", "uint32", "uint64", "bool"},
    {"sint32", "sint64"},
    {"fixed32", "sfixed32"},
    {"fixed64", "sfixed64"},
)
_WIRE_ONE_WAY = {("string", "bytes")}
_WIRE_JSON_GROUPS = (
    {"int32", "uint32"},
    {"int64", "uint64"},
    {"fixed32", "sfixed32"},
    {"fixed64", "sfixed64"},
)
_WIRE_CARDINALITIES = ({"singular", "optional"}, {"required"}, {"repeated", "map"})
_WIRE_JSON_CARDINALITIES = ({"singular", "optional"}, {"required"}, {"repeated"}, {"map"})


def _at(p: Pair) -> tuple[str, ...]:
    return (p.name, p.name.rsplit(".", 1)[0])


def _changed(
    p: Pair, what: str, before: object, after: object, part: tuple[int, ...] = ()
) -> Violation:
    number = p.new.number
    return Violation(
        "field",
        "changed",
        p.name,
        f"field {p.name} ({number}) changed {what} from {before} to {after}",
        at=_at(p),
        part=part,
    )


def _type_part(f: d.FieldDescriptorProto) -> tuple[int, ...]:
    named = f.type in (F.TYPE_MESSAGE, F.TYPE_ENUM, F.TYPE_GROUP)
    return (F.TYPE_NAME_FIELD_NUMBER,) if named else (F.TYPE_FIELD_NUMBER,)


_OPTIONS = (F.OPTIONS_FIELD_NUMBER,)


def same_name(p: Pair) -> Iterator[Violation]:
    if p.old.name != p.new.name:
        scope = p.name.rsplit(".", 1)[0]
        yield Violation(
            "field",
            "changed",
            p.name,
            f"field {scope}.{p.old.name} ({p.new.number}) was renamed to {p.new.name}",
            at=_at(p),
            part=(F.NAME_FIELD_NUMBER,),
        )


def same_json_name(p: Pair) -> Iterator[Violation]:
    if json_name(p.old) != json_name(p.new):
        part = (F.JSON_NAME_FIELD_NUMBER,)
        yield _changed(p, "JSON name", repr(json_name(p.old)), repr(json_name(p.new)), part)


def same_type(p: Pair) -> Iterator[Violation]:
    if p.old.type != p.new.type or type_of(p.old) != type_of(p.new):
        yield _changed(p, "type", type_of(p.old), type_of(p.new), _type_part(p.new))


def _compatible_type(
    groups: tuple[set[str], ...], one_way: set[tuple[str, str]]
) -> Callable[[Pair], Iterator[Violation]]:
    def check(p: Pair) -> Iterator[Violation]:
        old, new = type_of(p.old), type_of(p.new)
        if old == new and p.old.type == p.new.type:
            return
        if (old, new) in one_way or any(old in g and new in g for g in groups):
            return
        yield _changed(p, "type", old, new, _type_part(p.new))

    return check


def _cardinalities(p: Pair) -> tuple[str, str]:
    scope = p.name.rsplit(".", 1)[0]
    return cardinality(p.old, p.before, scope), cardinality(p.new, p.after, scope)


def same_cardinality(p: Pair) -> Iterator[Violation]:
    if p.old_parent.options.map_entry and p.new_parent.options.map_entry:
        return
    old, new = _cardinalities(p)
    if old != new:
        yield _changed(p, "cardinality", old, new, (F.LABEL_FIELD_NUMBER,))


def _compatible_cardinality(groups: tuple[set[str], ...]) -> Callable[[Pair], Iterator[Violation]]:
    def check(p: Pair) -> Iterator[Violation]:
        old, new = _cardinalities(p)
        if old != new and not any(old in g and new in g for g in groups):
            yield _changed(p, "cardinality", old, new, (F.LABEL_FIELD_NUMBER,))

    return check


def same_oneof(p: Pair) -> Iterator[Violation]:
    old, new = oneof_of(p.old, p.old_parent), oneof_of(p.new, p.new_parent)
    if old != new:
        yield _changed(p, "oneof", old or "(none)", new or "(none)")


def same_default(p: Pair) -> Iterator[Violation]:
    if p.old.HasField("default_value") and p.old.default_value != p.new.default_value:
        part = (F.DEFAULT_VALUE_FIELD_NUMBER,)
        yield _changed(p, "default", repr(p.old.default_value), repr(p.new.default_value), part)


def _same_field_option(option: str) -> Callable[[Pair], Iterator[Violation]]:
    part = (*_OPTIONS, d.FieldOptions.DESCRIPTOR.fields_by_name[option].number)

    def check(p: Pair) -> Iterator[Violation]:
        old, new = getattr(p.old.options, option), getattr(p.new.options, option)
        if old != new:
            yield _changed(p, f"option {option}", old, new, part)

    return check


_SIXTY_FOUR_BIT = frozenset(
    {
        d.FieldDescriptorProto.TYPE_INT64,
        d.FieldDescriptorProto.TYPE_UINT64,
        d.FieldDescriptorProto.TYPE_SINT64,
        d.FieldDescriptorProto.TYPE_FIXED64,
        d.FieldDescriptorProto.TYPE_SFIXED64,
    }
)


_SAME_JSTYPE_OPTION = _same_field_option("jstype")


def same_jstype(p: Pair) -> Iterator[Violation]:
    """jstype means something for 64-bit integers only: compared when the field is one before
    and after (buf compares it so; a type change is FIELD_SAME_TYPE's)."""
    if p.old.type in _SIXTY_FOUR_BIT and p.new.type in _SIXTY_FOUR_BIT:
        yield from _SAME_JSTYPE_OPTION(p)


def _file_of(schema: Schema, p: Pair) -> d.FileDescriptorProto | None:
    """The file declaring the message of the field pair ``p``."""
    return schema.files.get(schema.file_of.get(p.name.rsplit(".", 1)[0], ""))


def _verified(
    file: d.FileDescriptorProto | None, f: d.FieldDescriptorProto, java: bool
) -> bool | None:
    """Whether the string field ``f`` of ``file`` has its UTF-8 verified when parsed (``java``:
    by generated Java code, which in proto2 verifies only under the file option
    ``java_string_check_utf8``); None where there is nothing to compare: not a string field,
    or an editions file, whose resolved features are not read here."""
    if file is None or f.type != F.TYPE_STRING:
        return None
    syntax = file.syntax or "proto2"
    if syntax == "editions":
        return None
    return syntax == "proto3" or (java and file.options.java_string_check_utf8)


def _same_utf8_validation(java: bool) -> Callable[[Pair], Iterator[Violation]]:
    what = "Java UTF-8 validation" if java else "UTF-8 validation"

    def check(p: Pair) -> Iterator[Violation]:
        old_file, new_file = _file_of(p.before, p), _file_of(p.after, p)
        old, new = _verified(old_file, p.old, java), _verified(new_file, p.new, java)
        if old is None or new is None or old == new:
            return
        shown = {True: "verified", False: "not verified"}
        violation = _changed(p, what, shown[old], shown[new])
        if old_file is not None and new_file is not None and old_file.syntax == new_file.syntax:
            # the syntax is the same: the file option changed, and buf points at it
            option = d.FileOptions.JAVA_STRING_CHECK_UTF8_FIELD_NUMBER
            span = (new_file.name, (d.FileDescriptorProto.OPTIONS_FIELD_NUMBER, option))
            violation = replace(violation, span=span)
        yield violation

    return check


_UTF8_FIX = (
    "restore the file's syntax (and `java_string_check_utf8`): a reader that verifies UTF-8 "
    "rejects strings a writer that does not verify could send"
)

_TYPE_FIX = (
    "restore the old type, or add a new field with a new number and reserve this one's number"
)
_CARDINALITY_FIX = (
    "restore the old label (`optional`, `repeated`, map, or none): it changes field presence "
    "and the generated accessors; add a new field instead"
)

RULES = (
    Rule(
        "FIELD_SAME_NAME",
        "Checks that fields have the same names in a given message.",
        Kind.BREAKING,
        On.FIELD,
        NOT_WIRE,
        same_name,
        "restore the old name (a rename breaks JSON and generated code)",
    ),
    Rule(
        "FIELD_SAME_JSON_NAME",
        "Checks that fields have the same value for the json_name option.",
        Kind.BREAKING,
        On.FIELD,
        NOT_WIRE,
        same_json_name,
        "restore the old JSON name (set `json_name` to it if the field was renamed)",
    ),
    Rule(
        "FIELD_SAME_TYPE",
        "Checks that fields have the same types in a given message.",
        Kind.BREAKING,
        On.FIELD,
        FILE_PACKAGE,
        same_type,
        _TYPE_FIX,
    ),
    Rule(
        "FIELD_WIRE_COMPATIBLE_TYPE",
        "Checks that fields have wire-compatible types in a given message.",
        Kind.BREAKING,
        On.FIELD,
        frozenset({Category.WIRE}),
        _compatible_type(_WIRE_GROUPS, _WIRE_ONE_WAY),
        _TYPE_FIX,
    ),
    Rule(
        "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
        "Checks that fields have wire and JSON compatible types in a given message.",
        Kind.BREAKING,
        On.FIELD,
        frozenset({Category.WIRE_JSON}),
        _compatible_type(_WIRE_JSON_GROUPS, set()),
        _TYPE_FIX,
    ),
    Rule(
        "FIELD_SAME_CARDINALITY",
        "Checks that fields have the same cardinalities in a given message.",
        Kind.BREAKING,
        On.FIELD,
        FILE_PACKAGE,
        same_cardinality,
        _CARDINALITY_FIX,
    ),
    Rule(
        "FIELD_WIRE_COMPATIBLE_CARDINALITY",
        "Checks that fields have wire-compatible cardinalities in a given message.",
        Kind.BREAKING,
        On.FIELD,
        frozenset({Category.WIRE}),
        _compatible_cardinality(_WIRE_CARDINALITIES),
        _CARDINALITY_FIX,
    ),
    Rule(
        "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        "Checks that fields have wire and JSON compatible cardinalities in a given message.",
        Kind.BREAKING,
        On.FIELD,
        frozenset({Category.WIRE_JSON}),
        _compatible_cardinality(_WIRE_JSON_CARDINALITIES),
        _CARDINALITY_FIX,
    ),
    Rule(
        "FIELD_SAME_ONEOF",
        "Checks that fields have the same oneofs in a given message.",
        Kind.BREAKING,
        On.FIELD,
        ALL,
        same_oneof,
        "move the field back (entering or leaving a oneof changes what readers keep)",
    ),
    Rule(
        "FIELD_SAME_DEFAULT",
        "Checks that fields have the same default value, if a default is specified.",
        Kind.BREAKING,
        On.FIELD,
        ALL,
        same_default,
        "restore the old default",
    ),
    Rule(
        "FIELD_SAME_UTF8_VALIDATION",
        "Checks that string fields have the same UTF8 validation mode.",
        Kind.BREAKING,
        On.FIELD,
        FILE_PACKAGE,
        _same_utf8_validation(java=False),
        _UTF8_FIX,
    ),
    Rule(
        "FIELD_SAME_JAVA_UTF8_VALIDATION",
        "Checks that fields have the same Java string UTF8 validation, based on "
        "java_string_check_utf8 file option or (pb.java).utf8_validation feature.",
        Kind.BREAKING,
        On.FIELD,
        FILE_PACKAGE,
        _same_utf8_validation(java=True),
        _UTF8_FIX,
    ),
    Rule(
        "FIELD_SAME_JSTYPE",
        "Checks that fields have the same value for the jstype option.",
        Kind.BREAKING,
        On.FIELD,
        FILE_PACKAGE,
        same_jstype,
        "restore the old jstype",
    ),
    Rule(
        "FIELD_SAME_CPP_STRING_TYPE",
        "Checks that fields have the same C++ string type, based on ctype field option or "
        "(pb.cpp).string_type feature.",
        Kind.BREAKING,
        On.FIELD,
        FILE_PACKAGE,
        _same_field_option("ctype"),
        "restore the old ctype",
    ),
)
