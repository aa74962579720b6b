"""The conversation file: parsed and checked against a schema, and written back canonically.

One JSON object per case::

    {
      "rpc": "acme.user.v1.UserService/GetUser",
      "description": "an unknown id is NOT_FOUND",
      "timeout_seconds": 5,
      "request_metadata": {"x-tenant": "blue"},
      "exchange": [{"send": {...}}, {"receive": {...}}, {"close": true}],
      "status": {"code": "NOT_FOUND", "message": "...", "details": [{"@type": "...", ...}]},
      "response_metadata_keys": ["x-served-by"],
      "matchers": [{"path": "receive[*].updated_at", "match": "present"}]
    }

Messages are proto3 JSON of the RPC's request (``send``) and response (``receive``) types, in
the order they were seen; ``close`` is where the client half-closes (at the end when absent).
Anything that does not parse under the schema is one ``ProtokitError`` at the file and line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

import grpc
from google.protobuf import any_pb2, json_format, message
from google.rpc import error_details_pb2  # noqa: F401  (registers BadRequest & co. for details)

from protokit.conversations.credentials import literal_secret, redact
from protokit.conversations.matchers import Matcher, MatchKind, parse_path
from protokit.core.errors import ProtokitError
from protokit.evolution.fixtures import DynamicSchema
from protokit.gen.model import RpcKind

__all__ = [
    "MAX_BYTES",
    "Conversation",
    "ExpectedStatus",
    "Step",
    "StepKind",
    "dump_conversation",
    "load_conversation",
    "message_dict",
    "status_details",
]

MAX_BYTES = 1 << 20  # one MiB: a conversation is a specification, not a data dump
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 300.0
_KEYS = (
    "rpc",
    "description",
    "timeout_seconds",
    "request_metadata",
    "exchange",
    "status",
    "response_metadata_keys",
    "matchers",
)
_STEP_LINE = re.compile(r'^\s*"(send|receive|close|cancel)":')


_STEP_NAMES = ("send", "receive", "close", "cancel")


class StepKind(Enum):
    SEND = "send"
    RECEIVE = "receive"
    CLOSE = "close"  # the client half-closes
    CANCEL = "cancel"  # the client cancels the call (a stream it no longer wants)


@dataclass(frozen=True)
class Step:
    """One event of the exchange; ``number`` counts within its direction (send #1, receive #2)."""

    kind: StepKind
    number: int
    position: int  # index in the exchange list
    message: message.Message | None = None
    line: int = 0


@dataclass(frozen=True)
class ExpectedStatus:
    code: grpc.StatusCode
    message: str = ""
    details: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Conversation:
    path: str  # as given (relative to the workspace root in reports)
    service: str  # acme.user.v1.UserService
    method: str  # GetUser
    kind: RpcKind
    request_type: str
    response_type: str
    description: str
    timeout: float
    request_metadata: tuple[tuple[str, str], ...]
    exchange: tuple[Step, ...]
    status: ExpectedStatus
    response_metadata_keys: tuple[str, ...]
    matchers: tuple[Matcher, ...]

    @property
    def rpc(self) -> str:
        return f"{self.service}/{self.method}"

    @property
    def grpc_path(self) -> str:
        return f"/{self.service}/{self.method}"

    @property
    def sends(self) -> tuple[Step, ...]:
        return tuple(s for s in self.exchange if s.kind is StepKind.SEND)

    @property
    def receives(self) -> tuple[Step, ...]:
        return tuple(s for s in self.exchange if s.kind is StepKind.RECEIVE)


def message_dict(msg: message.Message) -> dict[str, Any]:
    """A message as the comparison sees it: proto3 JSON values under proto field names."""
    return json_format.MessageToDict(msg, preserving_proto_field_name=True)


def status_details(details: list[any_pb2.Any]) -> tuple[dict[str, Any], ...]:
    """``google.rpc.Status`` details as proto3 JSON (``@type`` and the fields)."""
    return tuple(json_format.MessageToDict(d, preserving_proto_field_name=True) for d in details)


class _Reader:
    """Parses one file, raising errors located at it (and at the step's line where known)."""

    def __init__(self, path: str, text: str, schema: DynamicSchema) -> None:
        self.path = path
        self.schema = schema
        self.step_lines = [
            i + 1 for i, line in enumerate(text.splitlines()) if _STEP_LINE.match(line)
        ]

    def error(self, message: str, line: int | None = None) -> ProtokitError:
        return ProtokitError(f"conversation: {message}", path=self.path, line=line or None)

    def parse(self, raw: Any) -> Conversation:
        if not isinstance(raw, dict):
            raise self.error("expected a JSON object", 1)
        unknown = sorted(set(raw) - set(_KEYS))
        if unknown:
            raise self.error(f"unknown key {unknown[0]!r} (expected: {', '.join(_KEYS)})", 1)
        rpc = raw.get("rpc")
        if not isinstance(rpc, str) or "/" not in rpc:
            raise self.error('"rpc" must name the RPC as "package.Service/Method"', 1)
        service_name, _, method_name = rpc.partition("/")
        try:
            service = self.schema.pool.FindServiceByName(service_name)
        except KeyError:
            raise self.error(f'unknown service {service_name!r} in "rpc"', 1) from None
        method = service.methods_by_name.get(method_name)
        if method is None:
            known = ", ".join(sorted(service.methods_by_name))
            raise self.error(f"{service_name} has no RPC {method_name!r} (it has: {known})", 1)
        kind = RpcKind.of(method.client_streaming, method.server_streaming)
        timeout = raw.get("timeout_seconds", DEFAULT_TIMEOUT)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool):
            raise self.error('"timeout_seconds" must be a number', 1)
        if not 0 < timeout <= MAX_TIMEOUT:
            raise self.error(f'"timeout_seconds" must be above 0 and at most {MAX_TIMEOUT:g}', 1)
        metadata = raw.get("request_metadata", {})
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise self.error('"request_metadata" must map names to strings', 1)
        for key, value in metadata.items():
            if literal_secret(key, value):
                raise self.error(
                    f'"request_metadata" {key!r} holds a credential; write it as a placeholder '
                    f"such as {redact(key, value)!r}, filled from the environment at replay",
                    1,
                )
        keys = raw.get("response_metadata_keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise self.error('"response_metadata_keys" must be a list of names', 1)
        exchange = self.exchange(raw.get("exchange"), method, kind)
        status = self.status(raw.get("status", {"code": "OK"}))
        if (
            any(s.kind is StepKind.CANCEL for s in exchange)
            and status.code is not grpc.StatusCode.CANCELLED
        ):
            raise self.error("a case that cancels ends with status CANCELLED", 1)
        if kind in (RpcKind.UNARY_UNARY, RpcKind.STREAM_UNARY):
            want = 1 if status.code is grpc.StatusCode.OK else 0
            got = sum(1 for s in exchange if s.kind is StepKind.RECEIVE)
            if got != want:
                raise self.error(
                    f"{rpc} answers with one message on OK and none otherwise; this case "
                    f"has status {status.code.name} and {got} receive step(s)",
                    1,
                )
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise self.error('"description" must be a string', 1)
        return Conversation(
            path=self.path,
            service=service_name,
            method=method_name,
            kind=kind,
            request_type=method.input_type.full_name,
            response_type=method.output_type.full_name,
            description=description,
            timeout=float(timeout),
            request_metadata=tuple(sorted(metadata.items())),
            exchange=exchange,
            status=status,
            response_metadata_keys=tuple(keys),
            matchers=self.matchers(raw.get("matchers", []), method.output_type),
        )

    def exchange(self, raw: Any, method: Any, kind: RpcKind) -> tuple[Step, ...]:
        if not isinstance(raw, list):
            raise self.error(
                '"exchange" must be a list of {"send": ...}, {"receive": ...} steps', 1
            )
        steps: list[Step] = []
        counts = {k: 0 for k in StepKind}
        for position, item in enumerate(raw):
            line = self.step_lines[position] if position < len(self.step_lines) else None
            if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in _STEP_NAMES:
                raise self.error(
                    f"exchange step {position + 1} must be one of {', '.join(_STEP_NAMES)}", line
                )
            if counts[StepKind.CANCEL]:
                raise self.error(f"exchange step {position + 1} comes after the cancel", line)
            step_kind = StepKind(next(iter(item)))
            counts[step_kind] += 1
            number = counts[step_kind]
            if step_kind is StepKind.CANCEL:
                steps.append(Step(step_kind, number, position, line=line or 0))
                continue
            if step_kind is StepKind.CLOSE:
                if counts[StepKind.CLOSE] > 1:
                    raise self.error("the client half-closes once", line)
                steps.append(Step(step_kind, number, position, line=line or 0))
                continue
            if step_kind is StepKind.SEND and counts[StepKind.CLOSE]:
                raise self.error(f"send #{number} comes after the client half-closed", line)
            descriptor = method.input_type if step_kind is StepKind.SEND else method.output_type
            cls = self.schema.message_class(descriptor.full_name)
            try:
                msg = json_format.ParseDict(
                    item[step_kind.value], cls(), descriptor_pool=self.schema.pool
                )
            except (json_format.ParseError, TypeError, ValueError) as exc:
                raise self.error(
                    f"{step_kind.value} #{number} is not proto3 JSON of "
                    f"{descriptor.full_name}: {exc}",
                    line,
                ) from None
            steps.append(Step(step_kind, number, position, msg, line or 0))
        if not kind.client_streaming and counts[StepKind.SEND] != 1:
            raise self.error(
                f"a {kind.name.lower()} RPC sends exactly one message; this case sends "
                f"{counts[StepKind.SEND]}",
                1,
            )
        return tuple(steps)

    def status(self, raw: Any) -> ExpectedStatus:
        if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
            raise self.error('"status" must be an object with a "code" such as "OK"', 1)
        unknown = sorted(set(raw) - {"code", "message", "details"})
        if unknown:
            raise self.error(f"unknown status key {unknown[0]!r}", 1)
        code = grpc.StatusCode.__members__.get(raw["code"])
        if code is None:
            raise self.error(f"unknown status code {raw['code']!r}", 1)
        text = raw.get("message", "")
        if not isinstance(text, str):
            raise self.error('"status.message" must be a string', 1)
        details: list[dict[str, Any]] = []
        for i, item in enumerate(raw.get("details", [])):
            try:
                parsed = json_format.ParseDict(item, any_pb2.Any())
            except (json_format.ParseError, TypeError, ValueError) as exc:
                raise self.error(
                    f"status detail {i + 1} is not a known google.rpc detail: {exc}", 1
                ) from None
            details.extend(status_details([parsed]))
        return ExpectedStatus(code, text, tuple(details))

    def matchers(self, raw: Any, response: Any) -> tuple[Matcher, ...]:
        if not isinstance(raw, list):
            raise self.error('"matchers" must be a list', 1)
        found: list[Matcher] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                raise self.error('each matcher needs a "path" and a "match"', 1)
            try:
                kind = MatchKind(item.get("match"))
            except ValueError:
                kinds = ", ".join(k.value for k in MatchKind)
                raise self.error(
                    f"matcher {item['path']!r}: match must be one of {kinds}", 1
                ) from None
            pattern = item.get("pattern", "")
            if kind is MatchKind.REGEX:
                try:
                    re.compile(pattern)
                except (re.error, TypeError) as exc:
                    raise self.error(f"matcher {item['path']!r}: bad pattern ({exc})", 1) from None
            try:
                target, index, names = parse_path(item["path"])
            except ValueError as exc:
                raise self.error(str(exc), 1) from None
            fields = (
                names
                if target == "status"
                else resolve_fields(response, names, item["path"], self.error)
            )
            found.append(Matcher(item["path"], kind, str(pattern), target, index, fields))
        return tuple(found)


def resolve_fields(
    descriptor: Any, names: tuple[str, ...], path: str, error: Any
) -> tuple[str, ...]:
    """Field names (proto or JSON spelling) → proto names, through nested messages."""
    resolved: list[str] = []
    current = descriptor
    for name in names:
        if current is None:
            raise error(f"matcher {path!r}: {resolved[-1]} has no fields")
        field = current.fields_by_name.get(name) or next(
            (f for f in current.fields if f.json_name == name), None
        )
        if field is None:
            raise error(f"matcher {path!r}: {current.full_name} has no field {name!r}")
        resolved.append(field.name)
        current = field.message_type
        if current is not None and current.GetOptions().map_entry:
            current = None
    return tuple(resolved)


def load_conversation(path: str, data: bytes, schema: DynamicSchema) -> Conversation:
    """Parse ``data`` (the file at ``path``) under ``schema``; one located error if it fails."""
    if len(data) > MAX_BYTES:
        raise ProtokitError(
            f"conversation: {len(data)} bytes is over the {MAX_BYTES} byte limit; split the "
            "case or mark varying fields instead of recording bulk data",
            path=path,
        )
    try:
        text = data.decode("utf-8")
        raw = json.loads(text)
    except UnicodeDecodeError:
        raise ProtokitError("conversation: not UTF-8 text", path=path) from None
    except json.JSONDecodeError as exc:
        raise ProtokitError(
            f"conversation: not JSON ({exc.msg})", path=path, line=exc.lineno, column=exc.colno
        ) from None
    return _Reader(path, text, schema).parse(raw)


def dump_conversation(conversation: Conversation) -> str:
    """The canonical text of a conversation: proto3 JSON messages, two-space indent."""
    exchange: list[dict[str, Any]] = []
    for step in conversation.exchange:
        if step.message is None:
            exchange.append({step.kind.value: True})
        else:
            exchange.append({step.kind.value: _canonical(step.message)})
    status: dict[str, Any] = {"code": conversation.status.code.name}
    if conversation.status.message:
        status["message"] = conversation.status.message
    if conversation.status.details:
        status["details"] = [_camel_detail(d) for d in conversation.status.details]
    data: dict[str, Any] = {"rpc": conversation.rpc}
    if conversation.description:
        data["description"] = conversation.description
    timeout = conversation.timeout
    data["timeout_seconds"] = int(timeout) if timeout.is_integer() else timeout
    if conversation.request_metadata:
        data["request_metadata"] = dict(conversation.request_metadata)
    data["exchange"] = exchange
    data["status"] = status
    if conversation.response_metadata_keys:
        data["response_metadata_keys"] = list(conversation.response_metadata_keys)
    if conversation.matchers:
        data["matchers"] = [m.to_json() for m in conversation.matchers]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


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
