"""Server interceptors for ``grpc.server``: access logging and bearer-token authentication."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import grpc

from services.common.auth import TokenChecker

ACCESS_LOG = logging.getLogger("services.access")

if TYPE_CHECKING:
    _Continuation = Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None]


def final_code(context: grpc.ServicerContext, failed: bool) -> grpc.StatusCode:
    """The status a finished sync handler ends with, as far as the server knows it."""
    explicit: grpc.StatusCode | None = getattr(context, "code", lambda: None)()
    if explicit is not None:
        return explicit
    if failed:
        return grpc.StatusCode.UNKNOWN
    if not context.is_active():
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.OK


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
            started = time.monotonic()
            failed = False
            try:
                yield from behavior(request, context)
            except BaseException:
                failed = True
                raise
            finally:
                log_call(method, final_code(context, failed), started, context.peer())

        return stream

    def unary(request: object, context: grpc.ServicerContext) -> Any:
        started = time.monotonic()
        failed = False
        try:
            return behavior(request, context)
        except BaseException:
            failed = True
            raise
        finally:
            log_call(method, final_code(context, failed), started, context.peer())

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
