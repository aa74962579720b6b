"""Starter tests for services.hostile (edge.hostile.v1).

Created by ``protokit gen``; this file is yours: gen never overwrites it. Every RPC is called
with a sample request (the ``values`` fixture of its request type, every field set). An RPC
that answers UNIMPLEMENTED is skipped as not implemented yet; an implemented one must answer OK
or a deliberate status, never UNKNOWN or INTERNAL (what an unhandled exception gives) and
never hang. Health and reflection are checked on every server flavour the package has.
Replace them with real tests as you go.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from edge.hostile.v1 import hostile_pb2, hostile_pb2_grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from services.common.config import ServerConfig
from services.hostile.__main__ import SERVICE_NAMES, serve, serve_aio

#: protokit's ``values`` fixture of a message class (a dev tool, imported when the tests run).
sample: Callable[[Any], Any] = importlib.import_module("protokit.evolution.fixtures").sample
TIMEOUT = 10.0
#: What an implementation answers by accident: an unhandled exception, a crash, a hang.
ACCIDENTAL = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.DEADLINE_EXCEEDED}


@dataclass(frozen=True)
class Rpc:
    """One RPC of the contract: how to reach it and what to send."""

    name: str
    kind: str  # unary_unary, unary_stream, stream_unary or stream_stream
    stub: Callable[[Any], Any]
    attribute: str
    request: Any

    def method(self, channel: Any) -> Any:
        return getattr(self.stub(channel), self.attribute)


RPCS = [
    Rpc(
        "Hostile.Poke",
        "unary_unary",
        hostile_pb2_grpc.HostileStub,
        "Poke",
        hostile_pb2.Trailing,
    ),
    Rpc(
        "Hostile.Prod",
        "stream_stream",
        hostile_pb2_grpc.HostileStub,
        "Prod",
        hostile_pb2.Trailing,
    ),
    Rpc(
        "Hostile.Quote",
        "unary_unary",
        hostile_pb2_grpc.HostileStub,
        "Quote",
        hostile_pb2.Trailing,
    ),
]
IDS = [rpc.name for rpc in RPCS]


def _deliberate(rpc: Rpc, code: grpc.StatusCode) -> None:
    if code is grpc.StatusCode.UNIMPLEMENTED:
        pytest.skip("not implemented yet")
    assert code not in ACCIDENTAL, f"{rpc.name} answered {code.name} to a sample request"


def _call(rpc: Rpc, channel: grpc.Channel) -> grpc.StatusCode:
    """Call ``rpc`` once with its sample request (one message for a client stream)."""
    request = sample(rpc.request)
    method = rpc.method(channel)
    streamed_in = iter([request]) if rpc.kind.startswith("stream_") else request
    try:
        answer = method(streamed_in, timeout=TIMEOUT)
        if rpc.kind.endswith("_stream"):
            list(answer)
    except grpc.RpcError as error:
        code: grpc.StatusCode = error.code()
        return code
    return grpc.StatusCode.OK


@pytest.fixture
def channel() -> Iterator[grpc.Channel]:
    running = serve(ServerConfig(port=0))
    try:
        with grpc.insecure_channel(running.target) as chan:
            yield chan
    finally:
        running.shutdown(grace=0)


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


@pytest.mark.parametrize("rpc", RPCS, ids=IDS)
def test_rpc_answers_a_sample_request_deliberately(channel: grpc.Channel, rpc: Rpc) -> None:
    _deliberate(rpc, _call(rpc, channel))


async def _call_aio(rpc: Rpc) -> grpc.StatusCode:
    """Start the asyncio server and call ``rpc`` once with its sample request."""
    running = await serve_aio(ServerConfig(port=0))
    request = sample(rpc.request)
    streamed_in = iter([request]) if rpc.kind.startswith("stream_") else request
    try:
        async with grpc.aio.insecure_channel(running.target) as chan:
            answer = rpc.method(chan)(streamed_in, timeout=TIMEOUT)
            if rpc.kind.endswith("_stream"):
                async for _ in answer:
                    pass
            else:
                await answer
    except grpc.aio.AioRpcError as error:
        return error.code()
    finally:
        await running.shutdown(grace=0)
    return grpc.StatusCode.OK


@pytest.mark.parametrize("rpc", RPCS, ids=IDS)
def test_rpc_answers_a_sample_request_deliberately_over_asyncio(rpc: Rpc) -> None:
    _deliberate(rpc, asyncio.run(_call_aio(rpc)))


async def _health_aio() -> list[Any]:
    """Start the asyncio server; the health status of the server ("") and of each service."""
    running = await serve_aio(ServerConfig(port=0))
    try:
        async with grpc.aio.insecure_channel(running.target) as chan:
            check = chan.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                response_deserializer=health_pb2.HealthCheckResponse.FromString,
            )
            return [
                (await check(health_pb2.HealthCheckRequest(service=name), timeout=TIMEOUT)).status
                for name in ("", *SERVICE_NAMES)
            ]
    finally:
        await running.shutdown(grace=0)


async def _listed_aio() -> set[str]:
    """Start the asyncio server; the service names its reflection lists."""
    running = await serve_aio(ServerConfig(port=0))
    try:
        async with grpc.aio.insecure_channel(running.target) as chan:
            info = chan.stream_stream(
                "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
            )
            request = reflection_pb2.ServerReflectionRequest(list_services="")
            return {
                s.name
                async for reply in info(iter([request]), timeout=TIMEOUT)
                for s in reply.list_services_response.service
            }
    finally:
        await running.shutdown(grace=0)


def test_health_reports_serving_over_asyncio() -> None:
    statuses = asyncio.run(_health_aio())
    assert statuses == [health_pb2.HealthCheckResponse.SERVING] * (1 + len(SERVICE_NAMES))


def test_reflection_lists_the_services_over_asyncio() -> None:
    assert set(SERVICE_NAMES) <= asyncio.run(_listed_aio())
