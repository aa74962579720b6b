"""Server interceptors for ``grpc.server``: access logging and bearer-token authentication."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import grpc

from services.common.auth import TokenChecker

ACCESS_LOG = logging.getLogger("services.access")

if TYPE_CHECKING:
    _Continuation = Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None]


def final_code(
    context: grpc.ServicerContext, error: BaseException | None, deadline: float | None
) -> grpc.StatusCode:
    """The status a finished sync handler ends with, as far as the server knows it."""
    ended_early = isinstance(error, GeneratorExit) or (error is None and not context.is_active())
    if ended_early:
        # The call ended under the handler: the client cancelled or its deadline passed.
        if deadline is not None and time.monotonic() >= deadline:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    explicit: grpc.StatusCode | None = getattr(context, "code", lambda: None)()
    if explicit is not None:
        return explicit
    return grpc.StatusCode.UNKNOWN if error is not None else grpc.StatusCode.OK


class CallContext(Protocol):
    """What :func:`call_facts` reads; both sync and asyncio servicer contexts have it."""

    def time_remaining(self) -> float | None: ...

    def peer(self) -> str: ...


def call_facts(context: CallContext) -> tuple[float, float | None, str]:
    """Start time, deadline (monotonic) and peer of a call that has just begun."""
    started = time.monotonic()
    remaining = context.time_remaining()
    deadline = None if remaining is None else started + remaining
    return started, deadline, context.peer()


def log_call(method: str, code: grpc.StatusCode, started: float, peer: str) -> None:
    """One access-log line: method, status, duration and peer."""
    ACCESS_LOG.info(
        "%s %s %.1fms peer=%s",
        method,
        code.name,
        (time.monotonic() - started) * 1000,
        peer,
    )


class LoggingInterceptor(grpc.ServerInterceptor):
    """Logs every call's method, final status and duration once the handler is done."""

    def intercept_service(
        self, continuation: _Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        return rewrap_handler(handler, lambda behavior: _logged(method, behavior, handler))


class AuthInterceptor(grpc.ServerInterceptor):
    """Refuses calls without ``authorization: Bearer <token>`` with ``UNAUTHENTICATED``."""

    def __init__(self, checker: TokenChecker) -> None:
        self._checker = checker

    def intercept_service(
        self, continuation: _Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None or self._checker.is_public(handler_call_details.method):
            return handler
        problem = self._checker.problem(handler_call_details.invocation_metadata)
        if problem is None:
            return handler

        def deny(request: object, context: grpc.ServicerContext) -> Any:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, problem)

        return rewrap_handler(handler, lambda _behavior: deny)


def _logged(
    method: str, behavior: Callable[..., Any], handler: grpc.RpcMethodHandler[Any, Any]
) -> Callable[..., Any]:
    if handler.response_streaming:

        def stream(request: object, context: grpc.ServicerContext) -> Iterator[Any]:
            started, deadline, peer = call_facts(context)
            error: BaseException | None = None
            try:
                yield from behavior(request, context)
            except BaseException as caught:
                error = caught
                raise
            finally:
                log_call(method, final_code(context, error, deadline), started, peer)

        return stream

    def unary(request: object, context: grpc.ServicerContext) -> Any:
        started, deadline, peer = call_facts(context)
        error: BaseException | None = None
        try:
            return behavior(request, context)
        except BaseException as caught:
            error = caught
            raise
        finally:
            log_call(method, final_code(context, error, deadline), started, peer)

    return unary


def rewrap_handler(
    handler: grpc.RpcMethodHandler[Any, Any],
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> grpc.RpcMethodHandler[Any, Any]:
    """The same handler with its behaviour function replaced, whatever the RPC kind."""
    kwargs: dict[str, Any] = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(wrap(handler.unary_unary), **kwargs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(wrap(handler.unary_stream), **kwargs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(wrap(handler.stream_unary), **kwargs)
    if handler.stream_stream is not None:
        return grpc.stream_stream_rpc_method_handler(wrap(handler.stream_stream), **kwargs)
    return handler
