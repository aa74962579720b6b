"""AnalyticsService for the sync server (``grpc.server``)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc

from services.analytics.logic import EventTally, coalesce, locate, min_interval_seconds
from services.analytics.metrics import MetricsHub
from services.analytics.session import SessionAnalyzer
from services.common.errors import InvalidArgument, ServiceError, Unavailable, abort
from services.common.mailbox import CloseReason, MailboxClosed

_pb = analytics_service_pb2
#: How often a waiting stream re-checks that its call is still alive, as a safety net for the
#: termination callback that normally wakes it at once.
_POLL_SECONDS = 1.0


class AnalyticsService(analytics_service_pb2_grpc.AnalyticsServiceServicer):
    """AnalyticsService collects events and serves live metrics and session analysis."""

    def __init__(self, hub: MetricsHub) -> None:
        self._hub = hub

    def SubscribeMetrics(
        self, request: _pb.SubscribeMetricsRequest, context: grpc.ServicerContext
    ) -> Iterator[_pb.SubscribeMetricsResponse]:
        """SubscribeMetrics streams metric updates to a dashboard until it disconnects."""
        try:
            interval = min_interval_seconds(request)
            subscription = self._hub.subscribe(request.dashboard_id, request.types)
        except ServiceError as error:
            abort(context, error)
        # Cancellation, a passed deadline or a dropped connection end the call; the callback
        # unsubscribes at once, which also wakes this thread if it is waiting for an update.
        if not context.add_callback(lambda: self._hub.unsubscribe(subscription)):
            self._hub.unsubscribe(subscription)
            return
        try:
            while True:
                try:
                    delivery = subscription.mailbox.get(timeout=_POLL_SECONDS)
                    if delivery is None:
                        if not context.is_active():
                            return
                        continue
                    # With a pause, what queued up meanwhile goes out as the newest values.
                    batch = [delivery, *subscription.mailbox.drain()] if interval else [delivery]
                except MailboxClosed as closed:
                    if closed.reason is CloseReason.SHUTDOWN:
                        abort(context, Unavailable("the server is shutting down; resubscribe"))
                    return
                yield from coalesce(batch)
                if interval:
                    subscription.mailbox.wait_closed(interval)
        finally:
            self._hub.unsubscribe(subscription)

    def ReportEvent(
        self, request_iterator: Iterator[_pb.ReportEventRequest], context: grpc.ServicerContext
    ) -> _pb.ReportEventResponse:
        """ReportEvent receives a stream of events and reports how many were accepted."""
        tally = EventTally()
        for request in request_iterator:
            try:
                tally.count(self._hub.record(request.event))
            except InvalidArgument as error:
                abort(context, locate(error, tally.received, tally.accepted))
        return tally.response()

    def AnalyzeSession(
        self,
        request_iterator: Iterator[_pb.AnalyzeSessionRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[_pb.AnalyzeSessionResponse]:
        """AnalyzeSession answers each user action in a session with analysis results as they are found."""  # noqa: E501
        analyzer = SessionAnalyzer()
        for request in request_iterator:
            try:
                yield analyzer.analyze(request)
            except ServiceError as error:
                abort(context, error)
