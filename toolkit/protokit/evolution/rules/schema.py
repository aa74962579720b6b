"""One side of a comparison: an image's own files indexed by full name, and the field facts the
rules compare (type, cardinality with presence, oneof, JSON name)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import Image, scalar_name, walk_enums, walk_messages
from protokit.core.sourcemap import SourceMap
from protokit.evolution.rules import Pair, Violation

F = d.FieldDescriptorProto


@dataclass
class Schema:
    """Messages (map entries included), enums, services and extensions of the image's own
    files."""

    image: Image
    files: dict[str, d.FileDescriptorProto] = field(default_factory=dict)
    messages: dict[str, d.DescriptorProto] = field(default_factory=dict)
    enums: dict[str, d.EnumDescriptorProto] = field(default_factory=dict)
    services: dict[str, d.ServiceDescriptorProto] = field(default_factory=dict)
    extensions: dict[str, d.FieldDescriptorProto] = field(default_factory=dict)
    file_of: dict[str, str] = field(default_factory=dict)  # element full name -> file name
    declared: dict[str, set[str]] = field(default_factory=dict)  # file -> full names in it
    sources: SourceMap = field(init=False)

    def __post_init__(self) -> None:
        self.sources = SourceMap(self.image)
        for file in self.image.target_files():
            self.files[file.name] = file
            names = self.declared.setdefault(file.name, set())
            prefix = f"{file.package}." if file.package else ""
            extensions = [(prefix + ext.name, ext) for ext in file.extension]
            for msg in walk_messages(file):
                self.messages[msg.full_name] = msg.message
                names.add(msg.full_name)
                nested = msg.message.extension
                extensions += [(f"{msg.full_name}.{ext.name}", ext) for ext in nested]
            for name, ext in extensions:
                self.extensions[name] = ext
                names.add(name)
            for enum in walk_enums(file):
                self.enums[enum.full_name] = enum.enum
                names.add(enum.full_name)
            for svc in file.service:
                self.services[prefix + svc.name] = svc
                names.add(prefix + svc.name)
            for name in names:
                self.file_of[name] = file.name

    def syntax(self, full_name: str) -> str:
        file = self.files.get(self.file_of.get(full_name, ""))
        return (file.syntax or "proto2") if file is not None else "proto3"

    def json_allowed(self, full_name: str) -> bool | None:
        """Whether the file declaring ``full_name`` gives its messages and enums full JSON
        support (proto3) or only legacy best effort (proto2); None for an editions file, whose
        resolved ``json_format`` feature is not read here."""
        syntax = self.syntax(full_name)
        return None if syntax == "editions" else syntax == "proto3"

    def package(self, file: str) -> str:
        return self.files[file].package if file in self.files else ""

    def is_map_entry(self, type_name: str) -> bool:
        msg = self.messages.get(type_name.lstrip("."))
        return msg is not None and msg.options.map_entry


def type_of(f: d.FieldDescriptorProto) -> str:
    if f.type in (F.TYPE_MESSAGE, F.TYPE_ENUM, F.TYPE_GROUP):
        return f.type_name.lstrip(".")
    return scalar_name(f.type)


def has_presence(f: d.FieldDescriptorProto, syntax: str) -> bool:
    if f.label == F.LABEL_REPEATED:
        return False
    if f.type in (F.TYPE_MESSAGE, F.TYPE_GROUP) or f.HasField("oneof_index"):
        return True
    if syntax == "editions":
        return f.options.features.field_presence != d.FeatureSet.IMPLICIT
    return syntax == "proto2" or f.proto3_optional


def cardinality(f: d.FieldDescriptorProto, schema: Schema, scope: str) -> str:
    """``map``, ``repeated``, ``required``, ``optional`` (explicit presence) or ``singular``
    (implicit presence), as buf's cardinality rules tell them apart."""
    if f.label == F.LABEL_REPEATED:
        return "map" if schema.is_map_entry(f.type_name) else "repeated"
    if f.label == F.LABEL_REQUIRED:
        return "required"
    return "optional" if has_presence(f, schema.syntax(scope)) else "singular"


def oneof_of(f: d.FieldDescriptorProto, msg: d.DescriptorProto) -> str | None:
    """The real oneof a field belongs to (not the synthetic one of a proto3 ``optional``)."""
    if not f.HasField("oneof_index") or f.proto3_optional:
        return None
    return msg.oneof_decl[f.oneof_index].name


def json_name(f: d.FieldDescriptorProto) -> str:
    if f.json_name:
        return f.json_name
    head, *rest = f.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def real_oneofs(msg: d.DescriptorProto) -> set[str]:
    synthetic = {f.oneof_index for f in msg.field if f.proto3_optional}
    return {o.name for i, o in enumerate(msg.oneof_decl) if i not in synthetic}


def lost_numbers(old: object, new: object, inclusive: bool) -> list[tuple[int, int]]:
    """The numbers the ranges ``old`` cover and ``new`` do not, as ``(first, last)`` runs in
    order (message reserved and extension ranges end exclusive, enum ranges inclusive). Ranges,
    not numbers: ``reserved 100 to max`` is half a billion numbers."""

    def spans(ranges: object) -> list[tuple[int, int]]:
        found = [(r.start, r.end if inclusive else r.end - 1) for r in ranges]  # type: ignore[attr-defined]
        return sorted(s for s in found if s[0] <= s[1])

    kept = spans(new)
    lost: list[tuple[int, int]] = []
    for first, last in spans(old):
        at = first
        for start, end in kept:
            if end < at or start > last:
                continue
            if start > at:
                lost.append((at, start - 1))
            at = max(at, end + 1)
            if at > last:
                break
        if at <= last:
            lost.append((at, last))
    return lost


def shown_numbers(runs: list[tuple[int, int]], names: list[str] | None = None) -> str:
    """``runs`` of numbers (``3``, ``5 to 9``) and quoted ``names``, the first ten of them."""
    shown = [str(a) if a == b else f"{a} to {b}" for a, b in runs]
    shown += [f'"{n}"' for n in names or []]
    return ", ".join(shown[:10]) + (", ..." if len(shown) > 10 else "")


def is_reserved(number: int, ranges: object, inclusive: bool) -> bool:
    return any(
        r.start <= number <= r.end if inclusive else r.start <= number < r.end
        for r in ranges  # type: ignore[attr-defined]
    )


def lost_json_support(kind: str) -> Callable[[Pair], Iterator[Violation]]:
    """The check of ``kind`` elements (messages, enums) whose file went from full JSON support
    to legacy best effort (``Schema.json_allowed``); gaining support breaks nothing."""

    def check(p: Pair) -> Iterator[Violation]:
        if p.before.json_allowed(p.name) and p.after.json_allowed(p.name) is False:
            yield Violation(
                kind,
                "changed",
                p.name,
                f"{kind} {p.name} lost full JSON support (its file went from proto3 to proto2)",
                at=(p.name,),
            )

    return check
