"""Golden compatibility fixtures: deterministic sample payloads for every message of a module.

Everything is derived from a descriptor image through dynamic messages (a private descriptor pool
and ``message_factory.GetMessageClass``), so fixtures can be made for any release in history
without generated code. Values are a pure function of the descriptors: no randomness, no clock.

Each message gets a few cases:

- ``values``: every field set to an ordinary value that differs from field to field (signed
  integers negative, enums a non-zero value, nested messages filled recursively up to
  ``MAX_DEPTH``, repeated fields and maps with several entries, the first branch of each oneof);
- ``limits``: the same shape with edge values (minimum signed, maximum unsigned, largest finite
  floats, infinities in repeated floats, non-ASCII strings, bytes that are not UTF-8);
- ``oneof-<field>``: ``values`` with another branch of a oneof chosen, one case per branch;
- ``presence``: fields with explicit presence (proto3 ``optional``) set to their zero value,
  which the wire keeps.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf import descriptor_pool, json_format, message, message_factory
from google.protobuf.descriptor import FieldDescriptor

from protokit.core.descriptors import Image, walk_messages
from protokit.core.errors import ProtokitError

MAX_DEPTH = 3
"""How many message levels below the fixture's own message are filled (bounds recursion)."""

BINARY_SUFFIX = ".binpb"
JSON_SUFFIX = ".json"

_INT32 = (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32)
_INT64 = (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64)
_UINT32 = (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32)
_UINT64 = (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64)
_FLOAT_MAX = 3.4e38  # near float32 max; proto3 JSON refuses the exact maximum
_DOUBLE_MAX = 1.7976931348623157e308
_LIMIT_TEXT = 'ünïcødé ✓ 🚀 "quoted" \\ back\nslash'

# Well-known types whose JSON form constrains their values (RFC 3339 range, nanos range).
_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"
_FIELD_MASK = "google.protobuf.FieldMask"
_ANY = "google.protobuf.Any"
_STRUCT = "google.protobuf.Struct"
_VALUE = "google.protobuf.Value"
_LIST_VALUE = "google.protobuf.ListValue"


@dataclass(frozen=True)
class Fixture:
    """One sample payload of one message, in binary wire form and in proto3 JSON."""

    message: str
    case: str
    binary: bytes
    json: str

    @property
    def stem(self) -> str:
        return f"{self.message}/{self.case}"


class DynamicSchema:
    """Message classes for one image, from a private descriptor pool (never the default pool)."""

    def __init__(self, image: Image) -> None:
        self.image = image
        self.pool = descriptor_pool.DescriptorPool()
        for file in image.files:
            try:
                self.pool.Add(file)
            except Exception as exc:  # protobuf raises TypeError/KeyError on inconsistent sets
                raise ProtokitError(
                    f"descriptor image is not self-contained or consistent at {file.name}: {exc}"
                ) from exc
        self._classes: dict[str, type[message.Message]] = {}

    def has_message(self, full_name: str) -> bool:
        try:
            self.pool.FindMessageTypeByName(full_name)
        except KeyError:
            return False
        return True

    def descriptor(self, full_name: str) -> Any:
        return self.pool.FindMessageTypeByName(full_name)

    def message_class(self, full_name: str) -> type[message.Message]:
        cls = self._classes.get(full_name)
        if cls is None:
            cls = message_factory.GetMessageClass(self.descriptor(full_name))
            self._classes[full_name] = cls
        return cls

    def messages(self) -> list[str]:
        """Full names of the image's own messages (nested included, map entries excluded)."""
        return sorted(
            msg.full_name
            for file in self.image.target_files()
            for msg in walk_messages(file)
            if not msg.is_map_entry
        )


def make_fixtures(image: Image) -> list[Fixture]:
    """Every case of every message of ``image``, sorted by message then case."""
    if not image.targets:
        return []  # no messages of its own: no descriptor pool to build
    schema = DynamicSchema(image)
    fixtures: list[Fixture] = []
    for name in schema.messages():
        fixtures.extend(message_fixtures(schema, name))
    return fixtures


M = TypeVar("M", bound=message.Message)


def sample(cls: type[M]) -> M:
    """The ``values`` fixture of a message class (every field set, deterministically): the
    sample request the scaffolded starter tests send."""
    return _filled(cls, cls.DESCRIPTOR, _Plan(limits=False), depth=0)  # type: ignore[return-value]


def message_fixtures(schema: DynamicSchema, full_name: str) -> list[Fixture]:
    desc = schema.descriptor(full_name)
    cls = schema.message_class(full_name)
    cases: dict[str, message.Message] = {}
    cases["values"] = _filled(cls, desc, _Plan(limits=False), depth=0)
    cases["limits"] = _filled(cls, desc, _Plan(limits=True), depth=0)
    for oneof in desc.oneofs:
        if _is_synthetic(oneof):
            continue
        for branch in oneof.fields[1:]:
            plan = _Plan(limits=False, branches={oneof.full_name: branch.name})
            cases[f"oneof-{branch.name}"] = _filled(cls, desc, plan, depth=0)
    presence = [f for f in desc.fields if _has_explicit_presence(f)]
    if presence:
        msg = cls()
        for field in presence:
            setattr(msg, field.name, field.default_value)
        cases["presence"] = msg
    return [
        Fixture(full_name, case, msg.SerializeToString(deterministic=True), to_json(msg))
        for case, msg in sorted(cases.items())
    ]


def to_json(msg: message.Message) -> str:
    """Canonical proto3 JSON: lowerCamel names, sorted keys, two-space indent, final newline."""
    pool: Any = msg.DESCRIPTOR.file.pool  # the private pool, so Any can be resolved
    data = json_format.MessageToDict(msg, preserving_proto_field_name=False, descriptor_pool=pool)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class _Plan:
    limits: bool
    branches: dict[str, str] | None = None

    def branch(self, oneof: Any) -> str:
        if self.branches and oneof.full_name in self.branches:
            return self.branches[oneof.full_name]
        return str(oneof.fields[0].name)


def _is_synthetic(oneof: Any) -> bool:
    """A proto3 ``optional`` field's one-member oneof, named ``_<field>`` by the compiler."""
    return len(oneof.fields) == 1 and oneof.name == "_" + oneof.fields[0].name


def _has_explicit_presence(field: Any) -> bool:
    """A singular scalar whose zero value is still written (proto3 ``optional``, proto2)."""
    if _is_repeated(field) or field.type == FieldDescriptor.TYPE_MESSAGE:
        return False
    oneof = field.containing_oneof
    if oneof is not None and not _is_synthetic(oneof):
        return False
    return bool(field.has_presence)


def _filled(cls: type[message.Message], desc: Any, plan: _Plan, depth: int) -> message.Message:
    msg = cls()
    _fill(msg, desc, plan, depth)
    return msg


def _fill(msg: message.Message, desc: Any, plan: _Plan, depth: int) -> None:
    special = _WELL_KNOWN.get(desc.full_name)
    if special is not None:
        special(msg, plan)
        return
    for field in desc.fields:
        oneof = field.containing_oneof
        if oneof is not None and not _is_synthetic(oneof) and plan.branch(oneof) != field.name:
            continue
        _set_field(msg, field, plan, depth)


def _set_field(msg: message.Message, field: Any, plan: _Plan, depth: int) -> None:
    # The depth bound applies to messages nested in messages; well-known types always fill.
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        nested = field.message_type
        if nested.GetOptions().map_entry:
            _fill_map(msg, field, plan, depth)
            return
        if depth >= MAX_DEPTH and nested.full_name not in _WELL_KNOWN:
            return
        if _is_repeated(field):
            container = getattr(msg, field.name)
            for _ in range(2 if depth == 0 else 1):
                _fill(container.add(), nested, plan, depth + 1)
            return
        _fill(getattr(msg, field.name), nested, plan, depth + 1)
        getattr(msg, field.name).SetInParent()
        return
    if _is_repeated(field):
        getattr(msg, field.name).extend(_scalar_series(field, plan))
        return
    setattr(msg, field.name, _scalar(field, plan))


def _fill_map(msg: message.Message, field: Any, plan: _Plan, depth: int) -> None:
    entry = field.message_type
    key_field = entry.fields_by_name["key"]
    value_field = entry.fields_by_name["value"]
    container = getattr(msg, field.name)
    keys = _map_keys(key_field, plan)
    for index, key in enumerate(keys):
        if value_field.type == FieldDescriptor.TYPE_MESSAGE:
            if depth >= MAX_DEPTH and value_field.message_type.full_name not in _WELL_KNOWN:
                return
            _fill(container[key], value_field.message_type, plan, depth + 1)
        else:
            series = _scalar_series(value_field, plan)
            container[key] = series[index % len(series)]


def _map_keys(key_field: Any, plan: _Plan) -> list[Any]:
    if key_field.type == FieldDescriptor.TYPE_BOOL:
        return [True, False]
    if key_field.type == FieldDescriptor.TYPE_STRING:
        return ["alpha", _LIMIT_TEXT if plan.limits else "beta"]
    return sorted(set(_scalar_series(key_field, plan)))[:2]


def _is_repeated(field: Any) -> bool:
    return bool(field.is_repeated)


def _scalar(field: Any, plan: _Plan) -> Any:
    """One value for a singular field; distinct per field number so swapped fields show."""
    n = field.number
    t = field.type
    if t in _INT32:
        return -(2**31) if plan.limits else -(1000 + n)
    if t in _INT64:
        return -(2**63) if plan.limits else -(100_000_000_000 + n)
    if t in _UINT32:
        return 2**32 - 1 if plan.limits else 1000 + n
    if t in _UINT64:
        return 2**64 - 1 if plan.limits else 100_000_000_000 + n
    if t == FieldDescriptor.TYPE_FLOAT:
        return _FLOAT_MAX if plan.limits else 1.5 + n
    if t == FieldDescriptor.TYPE_DOUBLE:
        return _DOUBLE_MAX if plan.limits else 2.25 + n
    if t == FieldDescriptor.TYPE_BOOL:
        return True
    if t == FieldDescriptor.TYPE_STRING:
        return _LIMIT_TEXT if plan.limits else f"{field.name}-{n}"
    if t == FieldDescriptor.TYPE_BYTES:
        return bytes(range(256)) if plan.limits else f"\x00{field.name}-{n}".encode()
    if t == FieldDescriptor.TYPE_ENUM:
        values = sorted(v.number for v in field.enum_type.values)
        nonzero = [v for v in values if v != 0] or values
        return nonzero[-1] if plan.limits else nonzero[0]
    raise ProtokitError(f"field {field.full_name} has a type protokit cannot sample ({t})")


def _scalar_series(field: Any, plan: _Plan) -> list[Any]:
    """Several values for a repeated field (or map values): ordinary, then both extremes."""
    t = field.type
    first = _scalar(field, _Plan(limits=False))
    if not plan.limits:
        if t == FieldDescriptor.TYPE_ENUM:
            values = sorted({v.number for v in field.enum_type.values if v.number != 0})
            return values[:3] or [0]
        if t == FieldDescriptor.TYPE_BOOL:
            return [True, False]
        second = _scalar(field, _Plan(limits=True))
        return [first, second]
    if t in _INT32:
        return [-(2**31), 2**31 - 1, 0]
    if t in _INT64:
        return [-(2**63), 2**63 - 1, 0]
    if t in _UINT32:
        return [0, 2**32 - 1]
    if t in _UINT64:
        return [0, 2**64 - 1]
    if t == FieldDescriptor.TYPE_FLOAT:
        return [-_FLOAT_MAX, math.inf, -math.inf, 1.401298464324817e-45]
    if t == FieldDescriptor.TYPE_DOUBLE:
        return [-_DOUBLE_MAX, math.inf, -math.inf, 5e-324]
    if t == FieldDescriptor.TYPE_ENUM:
        return sorted(v.number for v in field.enum_type.values)
    if t == FieldDescriptor.TYPE_BOOL:
        return [False, True]
    if t == FieldDescriptor.TYPE_STRING:
        return ["", _LIMIT_TEXT]
    if t == FieldDescriptor.TYPE_BYTES:
        return [b"", bytes(range(256))]
    return [first]


def _timestamp(msg: Any, plan: _Plan) -> None:
    # 9999-12-31T23:59:59.999999999Z is the latest instant proto3 JSON can write.
    msg.seconds, msg.nanos = (253402300799, 999999999) if plan.limits else (1700000000, 123456789)


def _duration(msg: Any, plan: _Plan) -> None:
    msg.seconds, msg.nanos = (-315576000000, -999999999) if plan.limits else (90, 500000000)


def _field_mask(msg: Any, plan: _Plan) -> None:
    msg.paths.extend(["display_name", "address.postal_code"] if plan.limits else ["name"])


def _any(msg: Any, plan: _Plan) -> None:
    # An Any needs a packed type the pool itself holds, or it has no JSON form.
    pool = msg.DESCRIPTOR.file.pool
    for name in (_DURATION, _TIMESTAMP):
        try:
            packed = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))()
        except KeyError:
            continue
        _WELL_KNOWN[name](packed, plan)
        msg.Pack(packed)
        return


def _struct(msg: Any, plan: _Plan) -> None:
    msg.fields["text"].string_value = _LIMIT_TEXT if plan.limits else "text"
    msg.fields["number"].number_value = -1.5
    msg.fields["flag"].bool_value = True
    msg.fields["nothing"].null_value = 0
    msg.fields["list"].list_value.values.add().string_value = "item"


def _value(msg: Any, plan: _Plan) -> None:
    msg.string_value = _LIMIT_TEXT if plan.limits else "value"


def _list_value(msg: Any, plan: _Plan) -> None:
    msg.values.add().string_value = "item"
    msg.values.add().number_value = 2.5


_WELL_KNOWN = {
    _TIMESTAMP: _timestamp,
    _DURATION: _duration,
    _FIELD_MASK: _field_mask,
    _ANY: _any,
    _STRUCT: _struct,
    _VALUE: _value,
    _LIST_VALUE: _list_value,
}
