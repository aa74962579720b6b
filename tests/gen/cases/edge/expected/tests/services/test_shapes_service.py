"""Starter tests for services.shapes (edge.shapes.v1).

Created by ``protokit gen``; this file is yours: gen never overwrites it. Every RPC answers
UNIMPLEMENTED until it is implemented; replace those checks with real ones as you go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import grpc
import pytest
from edge.shapes.v1 import shapes_pb2, shapes_pb2_grpc
from google.protobuf import empty_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from services.shapes.__main__ import SERVICE_NAMES, serve, serve_aio

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


def test_shapes_ping_is_unimplemented(channel: grpc.Channel) -> None:
    stub = shapes_pb2_grpc.ShapesStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.Ping(empty_pb2.Empty(), timeout=TIMEOUT)
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_shapes_convert_is_unimplemented(channel: grpc.Channel) -> None:
    stub = shapes_pb2_grpc.ShapesStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.Convert(shapes_pb2.Outer.Inner.Deeper(), timeout=TIMEOUT)
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_shapes_stream_is_unimplemented(channel: grpc.Channel) -> None:
    stub = shapes_pb2_grpc.ShapesStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        list(stub.Stream(iter([shapes_pb2.Outer()]), timeout=TIMEOUT))
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_every_rpc_is_unimplemented_over_asyncio() -> None:
    async def scenario() -> list[grpc.StatusCode]:
        server, port = await serve_aio(port=0)
        codes: list[grpc.StatusCode] = []
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as chan:
                shapes = shapes_pb2_grpc.ShapesStub(chan)
                try:
                    await shapes.Ping(empty_pb2.Empty(), timeout=TIMEOUT)
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                try:
                    await shapes.Convert(shapes_pb2.Outer.Inner.Deeper(), timeout=TIMEOUT)
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                try:
                    async for _ in shapes.Stream(iter([shapes_pb2.Outer()]), timeout=TIMEOUT):
                        pass
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
        finally:
            await server.stop(None)
        return codes

    codes = asyncio.run(scenario())
    rpcs = 3
    assert codes == [grpc.StatusCode.UNIMPLEMENTED] * rpcs
