"""The conversation as data: calls, their steps in file order, statuses and matchers.

A conversation file holds one call (``"rpc"`` at the top) or several concurrent calls
(``"calls"``: a name for each, and every exchange step naming its call); ``parse`` reads both
forms into the same frozen model and ``dump`` writes each back in its own form. Steps run in
file order across calls, so a case can say "both dashboards subscribe, then an event is reported,
then both receive the update".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any

from google.protobuf import any_pb2, json_format, message
from google.rpc import error_details_pb2  # noqa: F401  (registers BadRequest & co. for details)

from protokit.conversations.matchers import Matcher
from protokit.gen.model import RpcKind

__all__ = [
    "DEFAULT_TIMEOUT",
    "DETAILS_KEY",
    "MAX_BYTES",
    "MAX_TIMEOUT",
    "Call",
    "Conversation",
    "ExpectedStatus",
    "StatusCode",
    "Step",
    "StepKind",
    "message_dict",
    "status_details",
]

#: The trailing metadata key carrying a serialized ``google.rpc.Status`` (rich error details).
DETAILS_KEY = "grpc-status-details-bin"
MAX_BYTES = 1 << 20  # one MiB: a conversation is a specification, not a data dump
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 300.0


class StatusCode(IntEnum):
    """The gRPC status codes by name and number (``google.rpc.Code``; ``grpc.StatusCode`` has the
    same names): reading, checking and writing a conversation needs no gRPC runtime, only
    replaying and recording one does (they convert with ``StatusCode.of``)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @classmethod
    def of(cls, code: Enum) -> StatusCode:
        """The code of a ``grpc.StatusCode`` (looked up by name)."""
        return cls[code.name]


class StepKind(Enum):
    SEND = "send"
    RECEIVE = "receive"
    CLOSE = "close"  # the client half-closes
    CANCEL = "cancel"  # the client cancels the call (a stream it no longer wants)


@dataclass(frozen=True)
class Step:
    """One event of the exchange; ``number`` counts within its call and direction (send #1,
    receive #2); ``call`` names the call ("" in a single-call file)."""

    kind: StepKind
    number: int
    position: int  # index in the exchange list
    message: message.Message | None = None
    line: int = 0
    call: str = ""


@dataclass(frozen=True)
class ExpectedStatus:
    code: StatusCode
    message: str = ""
    details: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Call:
    """One RPC call of a conversation and what it must end with."""

    name: str  # "" for the one call of a single-call file
    service: str  # acme.user.v1.UserService
    method: str  # GetUser
    kind: RpcKind
    request_type: str
    response_type: str
    request_metadata: tuple[tuple[str, str], ...]
    status: ExpectedStatus
    response_metadata_keys: tuple[str, ...]
    matchers: tuple[Matcher, ...]
    line: int = 0  # where the call is declared

    @property
    def rpc(self) -> str:
        return f"{self.service}/{self.method}"

    @property
    def grpc_path(self) -> str:
        return f"/{self.service}/{self.method}"

    @property
    def label(self) -> str:
        """How reports name the call: ``call 'slow': `` (nothing in a single-call file)."""
        return f"call {self.name!r}: " if self.name else ""


@dataclass(frozen=True)
class Conversation:
    """A case: its calls and the steps of all of them in the order they run.

    The single-call accessors (``service``, ``status``...) read the first call: the only one
    of a single-call file, and the one a multi-call file is filed under."""

    path: str  # as given (relative to the workspace root in reports)
    description: str
    timeout: float
    calls: tuple[Call, ...]
    exchange: tuple[Step, ...]

    @property
    def multi(self) -> bool:
        """Whether the file names its calls (the ``"calls"`` form)."""
        return bool(self.calls[0].name)

    def call(self, name: str) -> Call:
        return next(c for c in self.calls if c.name == name)

    def steps_of(self, name: str) -> tuple[Step, ...]:
        return tuple(s for s in self.exchange if s.call == name)

    @property
    def first(self) -> Call:
        return self.calls[0]

    @property
    def service(self) -> str:
        return self.first.service

    @property
    def method(self) -> str:
        return self.first.method

    @property
    def rpc(self) -> str:
        return self.first.rpc

    @property
    def kind(self) -> RpcKind:
        return self.first.kind

    @property
    def request_type(self) -> str:
        return self.first.request_type

    @property
    def response_type(self) -> str:
        return self.first.response_type

    @property
    def status(self) -> ExpectedStatus:
        return self.first.status

    @property
    def matchers(self) -> tuple[Matcher, ...]:
        return self.first.matchers

    @property
    def request_metadata(self) -> tuple[tuple[str, str], ...]:
        """Every call's request metadata (a credential placeholder in any of them counts)."""
        return tuple(pair for c in self.calls for pair in c.request_metadata)

    @property
    def receives(self) -> tuple[Step, ...]:
        return tuple(s for s in self.exchange if s.kind is StepKind.RECEIVE)


def message_dict(msg: message.Message) -> dict[str, Any]:
    """A message as the comparison sees it: proto3 JSON values under proto field names."""
    return json_format.MessageToDict(msg, preserving_proto_field_name=True)


def status_details(details: list[any_pb2.Any]) -> tuple[dict[str, Any], ...]:
    """``google.rpc.Status`` details as proto3 JSON (``@type`` and the fields)."""
    return tuple(json_format.MessageToDict(d, preserving_proto_field_name=True) for d in details)
