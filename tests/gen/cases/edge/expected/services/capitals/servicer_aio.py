"""Servicers for edge.capitals.v1 (asyncio gRPC, ``grpc.aio``).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from edge.capitals.v1 import capitals_pb2, capitals_pb2_grpc


class Class(capitals_pb2_grpc.ClassServicer):
    """A service named Class."""

    async def Call(
        self,
        request: capitals_pb2.Ping,
        context: grpc.aio.ServicerContext[capitals_pb2.Ping, capitals_pb2.Ping],
    ) -> capitals_pb2.Ping:
        """A unary call."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")


class None_(capitals_pb2_grpc.NoneServicer):
    """A service named None."""

    async def Watch(
        self,
        request: capitals_pb2.Ping,
        context: grpc.aio.ServicerContext[capitals_pb2.Ping, capitals_pb2.Ping],
    ) -> AsyncIterator[capitals_pb2.Ping]:
        """A server stream."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield capitals_pb2.Ping()


class True_(capitals_pb2_grpc.TrueServicer):
    """A service named True."""

    async def Send(
        self,
        request_iterator: AsyncIterator[capitals_pb2.Ping],
        context: grpc.aio.ServicerContext[capitals_pb2.Ping, capitals_pb2.Ping],
    ) -> capitals_pb2.Ping:
        """A client stream."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")


class False_(capitals_pb2_grpc.FalseServicer):
    """A service named False."""

    async def Chat(
        self,
        request_iterator: AsyncIterator[capitals_pb2.Ping],
        context: grpc.aio.ServicerContext[capitals_pb2.Ping, capitals_pb2.Ping],
    ) -> AsyncIterator[capitals_pb2.Ping]:
        """A bidirectional stream."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield capitals_pb2.Ping()


class Import(capitals_pb2_grpc.ImportServicer):
    """A service named Import."""

    async def Load(
        self,
        request: capitals_pb2.Ping,
        context: grpc.aio.ServicerContext[capitals_pb2.Ping, capitals_pb2.Ping],
    ) -> capitals_pb2.Ping:
        """A unary call."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
