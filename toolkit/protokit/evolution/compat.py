"""Fixture compatibility: do payloads cross between a baseline schema and the current one?

Three checks, all on dynamic messages built from descriptor images (no generated code):

- **backward**: the current schema reads every baseline payload; each field it declares reads the
  value the baseline wrote, no declared field is left unreadable (a changed type), numbers it
  dropped are reserved, and re-serialising keeps the data, unknown fields included;
- **forward**: payloads the current schema writes are read by the baseline schema with nothing
  but unknown fields lost;
- **json**: the baseline's proto3 JSON still parses into the same values (a renamed JSON name or
  enum value shows here).

These do not consult buf: a changed field type is caught from the payloads alone.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from google.protobuf import descriptor_pb2, json_format
from google.protobuf.descriptor import FieldDescriptor

from protokit.core.descriptors import Image, walk_messages
from protokit.core.findings import Finding, dedupe
from protokit.core.sourcemap import SourceMap
from protokit.evolution.fixtures import (
    BINARY_SUFFIX,
    JSON_SUFFIX,
    DynamicSchema,
    Fixture,
    make_fixtures,
    message_fixtures,
)
from protokit.evolution.payloads import (
    diff_trees,
    one_line,
    show,
    tree,
    type_name,
    unknown_fields,
)
from protokit.evolution.release import Release

SOURCE = "protokit compat"
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
class Snapshot:
    """A baseline schema and its payloads: a frozen release, or fixtures made from a git ref.

    ``same_schema`` names baseline messages declared exactly as in the current schema (their
    file, and every file it imports, unchanged): a payload the current schema writes reads the
    same in the baseline, so ``Compat.forward`` makes and reads none for them."""

    label: str
    image: Image
    fixtures: tuple[Fixture, ...]
    folder: str | None = None
    same_schema: frozenset[str] = frozenset()

    @classmethod
    def of_release(cls, release: Release, changed: Collection[str] | None = None) -> Snapshot:
        """A frozen release with its stored payloads; ``changed`` as for ``of_image``, here
        only sparing ``forward`` (the stored payloads are all read back, as they are on disk)."""
        return cls(
            f"release {release.version}",
            release.image,
            release.fixtures,
            release.folder,
            _same_schema(release.image, changed),
        )

    @classmethod
    def of_image(cls, label: str, image: Image, changed: Collection[str] | None = None) -> Snapshot:
        """Payloads made from ``image``. ``changed``: its targets whose schema differs from the
        current one (``changed_targets``, importers included); only their messages can read
        differently, so only they get payloads and the rest are ``same_schema``."""
        if changed is None:
            return cls(label, image, tuple(make_fixtures(image)))
        pruned = replace(image, targets=tuple(sorted(changed)))
        same = _same_schema(image, changed)
        return cls(label, pruned, tuple(make_fixtures(pruned)), same_schema=same)

    @cached_property
    def schema(self) -> DynamicSchema:
        """The baseline's message classes, built once for every check against it."""
        return DynamicSchema(self.image)

    def where(self, fixture: Fixture, suffix: str = BINARY_SUFFIX) -> str:
        if self.folder is None:
            return f"{fixture.stem}{suffix} of {self.label}"
        return f"{self.folder}/fixtures/{fixture.stem}{suffix}"

    def messages(self) -> list[str]:
        return sorted({f.message for f in self.fixtures})


def _same_schema(image: Image, changed: Collection[str] | None) -> frozenset[str]:
    """The messages of ``image``'s targets outside ``changed``."""
    if changed is None:
        return frozenset()
    return frozenset(
        at.full_name
        for file in image.target_files()
        if file.name not in changed
        for at in walk_messages(file)
    )


@dataclass(frozen=True)
class _Problem:
    rule: str
    scope: str  # full name of the message declaring the field (or the payload's message)
    number: int | None
    text: str


@dataclass
class Compat:
    """The current schema, ready to be checked against any number of baselines."""

    current: Image
    schema: DynamicSchema = field(init=False)
    _fixtures: dict[str, list[Fixture]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.schema = DynamicSchema(self.current)

    @cached_property
    def sources(self) -> SourceMap:
        """Where the current schema declares each element: built when a finding needs a place."""
        return SourceMap(self.current)

    @cached_property
    def _messages(self) -> dict[str, None]:
        """The current schema's own messages, sorted: the ones it writes payloads for."""
        return dict.fromkeys(self.schema.messages())

    def _current_fixtures(self, name: str) -> list[Fixture]:
        """The payloads the current schema writes for one message, made on first use (a big
        tree's unchanged messages are never made)."""
        found = self._fixtures.get(name)
        if found is None:
            found = self._fixtures[name] = message_fixtures(self.schema, name)
        return found

    def check(self, old: Snapshot, json_too: bool = True) -> list[Finding]:
        """Every check against one baseline; ``json_too`` False for the WIRE category, where
        JSON compatibility is not promised."""
        return [*self.backward(old), *self.forward(old), *(self.json(old) if json_too else [])]

    def backward(self, old: Snapshot, only: str | None = None) -> list[Finding]:
        """The current schema reads the baseline's binary payloads."""
        writer = old.schema
        findings: list[Finding] = []
        for fixture in old.fixtures:
            if only is not None and fixture.message != only:
                continue
            if not self.schema.has_message(fixture.message):
                # Deleted or renamed: the current schema has no reader of these payloads, and
                # buf's own rules say whether losing the message breaks (MESSAGE_NO_DELETE).
                continue
            where = old.where(fixture)
            for problem in _read(fixture.binary, fixture.message, writer, self.schema, True):
                findings.append(self._finding(problem, "backward", where))
        return dedupe(findings)

    def forward(self, old: Snapshot, only: str | None = None) -> list[Finding]:
        """The baseline schema reads payloads the current schema writes."""
        reader = old.schema
        findings: list[Finding] = []
        names = self._messages if only is None else [n for n in [only] if n in self._messages]
        for name in names:
            if name in old.same_schema or not reader.has_message(name):
                continue  # read the same either way, or a message the baseline never had
            for fixture in self._current_fixtures(name):
                where = f"{fixture.stem}{BINARY_SUFFIX} (current schema)"
                for problem in _read(fixture.binary, name, self.schema, reader, False):
                    findings.append(self._finding(problem, "forward", where))
        return dedupe(findings)

    def json(self, old: Snapshot, only: str | None = None) -> list[Finding]:
        """The baseline's JSON payloads parse into the values its binary payloads hold."""
        writer = old.schema
        findings: list[Finding] = []
        for fixture in old.fixtures:
            if only is not None and fixture.message != only:
                continue
            if not self.schema.has_message(fixture.message):
                continue  # no reader of these payloads any more
            where = old.where(fixture, JSON_SUFFIX)
            for problem in _read_json(fixture, writer, self.schema):
                findings.append(self._finding(problem, "json", where))
        return dedupe(findings)

    def _finding(self, problem: _Problem, direction: str, where: str) -> Finding:
        names: list[str] = []
        if problem.number is not None and self.schema.has_message(problem.scope):
            current_field = self.schema.descriptor(problem.scope).fields_by_number.get(
                problem.number
            )
            if current_field is not None:
                names.append(current_field.full_name)
        names.append(problem.scope)
        location = self.sources.nearest(*names)
        return Finding(
            path=location.path if location else "",
            line=location.line if location else 0,
            column=location.column if location else 0,
            rule=problem.rule,
            message=f"{direction}: {problem.text} (payload {where})",
            source=SOURCE,
        )


def _read(
    payload: bytes, name: str, writer: DynamicSchema, reader: DynamicSchema, backward: bool
) -> list[_Problem]:
    try:
        written = writer.message_class(name).FromString(payload)
        read = reader.message_class(name).FromString(payload)
    except Exception as exc:  # DecodeError (bad UTF-8, corrupt wire data) and friends
        return [_Problem(RULE_PARSE, name, None, f"{name} no longer parses: {one_line(exc)}")]
    problems: dict[tuple[str, int | None], _Problem] = {}
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
            problems[key] = _Problem(
                RULE_WIRE_TYPE,
                scope.full_name,
                number,
                f"field {declared.full_name} ({number}) is {type_name(declared)} in the "
                f"{'current' if backward else 'baseline'} schema but the payload carries a "
                f"{_WIRE_NAMES.get(wire_type, str(wire_type))} value there; restore the old "
                f"type, or add a new field with a new number and `reserved {number};` this one",
            )
        elif backward and not _reserved(reader, scope.full_name, number):
            problems[key] = _Problem(
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
        problems[key] = _Problem(
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
                problems[(name, None)] = _Problem(
                    RULE_ROUNDTRIP,
                    name,
                    None,
                    f"re-serialising {name} lost or changed data (unknown fields included)",
                )
    return list(problems.values())


def _read_json(fixture: Fixture, writer: DynamicSchema, reader: DynamicSchema) -> list[_Problem]:
    name = fixture.message
    cls = reader.message_class(name)
    try:
        parsed = json_format.Parse(
            fixture.json, cls(), ignore_unknown_fields=True, descriptor_pool=reader.pool
        )
    except Exception as exc:  # ParseError, ValueError, and whatever else bad input raises
        return [
            _Problem(
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
    problems: list[_Problem] = []
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
                _Problem(
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
                _Problem(
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
                _Problem(
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
                _Problem(
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
