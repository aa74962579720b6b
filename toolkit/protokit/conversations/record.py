"""``protokit record``: a client command run through a recording proxy, its calls as cases.

The proxy (``proxy.RecordingProxy``) listens on 127.0.0.1 (an ephemeral port) and forwards
every call to the server. The client (a script or a pytest run) is pointed at it through
``PROTOKIT_RECORD_TARGET`` (or ``{target}`` in its arguments); it may name each case with the
``x-protokit-case`` request header. Each call becomes a case, or with ``together`` every call
becomes one multi-call case (each call named by ``x-protokit-call`` or its method), its steps
in the order they passed the proxy. Nothing is written here.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, replace

import grpc
from google.rpc import status_pb2

from protokit.conversations.matchers import Matcher, MatchKind, parse_path
from protokit.conversations.model import (
    DEFAULT_TIMEOUT,
    Call,
    Conversation,
    ExpectedStatus,
    StatusCode,
    Step,
    StepKind,
    status_details,
)
from protokit.conversations.parse import CALL_NAME, resolve_fields
from protokit.conversations.proxy import CALL_HEADER, CASE_HEADER, ProxiedCall, RecordingProxy
from protokit.core.errors import ProtokitError, UsageError
from protokit.evolution.fixtures import DynamicSchema
from protokit.gen.model import RpcKind

__all__ = ["CASE_HEADER", "TARGET_ENV", "Recording", "parse_vary", "record_command"]

TARGET_ENV = "PROTOKIT_RECORD_TARGET"
REACH_TIMEOUT = 5.0
#: Cases as (case name, [(proxied call, call name)]).
_Grouping = list[tuple[str, list[tuple[ProxiedCall, str]]]]


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


def _call(
    call: ProxiedCall, schema: DynamicSchema, name: str
) -> tuple[Call, list[tuple[int, Step]]]:
    """A proxied call as a conversation's call, and its steps with their order through the
    proxy (numbered within the call; positions are set when the case is assembled)."""
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
    steps: list[tuple[int, Step]] = []
    counts = dict.fromkeys(StepKind, 0)
    for order, event, data in call.events:
        if event is StepKind.CLOSE and not kind.client_streaming:
            continue
        counts[event] += 1
        msg = None
        if event is StepKind.SEND:
            msg = request.FromString(data)
        elif event is StepKind.RECEIVE:
            msg = response.FromString(data)
        steps.append((order, Step(event, counts[event], 0, msg, call=name)))
    details = (
        status_details(list(status_pb2.Status.FromString(call.rich).details)) if call.rich else ()
    )
    keys = sorted(
        k
        for k in call.response_keys
        if not k.startswith(("grpc-", ":")) and k not in ("content-type", "date")
    )
    recorded = Call(
        name=name,
        service=service_name,
        method=method_name,
        kind=kind,
        request_type=method.input_type.full_name,
        response_type=method.output_type.full_name,
        request_metadata=tuple(sorted(call.metadata)),
        status=ExpectedStatus(StatusCode.of(call.code), call.details, details),
        response_metadata_keys=tuple(keys),
        matchers=(),
    )
    return recorded, steps


def _case(calls: Sequence[tuple[Call, list[tuple[int, Step]]]], timeout: float) -> Conversation:
    """One case of ``calls``: their steps in the order they passed through the proxy."""
    ordered = sorted((order, step) for _, steps in calls for order, step in steps)
    return Conversation(
        path="",
        description="",
        timeout=timeout,
        calls=tuple(call for call, _ in calls),
        exchange=tuple(replace(step, position=i) for i, (_, step) in enumerate(ordered)),
    )


def _with_vary(call: Call, received: bool, vary: Sequence[Vary], schema: DynamicSchema) -> Call:
    matchers: list[Matcher] = []
    response = schema.descriptor(call.response_type)
    for v in vary:
        target, index, names = parse_path(v.path)
        if target == "receive" and not received:
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
    return replace(call, matchers=tuple(matchers))


def _kebab(method: str) -> str:
    """``SubscribeMetrics`` → ``subscribe-metrics``: a call's name when the client gave none."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", method).lower()[:60]


def _named(proxied: Sequence[ProxiedCall], case: str) -> _Grouping:
    """Cases as (name, [(call, call name)]): one per call, a repeated name numbered ``-2``."""
    named: _Grouping = []
    seen: dict[tuple[str, str], int] = {}
    for call in proxied:
        name = call.case or case
        if not CALL_NAME.fullmatch(name):
            raise ProtokitError(f"{CASE_HEADER} {name!r}: use lowercase letters, digits, - and _")
        key = (call.method, name)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            name = f"{name}-{seen[key]}"
        named.append((name, [(call, "")]))
    return named


def _together(proxied: Sequence[ProxiedCall], case: str) -> _Grouping:
    """Every call as one case (``--together``); calls named by ``x-protokit-call`` or their
    method (``subscribe-metrics``, then ``subscribe-metrics-2``)."""
    if not proxied:
        return []
    name = next((c.case for c in proxied if c.case), case)
    if not CALL_NAME.fullmatch(name):
        raise ProtokitError(f"{CASE_HEADER} {name!r}: use lowercase letters, digits, - and _")
    packages = sorted({c.method.split("/")[1].rpartition(".")[0] for c in proxied})
    if len(packages) > 1:
        raise ProtokitError(
            f"--together: the calls span packages {', '.join(packages)}; one case is served by "
            "one package's server, so record them as separate cases"
        )
    calls: list[tuple[ProxiedCall, str]] = []
    used: set[str] = set()
    for call in proxied:
        if call.name:
            if not CALL_NAME.fullmatch(call.name):
                raise ProtokitError(
                    f"{CALL_HEADER} {call.name!r}: use lowercase letters, digits, - and _"
                )
            if call.name in used:
                raise ProtokitError(f"{CALL_HEADER} {call.name!r} names two calls")
            label = call.name
        else:
            base = _kebab(call.method.rsplit("/", 1)[-1])
            label, n = base, 1
            while label in used:
                n += 1
                label = f"{base}-{n}"
        used.add(label)
        calls.append((call, label))
    return [(name, calls)]


def record_command(
    command: Sequence[str],
    server: str,
    schema: DynamicSchema,
    *,
    case: str = "recorded",
    vary: Sequence[Vary] = (),
    timeout: float = 120.0,
    case_timeout: float = DEFAULT_TIMEOUT,
    together: bool = False,
    run: Callable[[Sequence[str], dict[str, str], float], int] | None = None,
) -> Recording:
    """Run ``command`` against ``server`` through the proxy; the conversations it had: one
    case per call, or (``together``) every call as one multi-call case named ``case``."""
    if not CALL_NAME.fullmatch(case):
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
        proxy = RecordingProxy(upstream)
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
    grouping = _together(proxy.calls, case) if together else _named(proxy.calls, case)
    for name, members in grouping:
        calls = []
        for proxied, label in members:
            call, steps = _call(proxied, schema, label)
            received = any(s.kind is StepKind.RECEIVE for _, s in steps)
            calls.append((_with_vary(call, received, vary, schema), steps))
        named.append((name, _case(calls, case_timeout)))
    unmatched = [
        v.path
        for v in vary
        if v.path.startswith("receive")
        and not any(m.path == v.path for _, c in named for call in c.calls for m in call.matchers)
    ]
    if unmatched and named:
        raise UsageError(f"--vary {unmatched[0]}: no recorded RPC's response has that field")
    return Recording(tuple(named), exit_code)


def _run(argv: Sequence[str], env: dict[str, str], timeout: float) -> int:
    try:
        done = subprocess.run(list(argv), env={**os.environ, **env}, timeout=timeout, check=False)
    except FileNotFoundError:
        raise UsageError(f"cannot run {argv[0]!r}: no such program") from None
    except subprocess.TimeoutExpired:
        raise ProtokitError(
            f"the client command ran longer than {timeout:g}s; stopped it"
        ) from None
    return done.returncode
