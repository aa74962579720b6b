"""Server interceptors for ``grpc.aio.server``: access logging and bearer-token authentication."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio

from services.common.auth import TokenChecker
from services.common.interceptors import call_facts, log_call, rewrap_handler

if TYPE_CHECKING:
    _Continuation = Callable[
        [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
    ]
    _Context = grpc.aio.ServicerContext[Any, Any]


def final_code(
    context: _Context, error: BaseException | None, deadline: float | None
) -> grpc.StatusCode:
    """The status a finished asyncio handler ends with, as far as the server knows it.

    A cancelled call is told apart from an expired one by the deadline noted when it began:
    once grpc.aio has cancelled a call, touching its context (``time_remaining()``, ``peer()``)
    can crash the process in grpcio 1.85, so nothing here does.
    """
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        # grpc.aio cancels a handler task, or closes a streaming handler's generator, when the
        # client cancels, its deadline passes or the connection drops.
        if deadline is not None and time.monotonic() >= deadline:
            return grpc.StatusCode.DEADLINE_EXCEEDED
        return grpc.StatusCode.CANCELLED
    explicit = context.code()
    if explicit is not None:
        return explicit
    return grpc.StatusCode.UNKNOWN if error is not None else grpc.StatusCode.OK


class LoggingInterceptor(grpc.aio.ServerInterceptor):
    """Logs every call's method, final status and duration once the handler is done."""

    async def intercept_service(
        self, continuation: _Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        return rewrap_handler(handler, lambda behavior: _logged(method, behavior))


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without ``authorization: Bearer <token>`` with ``UNAUTHENTICATED``."""

    def __init__(self, checker: TokenChecker) -> None:
        self._checker = checker

    async def intercept_service(
        self, continuation: _Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None or self._checker.is_public(handler_call_details.method):
            return handler
        problem = self._checker.problem(handler_call_details.invocation_metadata)
        if problem is None:
            return handler

        async def deny(request: object, context: _Context) -> Any:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, problem)

        return rewrap_handler(handler, lambda _behavior: deny)


def _logged(method: str, behavior: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(behavior):

        async def stream(request: object, context: _Context) -> AsyncIterator[Any]:
            started, deadline, peer = call_facts(context)
            error: BaseException | None = None
            try:
                async for response in behavior(request, context):
                    yield response
            except BaseException as caught:
                error = caught
                raise
            finally:
                log_call(method, final_code(context, error, deadline), started, peer)

        return stream

    if inspect.iscoroutinefunction(behavior):

        async def unary(request: object, context: _Context) -> Any:
            started, deadline, peer = call_facts(context)
            error: BaseException | None = None
            try:
                return await behavior(request, context)
            except BaseException as caught:
                error = caught
                raise
            finally:
                log_call(method, final_code(context, error, deadline), started, peer)

        return unary

    # A plain function runs in the server's thread pool; leave it as it is.
    return behavior
