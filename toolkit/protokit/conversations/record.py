"""``protokit record``: a recording proxy between a client and a real server.

The proxy listens on 127.0.0.1 (an ephemeral port), forwards every call to the server
byte for byte, and notes each message in the order it passed (the client's, the server's, the
client's half-close), the final status with its ``google.rpc.Status`` details, and the metadata
keys. The client (a script or a pytest run) is pointed at the proxy through
``PROTOKIT_RECORD_TARGET`` (or ``{target}`` in its arguments); it may name each case with the
``x-protokit-case`` request header. The calls become conversations; nothing is written here.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, field, replace
from typing import Any

import grpc
from google.rpc import status_pb2

from protokit.conversations.credentials import redact
from protokit.conversations.matchers import Matcher, MatchKind, parse_path
from protokit.conversations.model import (
    DEFAULT_TIMEOUT,
    Conversation,
    ExpectedStatus,
    Step,
    StepKind,
    resolve_fields,
    status_details,
)
from protokit.core.errors import ProtokitError, UsageError
from protokit.evolution.fixtures import DynamicSchema
from protokit.gen.model import RpcKind

__all__ = ["CASE_HEADER", "TARGET_ENV", "Recording", "parse_vary", "record_command"]

TARGET_ENV = "PROTOKIT_RECORD_TARGET"
CASE_HEADER = "x-protokit-case"
DETAILS_KEY = "grpc-status-details-bin"
REACH_TIMEOUT = 5.0
# Request metadata a conversation never keeps: transport and the case name. Credentials are
# kept as placeholders (``secrets.redact``), so a token-protected server can be replayed.
_DROPPED_REQUEST = {"user-agent", CASE_HEADER}
_CASE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass
class _Call:
    method: str  # /pkg.Service/Method
    case: str
    metadata: list[tuple[str, str]]
    events: list[tuple[StepKind, bytes]] = field(default_factory=list)
    code: grpc.StatusCode = grpc.StatusCode.OK
    details: str = ""
    rich: bytes = b""
    response_keys: set[str] = field(default_factory=set)


class _Proxy(grpc.GenericRpcHandler):
    def __init__(self, upstream: grpc.Channel) -> None:
        self.upstream = upstream
        self.calls: list[_Call] = []
        self.lock = threading.Lock()

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[Any, Any] | None:
        method: str = details.method
        return grpc.stream_stream_rpc_method_handler(
            lambda requests, context: self._forward(method, requests, context)
        )

    def _forward(self, method: str, requests: Any, context: grpc.ServicerContext) -> Any:
        incoming = [(k, str(v)) for k, v in context.invocation_metadata() if not k.endswith("-bin")]
        case = next((v for k, v in incoming if k == CASE_HEADER), "")
        forwarded: list[tuple[str, str | bytes]] = [(k, v) for k, v in incoming if k != CASE_HEADER]
        call = _Call(
            method,
            case,
            [
                (k, redact(k, v))
                for k, v in incoming
                if k not in _DROPPED_REQUEST and not k.startswith("grpc-")
            ],
        )
        with self.lock:
            self.calls.append(call)

        def pulled() -> Any:
            for request in requests:
                call.events.append((StepKind.SEND, request))
                yield request
            call.events.append((StepKind.CLOSE, b""))

        remaining = context.time_remaining()
        timeout = remaining if remaining is not None and remaining < 3600 else None
        upstream: Any = self.upstream.stream_stream(method)(
            pulled(), metadata=tuple(forwarded), timeout=timeout
        )
        finished = threading.Event()

        def on_done() -> None:  # the client went away before the answer ended: it cancelled
            if not finished.is_set():
                call.events.append((StepKind.CANCEL, b""))
                call.code = grpc.StatusCode.CANCELLED
                upstream.cancel()

        context.add_callback(on_done)
        try:
            initial = upstream.initial_metadata() or ()
            call.response_keys.update(k for k, _ in initial)
            context.send_initial_metadata(initial)
            for response in upstream:
                call.events.append((StepKind.RECEIVE, response))
                yield response
        except grpc.RpcError:
            pass
        if call.code is grpc.StatusCode.CANCELLED:
            return
        finished.set()
        call.code = upstream.code()
        call.details = upstream.details() or ""
        trailing = tuple(upstream.trailing_metadata() or ())
        for key, value in trailing:
            if key == DETAILS_KEY and isinstance(value, bytes):
                call.rich = value
            else:
                call.response_keys.add(key)
        context.set_trailing_metadata(trailing)
        if call.code is not grpc.StatusCode.OK:
            context.abort(call.code, call.details)


@dataclass(frozen=True)
class Vary:
    path: str
    kind: MatchKind
    pattern: str = ""


def parse_vary(text: str) -> Vary:
    """``updated_at``, ``receive[0].id=non_empty``, ``status.message=regex:^no product``."""
    path, _, spec = text.partition("=")
    if not path.startswith(("receive", "status")):
        path = f"receive[*].{path}"
    kind_text, _, pattern = (spec or "type").partition(":")
    try:
        kind = MatchKind(kind_text)
    except ValueError:
        kinds = ", ".join(k.value for k in MatchKind)
        raise UsageError(f"--vary {text!r}: the kind must be one of {kinds}") from None
    if kind is MatchKind.REGEX:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UsageError(f"--vary {text!r}: bad pattern ({exc})") from None
    try:
        parse_path(path)
    except ValueError as exc:
        raise UsageError(f"--vary {text!r}: {exc}") from None
    return Vary(path, kind, pattern)


@dataclass(frozen=True)
class Recording:
    conversations: tuple[tuple[str, Conversation], ...]  # (case name, conversation)
    exit_code: int


def _conversation(call: _Call, schema: DynamicSchema, case: str, timeout: float) -> Conversation:
    _, service_name, method_name = call.method.split("/", 2)
    try:
        service = schema.pool.FindServiceByName(service_name)
        method = service.methods_by_name[method_name]
    except KeyError:
        raise ProtokitError(
            f"the client called {call.method}, which the contracts do not declare"
        ) from None
    kind = RpcKind.of(method.client_streaming, method.server_streaming)
    request = schema.message_class(method.input_type.full_name)
    response = schema.message_class(method.output_type.full_name)
    steps: list[Step] = []
    counts = {k: 0 for k in StepKind}
    for event, data in call.events:
        if event is StepKind.CLOSE and not kind.client_streaming:
            continue
        counts[event] += 1
        msg = None
        if event is StepKind.SEND:
            msg = request.FromString(data)
        elif event is StepKind.RECEIVE:
            msg = response.FromString(data)
        steps.append(Step(event, counts[event], len(steps), msg))
    details = (
        status_details(list(status_pb2.Status.FromString(call.rich).details)) if call.rich else ()
    )
    keys = sorted(
        k
        for k in call.response_keys
        if not k.startswith(("grpc-", ":")) and k not in ("content-type", "date")
    )
    return Conversation(
        path="",
        service=service_name,
        method=method_name,
        kind=kind,
        request_type=method.input_type.full_name,
        response_type=method.output_type.full_name,
        description="",
        timeout=timeout,
        request_metadata=tuple(sorted(call.metadata)),
        exchange=tuple(steps),
        status=ExpectedStatus(call.code, call.details, details),
        response_metadata_keys=tuple(keys),
        matchers=(),
    )


def _with_vary(
    conversation: Conversation, vary: Sequence[Vary], schema: DynamicSchema
) -> Conversation:
    matchers: list[Matcher] = []
    response = schema.descriptor(conversation.response_type)
    for v in vary:
        target, index, names = parse_path(v.path)
        if target == "receive" and not conversation.receives:
            continue
        if target == "status":
            matchers.append(Matcher(v.path, v.kind, v.pattern, target, index, names))
            continue

        def fail(message: str) -> ProtokitError:
            return ProtokitError(message)

        try:
            fields = resolve_fields(response, names, v.path, fail)
        except ProtokitError:
            continue  # this RPC's response has no such field
        matchers.append(Matcher(v.path, v.kind, v.pattern, target, index, fields))
    return replace(conversation, matchers=tuple(matchers))


def record_command(
    command: Sequence[str],
    server: str,
    schema: DynamicSchema,
    *,
    case: str = "recorded",
    vary: Sequence[Vary] = (),
    timeout: float = 120.0,
    case_timeout: float = DEFAULT_TIMEOUT,
    run: Callable[[Sequence[str], dict[str, str], float], int] | None = None,
) -> Recording:
    """Run ``command`` against ``server`` through the proxy; the conversations it had."""
    if not _CASE.fullmatch(case):
        raise UsageError(f"--case {case!r}: use lowercase letters, digits, - and _ (at most 64)")
    upstream = grpc.insecure_channel(server)
    try:
        try:
            grpc.channel_ready_future(upstream).result(timeout=REACH_TIMEOUT)
        except grpc.FutureTimeoutError:
            raise ProtokitError(
                f"cannot reach a gRPC server at {server} within {REACH_TIMEOUT:g}s; start it "
                "first (for example `python -m services.inventory --port 50051`)"
            ) from None
        proxy = _Proxy(upstream)
        server_obj = grpc.server(futures.ThreadPoolExecutor(max_workers=16), handlers=[proxy])
        port = server_obj.add_insecure_port("127.0.0.1:0")
        server_obj.start()
        target = f"127.0.0.1:{port}"
        try:
            argv = [part.replace("{target}", target) for part in command]
            exit_code = (run or _run)(argv, {TARGET_ENV: target}, timeout)
        finally:
            server_obj.stop(None).wait(10)
    finally:
        upstream.close()
    named: list[tuple[str, Conversation]] = []
    seen: dict[tuple[str, str], int] = {}
    for call in proxy.calls:
        name = call.case or case
        if not _CASE.fullmatch(name):
            raise ProtokitError(f"{CASE_HEADER} {name!r}: use lowercase letters, digits, - and _")
        key = (call.method, name)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            name = f"{name}-{seen[key]}"
        conversation = _with_vary(_conversation(call, schema, name, case_timeout), vary, schema)
        named.append((name, conversation))
    unmatched = [
        v.path
        for v in vary
        if v.path.startswith("receive")
        and not any(any(m.path == v.path for m in c.matchers) for _, c in named)
    ]
    if unmatched and named:
        raise UsageError(f"--vary {unmatched[0]}: no recorded RPC's response has that field")
    return Recording(tuple(named), exit_code)


def _run(argv: Sequence[str], env: dict[str, str], timeout: float) -> int:
    import os

    try:
        done = subprocess.run(list(argv), env={**os.environ, **env}, timeout=timeout, check=False)
    except FileNotFoundError:
        raise UsageError(f"cannot run {argv[0]!r}: no such program") from None
    except subprocess.TimeoutExpired:
        raise ProtokitError(
            f"the client command ran longer than {timeout:g}s; stopped it"
        ) from None
    return done.returncode
