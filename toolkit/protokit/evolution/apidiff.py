"""``protokit diff``: the API changelog between a baseline and the current schema.

Compared from descriptors the way buf's FILE category does (elements belong to their file; fields
and enum values are keyed by number, RPCs by name). Each change is breaking (with the buf rule it
corresponds to), additive (a minor release; deprecations count here, as in SemVer) or cosmetic
(comments only: a patch release).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum

from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import Image
from protokit.core.sourcemap import SourceMap
from protokit.evolution.release import Version

F = d.FieldDescriptorProto


class Kind(StrEnum):
    BREAKING = "breaking"
    ADDITIVE = "additive"
    COSMETIC = "cosmetic"


_BUMP = {Kind.BREAKING: "major", Kind.ADDITIVE: "minor", Kind.COSMETIC: "patch"}


@dataclass(frozen=True)
class Change:
    kind: Kind
    element: str  # file, service, rpc, message, field, enum, enum value
    action: str  # added, removed, changed, moved, deprecated, comment changed
    name: str
    detail: str
    rule: str | None = None
    path: str = ""
    line: int = 0
    column: int = 0
    fix: str | None = None


@dataclass(frozen=True)
class ApiDiff:
    against: str
    changes: tuple[Change, ...]
    latest_release: str | None

    @property
    def bump(self) -> str:
        for kind in (Kind.BREAKING, Kind.ADDITIVE, Kind.COSMETIC):
            if any(c.kind is kind for c in self.changes):
                return _BUMP[kind]
        return "none"

    @property
    def next_version(self) -> str | None:
        if self.latest_release is None or self.bump == "none":
            return None
        return str(Version.parse(self.latest_release).bump(self.bump))

    @property
    def breaking(self) -> bool:
        return any(c.kind is Kind.BREAKING for c in self.changes)


def diff_images(old: Image, new: Image, against: str, latest: str | None) -> ApiDiff:
    differ = _Differ(old, new)
    differ.run()
    order = {Kind.BREAKING: 0, Kind.ADDITIVE: 1, Kind.COSMETIC: 2}
    changes = sorted(
        differ.changes, key=lambda c: (order[c.kind], c.path, c.line, c.column, c.name, c.action)
    )
    return ApiDiff(against=against, changes=tuple(changes), latest_release=latest)


class _Differ:
    def __init__(self, old: Image, new: Image) -> None:
        self.old, self.new = old, new
        self.old_src, self.new_src = SourceMap(old), SourceMap(new)
        self.changes: list[Change] = []
        self.new_files = {f.name: f for f in new.target_files()}
        self.new_messages: dict[str, str] = {}  # full name -> file, for "moved"
        for f in new.target_files():
            for name, _ in _messages(f):
                self.new_messages[name] = f.name
        prefix = ""
        for name, disk in new.disk_paths.items():
            if disk.endswith(name):
                prefix = disk[: -len(name)]
                break
        self.prefix = prefix

    def add(
        self,
        kind: Kind,
        element: str,
        action: str,
        name: str,
        detail: str,
        *,
        rule: str | None = None,
        fix: str | None = None,
        at: tuple[str, ...] = (),
        path: str = "",
    ) -> None:
        """Record a change located at the first of ``at`` the current schema declares (buf
        reports a deleted element at its parent, and so does protokit)."""
        loc = self.new_src.nearest(*at)
        self.changes.append(
            Change(
                kind,
                element,
                action,
                name,
                detail,
                rule=rule,
                path=loc.path if loc else path,
                line=loc.line if loc else 0,
                column=loc.column if loc else 0,
                fix=fix,
            )
        )

    def comment(self, element: str, name: str) -> None:
        old, new = self.old_src.get(name), self.new_src.get(name)
        if old and new and old.comment != new.comment:
            self.add(
                Kind.COSMETIC,
                element,
                "comment changed",
                name,
                f"documentation of {element} {name} changed",
                at=(name,),
            )

    def run(self) -> None:
        for old_file in self.old.target_files():
            new_file = self.new_files.get(old_file.name)
            if new_file is None:
                self.add(
                    Kind.BREAKING,
                    "file",
                    "removed",
                    old_file.name,
                    f"file {old_file.name} was deleted",
                    rule="FILE_NO_DELETE",
                    path=self.prefix + old_file.name,
                )
                continue
            self.file(old_file, new_file)
        old_names = {f.name for f in self.old.target_files()}
        for name in self.new_files:
            if name not in old_names:
                self.add(Kind.ADDITIVE, "file", "added", name, f"new file {name}", at=(name,))

    def file(self, old: d.FileDescriptorProto, new: d.FileDescriptorProto) -> None:
        if old.package != new.package:
            self.add(
                Kind.BREAKING,
                "file",
                "changed",
                new.name,
                f"package changed from {old.package} to {new.package}",
                rule="FILE_SAME_PACKAGE",
                at=(new.name,),
            )
        pkg = f"{new.package}." if new.package else ""
        old_msgs = dict(_messages(old))
        new_msgs = dict(_messages(new))
        for name, msg in old_msgs.items():
            parent = name.rsplit(".", 1)[0]
            if name not in new_msgs:
                moved = self.new_messages.get(name)
                self.add(
                    Kind.BREAKING,
                    "message",
                    "moved" if moved else "removed",
                    name,
                    f"message {name} was moved to {moved}"
                    if moved
                    else f"message {name} was deleted",
                    rule="MESSAGE_NO_DELETE",
                    at=(parent, new.name),
                )
                continue
            self.message(name, msg, new_msgs[name])
        for name in new_msgs:
            if name not in old_msgs:
                self.add(Kind.ADDITIVE, "message", "added", name, f"new message {name}", at=(name,))
        old_enums = dict(_enums(old))
        new_enums = dict(_enums(new))
        for name, enum in old_enums.items():
            if name not in new_enums:
                self.add(
                    Kind.BREAKING,
                    "enum",
                    "removed",
                    name,
                    f"enum {name} was deleted",
                    rule="ENUM_NO_DELETE",
                    at=(name.rsplit(".", 1)[0], new.name),
                )
                continue
            self.enum(name, enum, new_enums[name])
        for name in new_enums:
            if name not in old_enums:
                self.add(Kind.ADDITIVE, "enum", "added", name, f"new enum {name}", at=(name,))
        new_services = {pkg + s.name: s for s in new.service}
        old_services = (
            {pkg + s.name: s for s in old.service}
            if old.package == new.package
            else {(f"{old.package}." if old.package else "") + s.name: s for s in old.service}
        )
        for name, svc in old_services.items():
            if name not in new_services:
                self.add(
                    Kind.BREAKING,
                    "service",
                    "removed",
                    name,
                    f"service {name} was deleted",
                    rule="SERVICE_NO_DELETE",
                    at=(new.name,),
                )
                continue
            self.service(name, svc, new_services[name])
        for name in new_services:
            if name not in old_services:
                self.add(Kind.ADDITIVE, "service", "added", name, f"new service {name}", at=(name,))

    def message(self, name: str, old: d.DescriptorProto, new: d.DescriptorProto) -> None:
        self.comment("message", name)
        _deprecation(self, "message", name, old.options.deprecated, new.options.deprecated)
        old_fields = {f.number: f for f in old.field}
        new_fields = {f.number: f for f in new.field}
        new_by_name = {f.name: f for f in new.field}
        reserved_numbers = [(r.start, r.end) for r in new.reserved_range]
        for number, field in old_fields.items():
            full = f"{name}.{field.name}"
            if number not in new_fields:
                renumbered = new_by_name.get(field.name)
                lines = []
                if not any(s <= number < e for s, e in reserved_numbers):
                    lines.append(f"reserved {number};")
                if field.name not in new.reserved_name and renumbered is None:
                    lines.append(f'reserved "{field.name}";')
                detail = (
                    f"field {full} changed number from {number} to {renumbered.number}"
                    if renumbered
                    else f"field {full} ({number}) was deleted"
                )
                fix = f"add to message {name}: {' '.join(lines)}" if lines else None
                self.add(
                    Kind.BREAKING,
                    "field",
                    "removed",
                    full,
                    detail,
                    rule="FIELD_NO_DELETE",
                    fix=fix,
                    at=(name,),
                )
                continue
            self.field(name, field, new_fields[number], old, new)
        for number, field in new_fields.items():
            if number not in old_fields:
                full = f"{name}.{field.name}"
                self.add(
                    Kind.ADDITIVE,
                    "field",
                    "added",
                    full,
                    f"new field {full} ({number}, {_type(field)})",
                    at=(full,),
                )
        old_reserved = {n for r in old.reserved_range for n in range(r.start, r.end)}
        new_reserved = {n for r in new.reserved_range for n in range(r.start, r.end)}
        missing = [str(n) for n in sorted(old_reserved - new_reserved)]
        missing += [f'"{n}"' for n in sorted(set(old.reserved_name) - set(new.reserved_name))]
        if missing:
            self.add(
                Kind.BREAKING,
                "message",
                "changed",
                name,
                f"message {name} no longer reserves {', '.join(missing)}",
                rule="RESERVED_MESSAGE_NO_DELETE",
                at=(name,),
            )

    def field(
        self,
        scope: str,
        old: d.FieldDescriptorProto,
        new: d.FieldDescriptorProto,
        old_msg: d.DescriptorProto,
        new_msg: d.DescriptorProto,
    ) -> None:
        full = f"{scope}.{new.name}"
        at = (full, scope)
        if old.name != new.name:
            self.add(
                Kind.BREAKING,
                "field",
                "changed",
                full,
                f"field {scope}.{old.name} ({new.number}) was renamed to {new.name}",
                rule="FIELD_SAME_NAME",
                at=at,
            )
        if _type(old) != _type(new):
            self.add(
                Kind.BREAKING,
                "field",
                "changed",
                full,
                f"field {full} ({new.number}) changed type from {_type(old)} to {_type(new)}",
                rule="FIELD_SAME_TYPE",
                at=at,
            )
        if _cardinality(old) != _cardinality(new):
            self.add(
                Kind.BREAKING,
                "field",
                "changed",
                full,
                f"field {full} ({new.number}) changed from {_cardinality(old)} to "
                f"{_cardinality(new)}",
                rule="FIELD_SAME_CARDINALITY",
                at=at,
            )
        if _json_name(old) != _json_name(new):
            self.add(
                Kind.BREAKING,
                "field",
                "changed",
                full,
                f"field {full} ({new.number}) changed JSON name from {_json_name(old)!r} "
                f"to {_json_name(new)!r}",
                rule="FIELD_SAME_JSON_NAME",
                at=at,
            )
        old_oneof, new_oneof = _oneof(old, old_msg), _oneof(new, new_msg)
        if old_oneof != new_oneof:
            self.add(
                Kind.BREAKING,
                "field",
                "changed",
                full,
                f"field {full} ({new.number}) moved from oneof {old_oneof or '(none)'} to "
                f"{new_oneof or '(none)'}",
                rule="FIELD_SAME_ONEOF",
                at=at,
            )
        _deprecation(self, "field", full, old.options.deprecated, new.options.deprecated)
        if old.name == new.name:
            self.comment("field", full)

    def enum(self, name: str, old: d.EnumDescriptorProto, new: d.EnumDescriptorProto) -> None:
        self.comment("enum", name)
        _deprecation(self, "enum", name, old.options.deprecated, new.options.deprecated)
        old_values = {v.number: v for v in old.value}
        new_values = {v.number: v for v in new.value}
        for number, value in old_values.items():
            full = f"{name}.{value.name}"
            if number not in new_values:
                lines = []
                if not any(r.start <= number <= r.end for r in new.reserved_range):
                    lines.append(f"reserved {number};")
                if value.name not in new.reserved_name:
                    lines.append(f'reserved "{value.name}";')
                self.add(
                    Kind.BREAKING,
                    "enum value",
                    "removed",
                    full,
                    f"enum value {full} ({number}) was deleted",
                    rule="ENUM_VALUE_NO_DELETE",
                    fix=f"add to enum {name}: {' '.join(lines)}" if lines else None,
                    at=(name,),
                )
                continue
            new_value = new_values[number]
            new_full = f"{name}.{new_value.name}"
            if new_value.name != value.name:
                self.add(
                    Kind.BREAKING,
                    "enum value",
                    "changed",
                    new_full,
                    f"enum value {full} ({number}) was renamed to {new_value.name}",
                    rule="ENUM_VALUE_SAME_NAME",
                    at=(new_full, name),
                )
            else:
                self.comment("enum value", full)
            _deprecation(
                self, "enum value", new_full, value.options.deprecated, new_value.options.deprecated
            )
        for number, value in new_values.items():
            if number not in old_values:
                full = f"{name}.{value.name}"
                self.add(
                    Kind.ADDITIVE,
                    "enum value",
                    "added",
                    full,
                    f"new enum value {full} ({number})",
                    at=(full,),
                )
        old_reserved = {(r.start, r.end) for r in old.reserved_range}
        if old_reserved - {(r.start, r.end) for r in new.reserved_range}:
            self.add(
                Kind.BREAKING,
                "enum",
                "changed",
                name,
                f"enum {name} lost reserved values",
                rule="RESERVED_ENUM_NO_DELETE",
                at=(name,),
            )

    def service(
        self, name: str, old: d.ServiceDescriptorProto, new: d.ServiceDescriptorProto
    ) -> None:
        self.comment("service", name)
        _deprecation(self, "service", name, old.options.deprecated, new.options.deprecated)
        old_rpcs = {m.name: m for m in old.method}
        new_rpcs = {m.name: m for m in new.method}
        for rpc_name, rpc in old_rpcs.items():
            full = f"{name}.{rpc_name}"
            if rpc_name not in new_rpcs:
                self.add(
                    Kind.BREAKING,
                    "rpc",
                    "removed",
                    full,
                    f"RPC {full} was deleted",
                    rule="RPC_NO_DELETE",
                    at=(name,),
                )
                continue
            now = new_rpcs[rpc_name]
            at = (full, name)
            checks = [
                (
                    "RPC_SAME_REQUEST_TYPE",
                    "request type",
                    rpc.input_type.lstrip("."),
                    now.input_type.lstrip("."),
                ),
                (
                    "RPC_SAME_RESPONSE_TYPE",
                    "response type",
                    rpc.output_type.lstrip("."),
                    now.output_type.lstrip("."),
                ),
                (
                    "RPC_SAME_CLIENT_STREAMING",
                    "client streaming",
                    _streaming(rpc.client_streaming),
                    _streaming(now.client_streaming),
                ),
                (
                    "RPC_SAME_SERVER_STREAMING",
                    "server streaming",
                    _streaming(rpc.server_streaming),
                    _streaming(now.server_streaming),
                ),
                (
                    "RPC_SAME_IDEMPOTENCY_LEVEL",
                    "idempotency level",
                    str(rpc.options.idempotency_level),
                    str(now.options.idempotency_level),
                ),
            ]
            for rule, what, before, after in checks:
                if before != after:
                    self.add(
                        Kind.BREAKING,
                        "rpc",
                        "changed",
                        full,
                        f"RPC {full} changed {what} from {before} to {after}",
                        rule=rule,
                        at=at,
                    )
            _deprecation(self, "rpc", full, rpc.options.deprecated, now.options.deprecated)
            self.comment("rpc", full)
        for rpc_name in new_rpcs:
            if rpc_name not in old_rpcs:
                full = f"{name}.{rpc_name}"
                self.add(Kind.ADDITIVE, "rpc", "added", full, f"new RPC {full}", at=(full,))


def _deprecation(differ: _Differ, element: str, name: str, before: bool, after: bool) -> None:
    if after and not before:
        differ.add(
            Kind.ADDITIVE,
            element,
            "deprecated",
            name,
            f"{element} {name} is deprecated",
            at=(name,),
        )
    elif before and not after:
        differ.add(
            Kind.ADDITIVE,
            element,
            "undeprecated",
            name,
            f"{element} {name} is no longer deprecated",
            at=(name,),
        )


def _messages(file: d.FileDescriptorProto) -> list[tuple[str, d.DescriptorProto]]:
    out: list[tuple[str, d.DescriptorProto]] = []

    def walk(prefix: str, msgs: list[d.DescriptorProto]) -> None:
        for msg in msgs:
            if msg.options.map_entry:
                continue
            name = f"{prefix}{msg.name}"
            out.append((name, msg))
            walk(name + ".", list(msg.nested_type))

    walk(f"{file.package}." if file.package else "", list(file.message_type))
    return out


def _enums(file: d.FileDescriptorProto) -> list[tuple[str, d.EnumDescriptorProto]]:
    prefix = f"{file.package}." if file.package else ""
    out = [(prefix + e.name, e) for e in file.enum_type]
    for name, msg in _messages(file):
        out.extend((f"{name}.{e.name}", e) for e in msg.enum_type)
    return out


_SCALARS = {value: name.removeprefix("TYPE_").lower() for name, value in F.Type.items()}


def _type(field: d.FieldDescriptorProto) -> str:
    if field.type in (F.TYPE_MESSAGE, F.TYPE_ENUM, F.TYPE_GROUP):
        return field.type_name.lstrip(".")
    return _SCALARS.get(field.type, str(field.type))


def _cardinality(field: d.FieldDescriptorProto) -> str:
    if field.label == F.LABEL_REPEATED:
        return "repeated"
    if field.label == F.LABEL_REQUIRED:
        return "required"
    if field.proto3_optional:
        return "optional with explicit presence"
    return "singular"


def _oneof(field: d.FieldDescriptorProto, msg: d.DescriptorProto) -> str | None:
    if not field.HasField("oneof_index") or field.proto3_optional:
        return None
    return msg.oneof_decl[field.oneof_index].name


def _json_name(field: d.FieldDescriptorProto) -> str:
    if field.json_name:
        return field.json_name
    head, *rest = field.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _streaming(flag: bool) -> str:
    return "streaming" if flag else "unary"


def render_text(diff: ApiDiff) -> str:
    lines = [f"API changes against {diff.against}:"]
    if not diff.changes:
        lines.append("  none")
    for c in diff.changes:
        where = f"{c.path}:{c.line}:{c.column}" if c.line else c.path
        rule = f" [{c.rule}]" if c.rule else ""
        lines.append(f"  {c.kind.value:<9} {c.action:<15} {c.detail}{rule}  ({where})")
        if c.fix:
            lines.append(f"            fix: {c.fix}")
    if diff.latest_release is None:
        lines.append(f"implied bump: {diff.bump} (no release frozen yet)")
    elif diff.next_version is None:
        lines.append(f"implied bump: none — nothing to release since {diff.latest_release}")
    else:
        lines.append(
            f"implied bump: {diff.bump} — next version {diff.next_version} "
            f"(latest release {diff.latest_release})"
        )
    return "\n".join(lines) + "\n"


def render_json(diff: ApiDiff) -> str:
    data = {
        "against": diff.against,
        "breaking": diff.breaking,
        "bump": diff.bump,
        "latest_release": diff.latest_release,
        "next_version": diff.next_version,
        "changes": [asdict(c) for c in diff.changes],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
