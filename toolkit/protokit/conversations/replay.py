"""Replay a conversation through a real channel and report the first thing that differs.

The client's messages go out in order; at each ``receive`` step the next server message is read
and compared (matchers applied); for bidirectional RPCs sends and receives interleave as
recorded. Afterwards the stream must end (no extra message), with the expected status code,
message and ``google.rpc.Status`` details, and the expected response metadata keys. Every call
carries the case's deadline, so a handler that hangs fails as DEADLINE_EXCEEDED, never hangs.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message
from google.rpc import status_pb2

from protokit.conversations.compare import first_difference, show
from protokit.conversations.credentials import resolve
from protokit.conversations.model import (
    Conversation,
    Step,
    StepKind,
    message_dict,
    status_details,
)
from protokit.evolution.fixtures import DynamicSchema

__all__ = ["Mismatch", "replay"]

DETAILS_KEY = "grpc-status-details-bin"
_END = object()


@dataclass(frozen=True)
class Mismatch:
    """Where the replay first differed: the step (1-based within the exchange) and what."""

    conversation: str
    step: int  # 0 when about the status or the end of the stream
    line: int
    problem: str

    def __str__(self) -> str:
        where = f"{self.conversation}:{self.line}" if self.line else self.conversation
        return f"{where}: {self.problem}"


class _Requests:
    """The request iterator a streaming call pulls from; steps push into it."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self.closed = False

    def push(self, msg: message.Message) -> None:
        self._queue.put(msg)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put(_END)

    def __iter__(self) -> Iterator[message.Message]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            yield item


def _code_name(code: grpc.StatusCode | None) -> str:
    return code.name if code is not None else "none"


class _Run:
    def __init__(
        self,
        conversation: Conversation,
        channel: grpc.Channel,
        schema: DynamicSchema,
        env: Mapping[str, str],
    ):
        self.c = conversation
        request = schema.message_class(conversation.request_type)
        response = schema.message_class(conversation.response_type)
        kind = conversation.kind.value
        self.callable = getattr(channel, kind)(
            conversation.grpc_path,
            request_serializer=request.SerializeToString,
            response_deserializer=response.FromString,
        )
        self.credentials = resolve(conversation.request_metadata, env)
        self.metadata = self.credentials.metadata or None

    def mismatch(self, problem: str, step: Step | None = None) -> Mismatch:
        return Mismatch(
            self.c.path,
            step.position + 1 if step else 0,
            step.line if step else 0,
            problem,
        )

    def compare(self, step: Step, got: message.Message) -> Mismatch | None:
        assert step.message is not None
        problem = first_difference(
            message_dict(step.message),
            message_dict(got),
            self.c.matchers,
            "receive",
            step.number - 1,
        )
        if problem:
            return self.mismatch(f"receive #{step.number}: {problem}", step)
        return None

    def run(self) -> Mismatch | None:
        c = self.c
        timeout = c.timeout
        if c.kind.client_streaming:
            requests = _Requests()
            source: Any = iter(requests)
        else:
            requests = None
            first = c.sends[0].message
            source = first
        call: Any
        response_iter: Iterator[message.Message] | None = None
        future: Any = None
        if c.kind.server_streaming:
            call = self.callable(source, timeout=timeout, metadata=self.metadata)
            response_iter = call
        else:
            future = self.callable.future(source, timeout=timeout, metadata=self.metadata)
            call = future
        received = 0
        try:
            for step in c.exchange:
                if step.kind is StepKind.SEND:
                    if requests is not None and step.message is not None:
                        requests.push(step.message)
                elif step.kind is StepKind.CLOSE:
                    if requests is not None:
                        requests.close()
                elif step.kind is StepKind.CANCEL:
                    call.cancel()
                    return None
                else:
                    if requests is not None and not c.kind.server_streaming:
                        requests.close()
                    got, error = self._next(response_iter, future)
                    if got is None:
                        return self.mismatch(
                            f"receive #{step.number}: the stream ended after {received} "
                            f"message(s) with {_code_name(error)}"
                            + (f" ({_details(call)})" if _details(call) else "")
                            + f"; expected {_expected(step)}"
                            + self.credentials.note(),
                            step,
                        )
                    received += 1
                    problem = self.compare(step, got)
                    if problem:
                        return problem
            if requests is not None:
                requests.close()
            if response_iter is not None:
                extra, _ = self._next(response_iter, None)
                if extra is not None:
                    return self.mismatch(
                        f"message #{received + 1} was not expected (the case receives "
                        f"{received}): {show(message_dict(extra))}"
                    )
            elif future is not None and not c.receives:
                self._next(None, future)
            return self.status(call)
        finally:
            if requests is not None:
                requests.close()
            call.cancel()

    def _next(
        self, response_iter: Iterator[message.Message] | None, future: Any
    ) -> tuple[message.Message | None, grpc.StatusCode | None]:
        if response_iter is not None:
            try:
                return next(response_iter), None
            except StopIteration:
                return None, grpc.StatusCode.OK
            except grpc.RpcError as error:
                return None, error.code()
        try:
            return future.result(), None
        except grpc.RpcError as error:
            return None, error.code()
        except grpc.FutureCancelledError:
            return None, grpc.StatusCode.CANCELLED

    def status(self, call: Any) -> Mismatch | None:
        c = self.c
        code = call.code()
        if code is grpc.StatusCode.DEADLINE_EXCEEDED and c.status.code is not code:
            return self.mismatch(
                f"no complete answer within the case's timeout of {c.timeout:g}s "
                "(DEADLINE_EXCEEDED)"
            )
        if code is not c.status.code:
            return self.mismatch(
                f"status: expected {c.status.code.name}, got {_code_name(code)}"
                + (f" ({call.details()!r})" if call.details() else "")
                + self.credentials.note()
            )
        problem = _status_message(c, call.details() or "")
        if problem:
            return self.mismatch(f"status message: {problem}")
        trailing = tuple(call.trailing_metadata() or ())
        details = _decode_details(trailing)
        if tuple(details) != c.status.details:
            for i, (want, got) in enumerate(zip(c.status.details, details, strict=False)):
                if want != got:
                    problem = first_difference(want, got, (), "status", i) or "differs"
                    return self.mismatch(f"status detail {i + 1}: {problem}")
            return self.mismatch(
                f"status details: expected {len(c.status.details)}, got {len(details)}"
            )
        seen = {key for key, _ in (*(call.initial_metadata() or ()), *trailing)}
        missing = [k for k in c.response_metadata_keys if k not in seen]
        if missing:
            return self.mismatch(f"response metadata: {missing[0]!r} is missing")
        return None


def _status_message(c: Conversation, text: str) -> str | None:
    for matcher in c.matchers:
        if matcher.target == "status":
            return matcher.check(text)
    if text != c.status.message:
        return f"expected {c.status.message!r}, got {text!r}"
    return None


def _decode_details(trailing: tuple[Any, ...]) -> list[dict[str, Any]]:
    for key, value in trailing:
        if key == DETAILS_KEY:
            status = status_pb2.Status.FromString(value)
            return list(status_details(list(status.details)))
    return []


def _expected(step: Step) -> str:
    return show(message_dict(step.message)) if step.message is not None else "a message"


def _details(call: Any) -> str:
    try:
        return str(call.details() or "")
    except Exception:  # a call that never started has no details
        return ""


def replay(
    conversation: Conversation,
    channel: grpc.Channel,
    schema: DynamicSchema,
    env: Mapping[str, str] | None = None,
) -> Mismatch | None:
    """Run ``conversation`` through ``channel``; the first mismatch, or None when it holds.

    Credential placeholders in its request metadata are filled from ``env`` (the process
    environment when None)."""
    return _Run(conversation, channel, schema, os.environ if env is None else env).run()
