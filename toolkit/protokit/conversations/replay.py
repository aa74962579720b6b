"""Replay a conversation through a real channel and report the first thing that differs.

The client's messages go out in order; at each ``receive`` step the next server message is read
and compared (matchers applied); for bidirectional RPCs sends and receives interleave as
recorded. A case with several calls runs their steps in file order across the calls, each call
starting at its first step. Afterwards each stream must end (no extra message), with the
expected status code, message and ``google.rpc.Status`` details, and the expected response
metadata keys; a call the case cancels is not checked further. Every call
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
    DETAILS_KEY,
    Call,
    Conversation,
    StatusCode,
    Step,
    StepKind,
    message_dict,
    status_details,
)
from protokit.evolution.fixtures import DynamicSchema

__all__ = ["Mismatch", "replay"]

_END = object()


@dataclass(frozen=True)
class Mismatch:
    """Where the replay first differed: the call, the step (1-based within the exchange, in
    file order across calls) and what."""

    conversation: str
    step: int  # 0 when about the status or the end of the stream
    line: int
    problem: str  # starts with "call 'NAME': " in a multi-call case
    call: str = ""  # the call it is about ("" in a single-call case)

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


class _CallRun:
    """One call of the conversation: started at its first step, bounded by the case's
    deadline from then on."""

    def __init__(
        self,
        call: Call,
        steps: tuple[Step, ...],
        channel: grpc.Channel,
        schema: DynamicSchema,
        env: Mapping[str, str],
    ) -> None:
        self.call = call
        self.steps = steps
        request = schema.message_class(call.request_type)
        response = schema.message_class(call.response_type)
        self.callable = getattr(channel, call.kind.value)(
            call.grpc_path,
            request_serializer=request.SerializeToString,
            response_deserializer=response.FromString,
        )
        self.credentials = resolve(call.request_metadata, env)
        self.requests = _Requests() if call.kind.client_streaming else None
        self.handle: Any = None  # the grpc call (a stream's rendezvous or a unary future)
        self.response_iter: Iterator[message.Message] | None = None
        self.future: Any = None
        self.received = 0
        self.cancelled = False

    def start(self, timeout: float) -> None:
        if self.requests is not None:
            source: Any = iter(self.requests)
        else:
            source = next(s.message for s in self.steps if s.kind is StepKind.SEND)
        metadata = self.credentials.metadata or None
        if self.call.kind.server_streaming:
            self.handle = self.callable(source, timeout=timeout, metadata=metadata)
            self.response_iter = self.handle
        else:
            self.future = self.callable.future(source, timeout=timeout, metadata=metadata)
            self.handle = self.future

    def next(self) -> tuple[message.Message | None, grpc.StatusCode | None]:
        if self.response_iter is not None:
            try:
                return next(self.response_iter), None
            except StopIteration:
                return None, grpc.StatusCode.OK
            except grpc.RpcError as error:
                return None, error.code()
        try:
            return self.future.result(), None
        except grpc.RpcError as error:
            return None, error.code()
        except grpc.FutureCancelledError:
            return None, grpc.StatusCode.CANCELLED

    def stop(self) -> None:
        if self.requests is not None:
            self.requests.close()
        if self.handle is not None:
            self.handle.cancel()


class _Run:
    def __init__(
        self,
        conversation: Conversation,
        channel: grpc.Channel,
        schema: DynamicSchema,
        env: Mapping[str, str],
    ):
        self.c = conversation
        self.runs = {
            call.name: _CallRun(call, conversation.steps_of(call.name), channel, schema, env)
            for call in conversation.calls
        }

    def mismatch(self, run: _CallRun, problem: str, step: Step | None = None) -> Mismatch:
        return Mismatch(
            self.c.path,
            step.position + 1 if step else 0,
            step.line if step else 0,
            run.call.label + problem,
            run.call.name,
        )

    def compare(self, run: _CallRun, step: Step, got: message.Message) -> Mismatch | None:
        assert step.message is not None
        problem = first_difference(
            message_dict(step.message),
            message_dict(got),
            run.call.matchers,
            "receive",
            step.number - 1,
        )
        if problem:
            return self.mismatch(run, f"receive #{step.number}: {problem}", step)
        return None

    def run(self) -> Mismatch | None:
        try:
            for step in self.c.exchange:
                problem = self.step(self.runs[step.call], step)
                if problem:
                    return problem
            for run in self.runs.values():
                problem = None if run.cancelled else self.end(run)
                if problem:
                    return problem
            return None
        finally:
            for run in self.runs.values():
                run.stop()

    def step(self, run: _CallRun, step: Step) -> Mismatch | None:
        if run.handle is None:
            run.start(self.c.timeout)
        if step.kind is StepKind.SEND:
            if run.requests is not None and step.message is not None:
                run.requests.push(step.message)
        elif step.kind is StepKind.CLOSE:
            if run.requests is not None:
                run.requests.close()
        elif step.kind is StepKind.CANCEL:
            run.handle.cancel()
            run.cancelled = True
        else:
            if run.requests is not None and not run.call.kind.server_streaming:
                run.requests.close()
            got, error = run.next()
            if got is None:
                return self.mismatch(
                    run,
                    f"receive #{step.number}: the stream ended after {run.received} "
                    f"message(s) with {_code_name(error)}"
                    + (f" ({_details(run.handle)})" if _details(run.handle) else "")
                    + f"; expected {_expected(step)}"
                    + run.credentials.note(),
                    step,
                )
            run.received += 1
            return self.compare(run, step, got)
        return None

    def end(self, run: _CallRun) -> Mismatch | None:
        """After the exchange: no extra message, then the expected status and keys."""
        if run.handle is None:  # a client stream with no steps: it opens and half-closes
            run.start(self.c.timeout)
        if run.requests is not None:
            run.requests.close()
        if run.response_iter is not None:
            extra, _ = run.next()
            if extra is not None:
                return self.mismatch(
                    run,
                    f"message #{run.received + 1} was not expected (the case receives "
                    f"{run.received}): {show(message_dict(extra))}",
                )
        elif run.received == 0:
            run.next()
        return self.status(run)

    def status(self, run: _CallRun) -> Mismatch | None:
        c = run.call
        call = run.handle
        code = call.code()
        expected = c.status.code
        deadline = StatusCode.DEADLINE_EXCEEDED
        if code is grpc.StatusCode.DEADLINE_EXCEEDED and expected is not deadline:
            return self.mismatch(
                run,
                f"no complete answer within the case's timeout of {self.c.timeout:g}s "
                "(DEADLINE_EXCEEDED)",
            )
        if _code_name(code) != expected.name:
            return self.mismatch(
                run,
                f"status: expected {expected.name}, got {_code_name(code)}"
                + (f" ({call.details()!r})" if call.details() else "")
                + run.credentials.note(),
            )
        problem = _status_message(c, call.details() or "")
        if problem:
            return self.mismatch(run, f"status message: {problem}")
        trailing = tuple(call.trailing_metadata() or ())
        details = _decode_details(trailing)
        if tuple(details) != c.status.details:
            for i, (want, got) in enumerate(zip(c.status.details, details, strict=False)):
                if want != got:
                    problem = first_difference(want, got, (), "status", i) or "differs"
                    return self.mismatch(run, f"status detail {i + 1}: {problem}")
            return self.mismatch(
                run, f"status details: expected {len(c.status.details)}, got {len(details)}"
            )
        seen = {key for key, _ in (*(call.initial_metadata() or ()), *trailing)}
        missing = [k for k in c.response_metadata_keys if k not in seen]
        if missing:
            return self.mismatch(run, f"response metadata: {missing[0]!r} is missing")
        return None


def _status_message(c: Call, text: str) -> str | None:
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
