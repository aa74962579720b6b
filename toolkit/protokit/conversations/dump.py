"""Writing a conversation back: the canonical text ``protokit record`` writes and diffs.

A single-call conversation keeps the one-call form (``"rpc"`` at the top); a multi-call one
writes ``"calls"`` and names the call of every step. Messages are proto3 JSON with map entries
sorted by key, two-space indent, so a re-recording diffs only where behaviour changed.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import any_pb2, json_format, message

from protokit.conversations.model import Call, Conversation

__all__ = ["dump_conversation"]


def dump_conversation(conversation: Conversation) -> str:
    """The canonical text of a conversation."""
    exchange: list[dict[str, Any]] = []
    for step in conversation.exchange:
        item: dict[str, Any] = {"call": step.call} if conversation.multi else {}
        item[step.kind.value] = True if step.message is None else _canonical(step.message)
        exchange.append(item)
    data: dict[str, Any] = {}
    if not conversation.multi:
        data["rpc"] = conversation.rpc
    if conversation.description:
        data["description"] = conversation.description
    timeout = conversation.timeout
    data["timeout_seconds"] = int(timeout) if timeout.is_integer() else timeout
    if conversation.multi:
        data["calls"] = {c.name: {"rpc": c.rpc, **_call(c)} for c in conversation.calls}
        data["exchange"] = exchange
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    call = _call(conversation.first)
    if "request_metadata" in call:
        data["request_metadata"] = call.pop("request_metadata")
    data["exchange"] = exchange
    data.update(call)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _call(call: Call) -> dict[str, Any]:
    """A call's declaration: request metadata, status, response keys, matchers."""
    data: dict[str, Any] = {}
    if call.request_metadata:
        data["request_metadata"] = dict(call.request_metadata)
    status: dict[str, Any] = {"code": call.status.code.name}
    if call.status.message:
        status["message"] = call.status.message
    if call.status.details:
        status["details"] = [_camel_detail(d) for d in call.status.details]
    data["status"] = status
    if call.response_metadata_keys:
        data["response_metadata_keys"] = list(call.response_metadata_keys)
    if call.matchers:
        data["matchers"] = [m.to_json() for m in call.matchers]
    return data


def _canonical(msg: message.Message) -> dict[str, Any]:
    """proto3 JSON with map entries sorted by key, so a re-recording diffs only real changes."""
    data: dict[str, Any] = json_format.MessageToDict(msg)
    _sort_maps(data, msg.DESCRIPTOR)
    return data


def _sort_maps(data: Any, descriptor: Any) -> Any:
    if not isinstance(data, dict) or descriptor is None:
        return data
    for field in descriptor.fields:
        if field.json_name not in data or field.message_type is None:
            continue
        value = data[field.json_name]
        if field.message_type.GetOptions().map_entry:
            value_type = field.message_type.fields_by_name["value"].message_type
            data[field.json_name] = {k: _sort_maps(value[k], value_type) for k in sorted(value)}
        elif isinstance(value, list):
            data[field.json_name] = [_sort_maps(v, field.message_type) for v in value]
        else:
            data[field.json_name] = _sort_maps(value, field.message_type)
    return data


def _camel_detail(detail: dict[str, Any]) -> dict[str, Any]:
    parsed = json_format.ParseDict(detail, any_pb2.Any())
    result: dict[str, Any] = json_format.MessageToDict(parsed)
    return result
