"""Servicers for edge.keywords.v1 (asyncio gRPC, ``grpc.aio``).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from edge.keywords.v1 import keywords_pb2, keywords_pb2_grpc


class print_(keywords_pb2_grpc.printServicer):
    """A service named like a builtin: its experimental class must not shadow `object`."""

    async def import_(
        self,
        request: keywords_pb2._r_class,
        context: grpc.aio.ServicerContext[keywords_pb2._r_class, keywords_pb2.object],
    ) -> keywords_pb2.object:
        """An RPC named like a keyword."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    async def match(
        self,
        request_iterator: AsyncIterator[keywords_pb2._r_class],
        context: grpc.aio.ServicerContext[keywords_pb2._r_class, keywords_pb2.object],
    ) -> AsyncIterator[keywords_pb2.object]:
        """An RPC named like a soft keyword."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield keywords_pb2.object()

    async def len(
        self,
        request: keywords_pb2._r_class,
        context: grpc.aio.ServicerContext[keywords_pb2._r_class, keywords_pb2.object],
    ) -> AsyncIterator[keywords_pb2.object]:
        """An RPC named like a builtin."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield keywords_pb2.object()

    async def Normal(
        self,
        request_iterator: AsyncIterator[keywords_pb2._r_class],
        context: grpc.aio.ServicerContext[keywords_pb2._r_class, keywords_pb2.object],
    ) -> keywords_pb2.object:
        """An ordinary RPC next to them."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")


class yield_(keywords_pb2_grpc.yieldServicer):
    """A service named like a keyword."""

    async def async_(
        self,
        request: keywords_pb2._r_class,
        context: grpc.aio.ServicerContext[keywords_pb2._r_class, keywords_pb2._r_class],
    ) -> keywords_pb2._r_class:
        """The only RPC."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
