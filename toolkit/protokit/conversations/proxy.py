"""The recording proxy: forwards every call to the real server byte for byte and notes it.

Each call's messages are noted in one order across every call through the proxy (the client's,
the server's, the client's half-close or cancel), with the final status, its
``google.rpc.Status`` details and the metadata keys. The request metadata is kept, minus
transport keys and protokit's own headers, with credentials as placeholders
(``credentials.redact``), so a token-protected server can be recorded and replayed.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

import grpc

from protokit.conversations.credentials import redact
from protokit.conversations.model import DETAILS_KEY, StepKind

__all__ = ["CALL_HEADER", "CASE_HEADER", "ProxiedCall", "RecordingProxy"]

CASE_HEADER = "x-protokit-case"
CALL_HEADER = "x-protokit-call"  # names a call of a --together case
# Request metadata a conversation never keeps: transport and protokit's own headers.
_DROPPED_REQUEST = {"user-agent", CASE_HEADER, CALL_HEADER}


@dataclass
class ProxiedCall:
    method: str  # /pkg.Service/Method
    case: str
    name: str  # from x-protokit-call ("" when the client did not name it)
    metadata: list[tuple[str, str]]
    # (order across every call through the proxy, what happened, the message's bytes)
    events: list[tuple[int, StepKind, bytes]] = field(default_factory=list)
    code: grpc.StatusCode = grpc.StatusCode.OK
    details: str = ""
    rich: bytes = b""
    response_keys: set[str] = field(default_factory=set)


class RecordingProxy(grpc.GenericRpcHandler):
    def __init__(self, upstream: grpc.Channel) -> None:
        self.upstream = upstream
        self.calls: list[ProxiedCall] = []
        self.lock = threading.Lock()
        self.order = itertools.count()  # next() is atomic: one order across concurrent calls

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[Any, Any] | None:
        method: str = details.method
        return grpc.stream_stream_rpc_method_handler(
            lambda requests, context: self._forward(method, requests, context)
        )

    def _forward(self, method: str, requests: Any, context: grpc.ServicerContext) -> Any:
        incoming = [(k, str(v)) for k, v in context.invocation_metadata() if not k.endswith("-bin")]
        case = next((v for k, v in incoming if k == CASE_HEADER), "")
        name = next((v for k, v in incoming if k == CALL_HEADER), "")
        forwarded: list[tuple[str, str | bytes]] = [
            (k, v) for k, v in incoming if k not in (CASE_HEADER, CALL_HEADER)
        ]
        call = ProxiedCall(
            method,
            case,
            name,
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
                call.events.append((next(self.order), StepKind.SEND, request))
                yield request
            call.events.append((next(self.order), StepKind.CLOSE, b""))

        remaining = context.time_remaining()
        timeout = remaining if remaining is not None and remaining < 3600 else None
        upstream: Any = self.upstream.stream_stream(method)(
            pulled(), metadata=tuple(forwarded), timeout=timeout
        )
        finished = threading.Event()

        def on_done() -> None:  # the client went away before the answer ended: it cancelled
            if not finished.is_set():
                call.events.append((next(self.order), StepKind.CANCEL, b""))
                call.code = grpc.StatusCode.CANCELLED
                upstream.cancel()

        context.add_callback(on_done)
        try:
            initial = upstream.initial_metadata() or ()
            call.response_keys.update(k for k, _ in initial)
            context.send_initial_metadata(initial)
            for response in upstream:
                call.events.append((next(self.order), StepKind.RECEIVE, response))
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
