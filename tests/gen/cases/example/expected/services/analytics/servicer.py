"""Servicers for acme.analytics.v1 (sync gRPC).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc


class AnalyticsService(analytics_service_pb2_grpc.AnalyticsServiceServicer):
    """AnalyticsService collects events and serves live metrics and session analysis."""

    def SubscribeMetrics(
        self,
        request: analytics_service_pb2.SubscribeMetricsRequest,
        context: grpc.ServicerContext,
    ) -> Iterator[analytics_service_pb2.SubscribeMetricsResponse]:
        """SubscribeMetrics streams metric updates to a dashboard until it disconnects."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield analytics_service_pb2.SubscribeMetricsResponse()

    def ReportEvent(
        self,
        request_iterator: Iterator[analytics_service_pb2.ReportEventRequest],
        context: grpc.ServicerContext,
    ) -> analytics_service_pb2.ReportEventResponse:
        """ReportEvent receives a stream of events and reports how many were accepted."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    def AnalyzeSession(
        self,
        request_iterator: Iterator[analytics_service_pb2.AnalyzeSessionRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[analytics_service_pb2.AnalyzeSessionResponse]:
        """AnalyzeSession answers each user action in a session with analysis results as they are
        found.
        """
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield analytics_service_pb2.AnalyzeSessionResponse()
