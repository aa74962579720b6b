"""Starter tests for services.user (acme.user.v1).

Created by ``protokit gen``; this file is yours: gen never overwrites it. Every RPC answers
UNIMPLEMENTED until it is implemented; replace those checks with real ones as you go.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import grpc
import pytest
from acme.user.v1 import user_service_pb2, user_service_pb2_grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from services.user.__main__ import SERVICE_NAMES, serve, serve_aio

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


def test_user_service_get_user_is_unimplemented(channel: grpc.Channel) -> None:
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetUser(user_service_pb2.GetUserRequest(), timeout=TIMEOUT)
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_user_service_list_users_is_unimplemented(channel: grpc.Channel) -> None:
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        list(stub.ListUsers(user_service_pb2.ListUsersRequest(), timeout=TIMEOUT))
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_user_service_update_user_is_unimplemented(channel: grpc.Channel) -> None:
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.UpdateUser(iter([user_service_pb2.UpdateUserRequest()]), timeout=TIMEOUT)
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_user_service_create_users_is_unimplemented(channel: grpc.Channel) -> None:
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.CreateUsers(iter([user_service_pb2.CreateUsersRequest()]), timeout=TIMEOUT)
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_user_service_chat_support_is_unimplemented(channel: grpc.Channel) -> None:
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        list(stub.ChatSupport(iter([user_service_pb2.ChatSupportRequest()]), timeout=TIMEOUT))
    assert _code(raised.value) is grpc.StatusCode.UNIMPLEMENTED


def test_every_rpc_is_unimplemented_over_asyncio() -> None:
    async def scenario() -> list[grpc.StatusCode]:
        server, port = await serve_aio(port=0)
        codes: list[grpc.StatusCode] = []
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as chan:
                user_service = user_service_pb2_grpc.UserServiceStub(chan)
                try:
                    await user_service.GetUser(user_service_pb2.GetUserRequest(), timeout=TIMEOUT)
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                try:
                    async for _ in user_service.ListUsers(
                        user_service_pb2.ListUsersRequest(), timeout=TIMEOUT
                    ):
                        pass
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                try:
                    await user_service.UpdateUser(
                        iter([user_service_pb2.UpdateUserRequest()]), timeout=TIMEOUT
                    )
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                try:
                    await user_service.CreateUsers(
                        iter([user_service_pb2.CreateUsersRequest()]), timeout=TIMEOUT
                    )
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                try:
                    async for _ in user_service.ChatSupport(
                        iter([user_service_pb2.ChatSupportRequest()]), timeout=TIMEOUT
                    ):
                        pass
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
        finally:
            await server.stop(None)
        return codes

    codes = asyncio.run(scenario())
    rpcs = 5
    assert codes == [grpc.StatusCode.UNIMPLEMENTED] * rpcs
