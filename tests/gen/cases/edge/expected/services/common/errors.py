"""Errors a servicer raises, turned into gRPC statuses with rich details (``google.rpc``).

Stores and validators raise :class:`ServiceError`; a servicer turns it into a status with
:func:`abort` (sync) or :func:`abort_aio` (asyncio). The status carries a ``google.rpc.Status``
in the ``grpc-status-details-bin`` trailer, so a client reads the structured details with
``grpc_status.rpc_status.from_call(call)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import google.rpc.error_details_pb2 as error_details_pb2
import google.rpc.status_pb2 as status_pb2
import grpc
import grpc.aio
from google.protobuf import any_pb2
from google.protobuf.message import Message
from grpc_status import rpc_status


class ServiceError(Exception):
    """A failure to report to the client as a gRPC status with structured details."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, details: Sequence[Message] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = tuple(details)

    def to_status(self) -> grpc.Status:
        """The status to abort with: code, message and packed details."""
        packed = []
        for detail in self.details:
            item = any_pb2.Any()
            item.Pack(detail)
            packed.append(item)
        proto = status_pb2.Status(code=self.code.value[0], message=self.message, details=packed)
        return rpc_status.to_status(proto)


@dataclass(frozen=True)
class Violation:
    """One invalid field: its path in the request and what is wrong with it."""

    field: str
    description: str


class InvalidArgument(ServiceError):
    """The request itself is wrong; the details name every offending field."""

    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        message = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in self.violations
            ]
        )
        super().__init__(message, [bad_request])


class NotFound(ServiceError):
    """A named resource does not exist; the details say which one."""

    code = grpc.StatusCode.NOT_FOUND

    def __init__(self, resource_type: str, name: str, message: str) -> None:
        self.resource_type = resource_type
        self.name = name
        info = error_details_pb2.ResourceInfo(
            resource_type=resource_type, resource_name=name, description=message
        )
        super().__init__(message, [info])


class Unavailable(ServiceError):
    """The server cannot serve this call now (it is shutting down); retrying elsewhere helps."""

    code = grpc.StatusCode.UNAVAILABLE

    def __init__(self, message: str, retry_after_seconds: int = 1) -> None:
        retry = error_details_pb2.RetryInfo()
        retry.retry_delay.FromSeconds(retry_after_seconds)
        super().__init__(message, [retry])


class ResourceExhausted(ServiceError):
    """A per-client limit was hit (a chat participant fell too far behind, a batch too big)."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, message: str, subject: str, limit_description: str) -> None:
        failure = error_details_pb2.QuotaFailure(
            violations=[
                error_details_pb2.QuotaFailure.Violation(
                    subject=subject, description=limit_description
                )
            ]
        )
        super().__init__(message, [failure])


def abort(context: grpc.ServicerContext, error: ServiceError) -> NoReturn:
    """End a sync RPC with the error's rich status."""
    context.abort_with_status(error.to_status())


async def abort_aio(context: grpc.aio.ServicerContext[Any, Any], error: ServiceError) -> NoReturn:
    """End an asyncio RPC with the error's rich status."""
    await context.abort_with_status(error.to_status())
