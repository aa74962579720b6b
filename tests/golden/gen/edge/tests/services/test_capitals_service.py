"""Starter tests for services.capitals (edge.capitals.v1).

Created by ``protokit gen``; this file is yours: gen never overwrites it. Every RPC answers
UNIMPLEMENTED until it is implemented; replace those checks with real ones as you go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import grpc
import pytest
from edge.capitals.v1 import capitals_pb2, capitals_pb2_grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from services.capitals.__main__ import SERVICE_NAMES, serve, serve_aio

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


def test_class__call_is_unimplemented(channel: grpc.Channel) -> None:
    stub = capitals_pb2_grpc.ClassStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.Call(capitals_pb2.Ping(), timeout=TIMEOUT)
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_none_watch_is_unimplemented(channel: grpc.Channel) -> None:
    stub = capitals_pb2_grpc.NoneStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        list(stub.Watch(capitals_pb2.Ping(), timeout=TIMEOUT))
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_true_send_is_unimplemented(channel: grpc.Channel) -> None:
    stub = capitals_pb2_grpc.TrueStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.Send(iter([capitals_pb2.Ping()]), timeout=TIMEOUT)
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_false_chat_is_unimplemented(channel: grpc.Channel) -> None:
    stub = capitals_pb2_grpc.FalseStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        list(stub.Chat(iter([capitals_pb2.Ping()]), timeout=TIMEOUT))
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_import__load_is_unimplemented(channel: grpc.Channel) -> None:
    stub = capitals_pb2_grpc.ImportStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.Load(capitals_pb2.Ping(), timeout=TIMEOUT)
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_every_rpc_is_unimplemented_over_asyncio() -> None:
    async def scenario() -> list[grpc.StatusCode]:
        server, port = await serve_aio(port=0)
        codes: list[grpc.StatusCode] = []
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as chan:
                class_ = capitals_pb2_grpc.ClassStub(chan)
                try:
                    await class_.Call(capitals_pb2.Ping(), timeout=TIMEOUT)
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                none = capitals_pb2_grpc.NoneStub(chan)
                try:
                    async for _ in none.Watch(capitals_pb2.Ping(), timeout=TIMEOUT):
                        pass
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                true = capitals_pb2_grpc.TrueStub(chan)
                try:
                    await true.Send(iter([capitals_pb2.Ping()]), timeout=TIMEOUT)
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                false = capitals_pb2_grpc.FalseStub(chan)
                try:
                    async for _ in false.Chat(iter([capitals_pb2.Ping()]), timeout=TIMEOUT):
                        pass
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                import_ = capitals_pb2_grpc.ImportStub(chan)
                try:
                    await import_.Load(capitals_pb2.Ping(), timeout=TIMEOUT)
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
        finally:
            await server.stop(None)
        return codes

    codes = asyncio.run(scenario())
    rpcs = 5
    assert codes == [grpc.StatusCode.UNIMPLEMENTED] * rpcs
