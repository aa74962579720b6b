"""AnalyticsService for the asyncio server (``grpc.aio.server``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc.aio
from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc

from services.analytics.logic import EventTally, coalesce, locate, min_interval_seconds
from services.analytics.metrics import MetricsHub
from services.analytics.session import SessionAnalyzer
from services.common.errors import InvalidArgument, ServiceError, Unavailable, abort_aio
from services.common.mailbox import CloseReason, MailboxClosed

_pb = analytics_service_pb2


class AnalyticsService(analytics_service_pb2_grpc.AnalyticsServiceServicer):
    """AnalyticsService collects events and serves live metrics and session analysis."""

    def __init__(self, hub: MetricsHub) -> None:
        self._hub = hub

    async def SubscribeMetrics(
        self,
        request: _pb.SubscribeMetricsRequest,
        context: grpc.aio.ServicerContext[
            _pb.SubscribeMetricsRequest, _pb.SubscribeMetricsResponse
        ],
    ) -> AsyncIterator[_pb.SubscribeMetricsResponse]:
        """SubscribeMetrics streams metric updates to a dashboard until it disconnects."""
        try:
            interval = min_interval_seconds(request)
            subscription = self._hub.subscribe(
                request.dashboard_id, request.types, loop=asyncio.get_running_loop()
            )
        except ServiceError as error:
            await abort_aio(context, error)
        try:
            while True:
                try:
                    delivery = await subscription.mailbox.aget()
                    # With a pause, what queued up meanwhile goes out as the newest values.
                    batch = [delivery, *subscription.mailbox.drain()] if interval else [delivery]
                except MailboxClosed as closed:
                    if closed.reason is CloseReason.SHUTDOWN:
                        await abort_aio(context, Unavailable("the server is shutting down"))
                    return
                for response in coalesce(batch):
                    yield response
                if interval:
                    await subscription.mailbox.await_closed(interval)
        finally:
            # Also runs when the call is cancelled: the client cancelled, its deadline passed
            # or the connection dropped, and grpc.aio cancelled this task.
            self._hub.unsubscribe(subscription)

    async def ReportEvent(
        self,
        request_iterator: AsyncIterator[_pb.ReportEventRequest],
        context: grpc.aio.ServicerContext[_pb.ReportEventRequest, _pb.ReportEventResponse],
    ) -> _pb.ReportEventResponse:
        """ReportEvent receives a stream of events and reports how many were accepted."""
        tally = EventTally()
        async for request in request_iterator:
            try:
                tally.count(self._hub.record(request.event))
            except InvalidArgument as error:
                await abort_aio(context, locate(error, tally.received, tally.accepted))
        return tally.response()

    async def AnalyzeSession(
        self,
        request_iterator: AsyncIterator[_pb.AnalyzeSessionRequest],
        context: grpc.aio.ServicerContext[_pb.AnalyzeSessionRequest, _pb.AnalyzeSessionResponse],
    ) -> AsyncIterator[_pb.AnalyzeSessionResponse]:
        """AnalyzeSession answers each user action in a session with analysis results as they are found."""  # noqa: E501
        analyzer = SessionAnalyzer()
        async for request in request_iterator:
            try:
                response = analyzer.analyze(request)
            except ServiceError as error:
                await abort_aio(context, error)
            yield response
