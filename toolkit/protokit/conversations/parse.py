"""Reading a conversation file: checked against the schema, one located error when it fails.

One call::

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

Several concurrent calls: ``"calls"`` names each (its ``rpc``, ``request_metadata``,
``status``, ``response_metadata_keys`` and ``matchers``, as above) and every step names its
call; steps run in file order across calls, and a call starts at its first step::

    {
      "timeout_seconds": 10,
      "calls": {"fast": {"rpc": "..."}, "report": {"rpc": "...", "status": {"code": "OK"}}},
      "exchange": [{"call": "fast", "send": {...}}, {"call": "report", "send": {...}}, ...]
    }

Messages are proto3 JSON of the RPC's request (``send``) and response (``receive``) types;
``close`` is where the client half-closes (at the end when absent). Anything that does not
parse is one ``ProtokitError`` at the file and line (the step's, or the call's).
"""

from __future__ import annotations

import json
import re
from typing import Any

from google.protobuf import any_pb2, json_format

from protokit.conversations.credentials import literal_secret, redact
from protokit.conversations.matchers import Matcher, MatchKind, parse_path
from protokit.conversations.model import (
    DEFAULT_TIMEOUT,
    MAX_BYTES,
    MAX_TIMEOUT,
    Call,
    Conversation,
    ExpectedStatus,
    StatusCode,
    Step,
    StepKind,
    status_details,
)
from protokit.core.errors import ProtokitError
from protokit.evolution.fixtures import DynamicSchema
from protokit.gen.model import RpcKind

__all__ = ["CALL_NAME", "load_conversation", "resolve_fields"]

_CALL_KEYS = ("rpc", "request_metadata", "status", "response_metadata_keys", "matchers")
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
_MULTI_KEYS = ("description", "timeout_seconds", "calls", "exchange")
_STEP_LINE = re.compile(r'^\s*"(send|receive|close|cancel)":')
_CALL_LINE = re.compile(r'^\s*"call":')  # a multi-call step's first line, as dump writes it
_STEP_NAMES = ("send", "receive", "close", "cancel")
#: A call's name in a multi-call file (and a case's name): what a file or report can carry.
CALL_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class _Reader:
    """Parses one file, raising errors located at it (and at the step's line where known)."""

    def __init__(self, path: str, text: str, schema: DynamicSchema) -> None:
        self.path = path
        self.schema = schema
        self.lines = text.splitlines()
        self.step_lines = [i + 1 for i, line in enumerate(self.lines) if _STEP_LINE.match(line)]
        self.call_step_lines = [
            i + 1 for i, line in enumerate(self.lines) if _CALL_LINE.match(line)
        ]

    def error(self, message: str, line: int | None = None) -> ProtokitError:
        return ProtokitError(f"conversation: {message}", path=self.path, line=line or None)

    def call_line(self, name: str) -> int:
        """The line declaring call ``name`` under ``"calls"`` (1 when not found)."""
        start = next((i for i, t in enumerate(self.lines) if t.strip().startswith('"calls"')), 0)
        wanted = re.compile(rf"^\s*{re.escape(json.dumps(name))}\s*:")
        for i in range(start, len(self.lines)):
            if wanted.match(self.lines[i]):
                return i + 1
        return 1

    def parse(self, raw: Any) -> Conversation:
        if not isinstance(raw, dict):
            raise self.error("expected a JSON object", 1)
        multi = "calls" in raw
        if multi and "rpc" in raw:
            raise self.error('a case has "rpc" (one call) or "calls" (several), not both', 1)
        allowed = _MULTI_KEYS if multi else _KEYS
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            raise self.error(f"unknown key {unknown[0]!r} (expected: {', '.join(allowed)})", 1)
        timeout = raw.get("timeout_seconds", DEFAULT_TIMEOUT)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool):
            raise self.error('"timeout_seconds" must be a number', 1)
        if not 0 < timeout <= MAX_TIMEOUT:
            raise self.error(f'"timeout_seconds" must be above 0 and at most {MAX_TIMEOUT:g}', 1)
        description = raw.get("description", "")
        if not isinstance(description, str):
            raise self.error('"description" must be a string', 1)
        if multi:
            declared = raw["calls"]
            if not isinstance(declared, dict) or not declared:
                raise self.error('"calls" must map each call\'s name to its "rpc" and more', 1)
            heads = {}
            for name, body in declared.items():
                line = self.call_line(name)
                if not CALL_NAME.fullmatch(name):
                    raise self.error(
                        f"call name {name!r}: use lowercase letters, digits, - and _", line
                    )
                if not isinstance(body, dict):
                    raise self.error(f'call {name!r} must be an object with an "rpc"', line)
                extra = sorted(set(body) - set(_CALL_KEYS))
                if extra:
                    raise self.error(
                        f"call {name!r}: unknown key {extra[0]!r} (expected: "
                        f"{', '.join(_CALL_KEYS)})",
                        line,
                    )
                heads[name] = self.head(name, body, line)
            packages = {h.service.rpartition(".")[0] for h in heads.values()}
            if len(packages) > 1:
                raise self.error(
                    "a case's calls are answered by one package's server; these name "
                    + ", ".join(sorted(packages)),
                    1,
                )
        else:
            heads = {"": self.head("", raw, 1)}
        steps = self.exchange(raw.get("exchange"), heads, multi)
        calls = tuple(self.finish(head, steps) for head in heads.values())
        return Conversation(
            path=self.path,
            description=description,
            timeout=float(timeout),
            calls=calls,
            exchange=steps,
        )

    def head(self, name: str, raw: dict[str, Any], line: int) -> Call:
        """A call's declaration: its RPC, metadata, status, keys and matchers (no steps)."""
        who = f"call {name!r}: " if name else ""
        rpc = raw.get("rpc")
        if not isinstance(rpc, str) or "/" not in rpc:
            raise self.error(f'{who}"rpc" must name the RPC as "package.Service/Method"', line)
        service_name, _, method_name = rpc.partition("/")
        try:
            service = self.schema.pool.FindServiceByName(service_name)
        except KeyError:
            raise self.error(f'{who}unknown service {service_name!r} in "rpc"', line) from None
        method = service.methods_by_name.get(method_name)
        if method is None:
            known = ", ".join(sorted(service.methods_by_name))
            raise self.error(
                f"{who}{service_name} has no RPC {method_name!r} (it has: {known})", line
            )
        metadata = raw.get("request_metadata", {})
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise self.error(f'{who}"request_metadata" must map names to strings', line)
        for key, value in metadata.items():
            if literal_secret(key, value):
                raise self.error(
                    f'{who}"request_metadata" {key!r} holds a credential; write it as a '
                    f"placeholder such as {redact(key, value)!r}, filled from the environment "
                    "at replay",
                    line,
                )
        keys = raw.get("response_metadata_keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise self.error(f'{who}"response_metadata_keys" must be a list of names', line)
        return Call(
            name=name,
            service=service_name,
            method=method_name,
            kind=RpcKind.of(method.client_streaming, method.server_streaming),
            request_type=method.input_type.full_name,
            response_type=method.output_type.full_name,
            request_metadata=tuple(sorted(metadata.items())),
            status=self.status(raw.get("status", {"code": "OK"}), who, line),
            response_metadata_keys=tuple(keys),
            matchers=self.matchers(raw.get("matchers", []), method.output_type, who, line),
            line=line,
        )

    def finish(self, call: Call, steps: tuple[Step, ...]) -> Call:
        """Checks that need a call's steps: how many it sends, receives, and how it ends."""
        who = call.label
        own = [s for s in steps if s.call == call.name]
        if call.name and not own:
            raise self.error(f'{who}no step of "exchange" names it', call.line)
        sends = sum(1 for s in own if s.kind is StepKind.SEND)
        if not call.kind.client_streaming and sends != 1:
            raise self.error(
                f"{who}a {call.kind.name.lower()} RPC sends exactly one message; this case "
                f"sends {sends}",
                call.line,
            )
        if (
            any(s.kind is StepKind.CANCEL for s in own)
            and call.status.code is not StatusCode.CANCELLED
        ):
            raise self.error(f"{who}a case that cancels ends with status CANCELLED", call.line)
        if call.kind in (RpcKind.UNARY_UNARY, RpcKind.STREAM_UNARY):
            want = 1 if call.status.code is StatusCode.OK else 0
            got = sum(1 for s in own if s.kind is StepKind.RECEIVE)
            if got != want:
                raise self.error(
                    f"{who}{call.rpc} answers with one message on OK and none otherwise; this "
                    f"case has status {call.status.code.name} and {got} receive step(s)",
                    call.line,
                )
        return call

    def exchange(self, raw: Any, calls: dict[str, Call], multi: bool) -> tuple[Step, ...]:
        if not isinstance(raw, list):
            raise self.error(
                '"exchange" must be a list of {"send": ...}, {"receive": ...} steps', 1
            )
        steps: list[Step] = []
        counts = {name: dict.fromkeys(StepKind, 0) for name in calls}
        located = self.call_step_lines if multi else self.step_lines
        for position, item in enumerate(raw):
            line = located[position] if position < len(located) else None
            name = ""
            if multi:
                named = item.get("call") if isinstance(item, dict) else None
                if not isinstance(named, str):
                    raise self.error(
                        f'exchange step {position + 1} must name its call ("call": NAME)', line
                    )
                name = named
                if name not in calls:
                    raise self.error(
                        f'exchange step {position + 1} names call {name!r}, which "calls" '
                        f"does not declare (it declares: {', '.join(calls)})",
                        line,
                    )
                item = {k: v for k, v in item.items() if k != "call"}
            if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in _STEP_NAMES:
                raise self.error(
                    f"exchange step {position + 1} must be one of {', '.join(_STEP_NAMES)}"
                    + (' (and its "call")' if multi else ""),
                    line,
                )
            call = calls[name]
            who = call.label
            count = counts[name]
            if count[StepKind.CANCEL]:
                raise self.error(f"{who}exchange step {position + 1} comes after the cancel", line)
            step_kind = StepKind(next(iter(item)))
            count[step_kind] += 1
            number = count[step_kind]
            if step_kind in (StepKind.CANCEL, StepKind.CLOSE):
                if step_kind is StepKind.CLOSE and count[StepKind.CLOSE] > 1:
                    raise self.error(f"{who}the client half-closes once", line)
                steps.append(Step(step_kind, number, position, line=line or 0, call=name))
                continue
            if step_kind is StepKind.SEND and count[StepKind.CLOSE]:
                raise self.error(f"{who}send #{number} comes after the client half-closed", line)
            type_name = call.request_type if step_kind is StepKind.SEND else call.response_type
            cls = self.schema.message_class(type_name)
            try:
                msg = json_format.ParseDict(
                    item[step_kind.value], cls(), descriptor_pool=self.schema.pool
                )
            except (json_format.ParseError, TypeError, ValueError) as exc:
                raise self.error(
                    f"{who}{step_kind.value} #{number} is not proto3 JSON of {type_name}: {exc}",
                    line,
                ) from None
            steps.append(Step(step_kind, number, position, msg, line or 0, name))
        return tuple(steps)

    def status(self, raw: Any, who: str, line: int) -> ExpectedStatus:
        if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
            raise self.error(f'{who}"status" must be an object with a "code" such as "OK"', line)
        unknown = sorted(set(raw) - {"code", "message", "details"})
        if unknown:
            raise self.error(f"{who}unknown status key {unknown[0]!r}", line)
        code = StatusCode.__members__.get(raw["code"])
        if code is None:
            raise self.error(f"{who}unknown status code {raw['code']!r}", line)
        text = raw.get("message", "")
        if not isinstance(text, str):
            raise self.error(f'{who}"status.message" must be a string', line)
        details: list[dict[str, Any]] = []
        for i, item in enumerate(raw.get("details", [])):
            try:
                parsed = json_format.ParseDict(item, any_pb2.Any())
            except (json_format.ParseError, TypeError, ValueError) as exc:
                raise self.error(
                    f"{who}status detail {i + 1} is not a known google.rpc detail: {exc}", line
                ) from None
            details.extend(status_details([parsed]))
        return ExpectedStatus(code, text, tuple(details))

    def matchers(self, raw: Any, response: Any, who: str, line: int) -> tuple[Matcher, ...]:
        if not isinstance(raw, list):
            raise self.error(f'{who}"matchers" must be a list', line)

        def error(message: str) -> ProtokitError:
            return self.error(who + message, line)

        found: list[Matcher] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                raise error('each matcher needs a "path" and a "match"')
            try:
                kind = MatchKind(item.get("match"))
            except ValueError:
                kinds = ", ".join(k.value for k in MatchKind)
                raise error(f"matcher {item['path']!r}: match must be one of {kinds}") from None
            pattern = item.get("pattern", "")
            if kind is MatchKind.REGEX:
                try:
                    re.compile(pattern)
                except (re.error, TypeError) as exc:
                    raise error(f"matcher {item['path']!r}: bad pattern ({exc})") from None
            try:
                target, index, names = parse_path(item["path"])
            except ValueError as exc:
                raise error(str(exc)) from None
            fields = (
                names
                if target == "status"
                else resolve_fields(response, names, item["path"], error)
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
