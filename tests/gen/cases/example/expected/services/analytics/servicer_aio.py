"""Servicers for acme.analytics.v1 (asyncio gRPC, ``grpc.aio``).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc


class AnalyticsService(analytics_service_pb2_grpc.AnalyticsServiceServicer):
    """AnalyticsService collects events and serves live metrics and session analysis."""

    async def SubscribeMetrics(
        self,
        request: analytics_service_pb2.SubscribeMetricsRequest,
        context: grpc.aio.ServicerContext[
            analytics_service_pb2.SubscribeMetricsRequest,
            analytics_service_pb2.SubscribeMetricsResponse,
        ],
    ) -> AsyncIterator[analytics_service_pb2.SubscribeMetricsResponse]:
        """SubscribeMetrics streams metric updates to a dashboard until it disconnects."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield analytics_service_pb2.SubscribeMetricsResponse()

    async def ReportEvent(
        self,
        request_iterator: AsyncIterator[analytics_service_pb2.ReportEventRequest],
        context: grpc.aio.ServicerContext[
            analytics_service_pb2.ReportEventRequest, analytics_service_pb2.ReportEventResponse
        ],
    ) -> analytics_service_pb2.ReportEventResponse:
        """ReportEvent receives a stream of events and reports how many were accepted."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    async def AnalyzeSession(
        self,
        request_iterator: AsyncIterator[analytics_service_pb2.AnalyzeSessionRequest],
        context: grpc.aio.ServicerContext[
            analytics_service_pb2.AnalyzeSessionRequest,
            analytics_service_pb2.AnalyzeSessionResponse,
        ],
    ) -> AsyncIterator[analytics_service_pb2.AnalyzeSessionResponse]:
        """AnalyzeSession answers each user action in a session with analysis results as they are
        found.
        """
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield analytics_service_pb2.AnalyzeSessionResponse()
