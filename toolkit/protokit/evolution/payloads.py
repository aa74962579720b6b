"""Payloads as value trees, and where two readings of one payload differ.

A tree is ``{field number: value}`` of the fields a message holds: nested messages as trees,
maps as sorted (key, value) pairs, strings as UTF-8 bytes (the wire cannot tell them apart),
enums as numbers. The fixture checks (``compat``) compare the tree the writer's schema reads
with the one the reader's schema reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from google.protobuf import message
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.unknown_fields import UnknownFieldSet

from protokit.core.descriptors import scalar_name


def tree(msg: message.Message) -> dict[int, Any]:
    """Known fields as ``{number: value}``: nested messages as trees, maps as sorted pairs,
    strings as UTF-8 bytes (the wire cannot tell them apart), enums as numbers."""
    out: dict[int, Any] = {}
    for fd, value in set_fields(msg):
        out[fd.number] = _value(fd, value)
    return out


def _value(fd: Any, value: Any) -> Any:
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        if fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            pairs = [(_scalar(k), _single(value_fd, v)) for k, v in value.items()]
            return sorted(pairs, key=repr)
        if fd.is_repeated:
            return [tree(v) for v in value]
        return tree(value)
    if fd.is_repeated:
        return [_scalar(v) for v in value]
    return _scalar(value)


def _single(fd: Any, value: Any) -> Any:
    return tree(value) if fd.type == FieldDescriptor.TYPE_MESSAGE else _scalar(value)


def _scalar(value: Any) -> Any:
    return value.encode("utf-8") if isinstance(value, str) else value


def diff_trees(
    old: dict[int, Any],
    new: dict[int, Any],
    old_desc: Any,
    new_desc: Any,
) -> Iterator[tuple[Any, Any, Any, Any]]:
    """Fields both schemas declare whose values differ, innermost field first."""
    for number in sorted(set(old) | set(new)):
        w_field = old_desc.fields_by_number.get(number)
        r_field = new_desc.fields_by_number.get(number)
        if w_field is None or r_field is None:
            continue
        a, b = old.get(number), new.get(number)
        if a == b or (_unset_or_default(a, w_field) and _unset_or_default(b, r_field)):
            continue  # equal, or only presence differs (`double x` and `optional double x`)
        both_messages = (
            w_field.type == FieldDescriptor.TYPE_MESSAGE
            and r_field.type == FieldDescriptor.TYPE_MESSAGE
            and not r_field.message_type.GetOptions().map_entry
            and not w_field.message_type.GetOptions().map_entry
        )
        if _both_maps(w_field, r_field) and isinstance(a, list) and isinstance(b, list):
            old_map, new_map = dict(a), dict(b)
            w_value = w_field.message_type.fields_by_name["value"]
            r_value = r_field.message_type.fields_by_name["value"]
            if old_map.keys() == new_map.keys() and w_value.message_type and r_value.message_type:
                for key in old_map:  # message values: compare field by field, as elsewhere
                    yield from diff_trees(
                        old_map[key], new_map[key], w_value.message_type, r_value.message_type
                    )
                continue
        if both_messages and isinstance(a, dict) and isinstance(b, dict):
            yield from diff_trees(a, b, w_field.message_type, r_field.message_type)
            continue
        if (
            both_messages
            and isinstance(a, list)
            and isinstance(b, list)
            and len(a) == len(b)
            and all(isinstance(x, dict) for x in [*a, *b])
        ):
            for x, y in zip(a, b, strict=True):
                yield from diff_trees(x, y, w_field.message_type, r_field.message_type)
            continue
        yield w_field, r_field, a, b


def _both_maps(w_field: Any, r_field: Any) -> bool:
    return all(
        f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type.GetOptions().map_entry
        for f in (w_field, r_field)
    )


def _unset_or_default(value: Any, fd: Any) -> bool:
    if value is None:
        return True
    if fd.is_repeated or fd.type == FieldDescriptor.TYPE_MESSAGE:
        return False
    return bool(value == _scalar(fd.default_value))


def unknown_fields(msg: message.Message) -> Iterator[tuple[Any, int, int]]:
    """(declaring message, number, wire type) of every unknown field, nested ones included."""
    for item in UnknownFieldSet(msg):  # type: ignore[attr-defined]
        yield msg.DESCRIPTOR, item.field_number, item.wire_type
    for fd, value in set_fields(msg):
        if fd.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        if fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            if value_fd.type == FieldDescriptor.TYPE_MESSAGE:
                for v in value.values():
                    yield from unknown_fields(v)
        elif fd.is_repeated:
            for v in value:
                yield from unknown_fields(v)
        else:
            yield from unknown_fields(value)


def type_name(fd: Any) -> str:
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        return str(fd.message_type.full_name)
    if fd.type == FieldDescriptor.TYPE_ENUM:
        return str(fd.enum_type.full_name)
    return scalar_name(fd.type)


def show(value: Any) -> str:
    if isinstance(value, bytes):
        with contextlib.suppress(UnicodeDecodeError):
            value = value.decode("utf-8")
    text = "unset" if value is None else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def set_fields(msg: message.Message) -> list[tuple[Any, Any]]:
    """Set fields; typed loosely because protobuf's stubs mark every nested type optional."""
    return list(msg.ListFields())
