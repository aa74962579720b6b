"""Starter tests for services.analytics (acme.analytics.v1).

Created by ``protokit gen``; this file is yours: gen never overwrites it. Every RPC answers
UNIMPLEMENTED until it is implemented; replace those checks with real ones as you go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import grpc
import pytest
from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from services.analytics.__main__ import SERVICE_NAMES, serve, serve_aio

TIMEOUT = 10.0


@pytest.fixture
def channel() -> Iterator[grpc.Channel]:
    server, port = serve(port=0)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
            yield chan
    finally:
        server.stop(None)


def _code(error: BaseException) -> grpc.StatusCode:
    assert isinstance(error, grpc.Call)
    return error.code()


def test_health_reports_serving(channel: grpc.Channel) -> None:
    check = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    for name in ("", *SERVICE_NAMES):
        reply = check(health_pb2.HealthCheckRequest(service=name), timeout=TIMEOUT)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_services(channel: grpc.Channel) -> None:
    info = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    replies = info(iter([request]), timeout=TIMEOUT)
    listed = {s.name for reply in replies for s in reply.list_services_response.service}
    assert set(SERVICE_NAMES) <= listed


def test_analytics_service_subscribe_metrics_is_unimplemented(channel: grpc.Channel) -> None:
    stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        list(
            stub.SubscribeMetrics(analytics_service_pb2.SubscribeMetricsRequest(), timeout=TIMEOUT)
        )
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_analytics_service_report_event_is_unimplemented(channel: grpc.Channel) -> None:
    stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.ReportEvent(iter([analytics_service_pb2.ReportEventRequest()]), timeout=TIMEOUT)
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_analytics_service_analyze_session_is_unimplemented(channel: grpc.Channel) -> None:
    stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        list(
            stub.AnalyzeSession(
                iter([analytics_service_pb2.AnalyzeSessionRequest()]), timeout=TIMEOUT
            )
        )
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_every_rpc_is_unimplemented_over_asyncio() -> None:
    async def scenario() -> list[grpc.StatusCode]:
        server, port = await serve_aio(port=0)
        codes: list[grpc.StatusCode] = []
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as chan:
                analytics_service = analytics_service_pb2_grpc.AnalyticsServiceStub(chan)
                try:
                    async for _ in analytics_service.SubscribeMetrics(
                        analytics_service_pb2.SubscribeMetricsRequest(), timeout=TIMEOUT
                    ):
                        pass
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                try:
                    await analytics_service.ReportEvent(
                        iter([analytics_service_pb2.ReportEventRequest()]), timeout=TIMEOUT
                    )
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                try:
                    async for _ in analytics_service.AnalyzeSession(
                        iter([analytics_service_pb2.AnalyzeSessionRequest()]), timeout=TIMEOUT
                    ):
                        pass
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
        finally:
            await server.stop(None)
        return codes

    codes = asyncio.run(scenario())
    rpcs = 3
    assert codes == [grpc.StatusCode.UNIMPLEMENTED] * rpcs
