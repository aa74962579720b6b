"""Servicers for edge.shapes.v1 (asyncio gRPC, ``grpc.aio``).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from edge.legacy.v1 import legacy_pb2
from edge.shapes.v1 import shapes_pb2, shapes_pb2_grpc
from google.protobuf import empty_pb2


class Shapes(shapes_pb2_grpc.ShapesServicer):
    """Shapes uses well-known and cross-package types directly in its RPCs."""

    async def Ping(
        self,
        request: empty_pb2.Empty,
        context: grpc.aio.ServicerContext[empty_pb2.Empty, empty_pb2.Empty],
    ) -> empty_pb2.Empty:
        """Takes nothing, returns nothing."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    async def Convert(
        self,
        request: shapes_pb2.Outer.Inner.Deeper,
        context: grpc.aio.ServicerContext[shapes_pb2.Outer.Inner.Deeper, legacy_pb2.Old],
    ) -> legacy_pb2.Old:
        """A nested type as input, a cross-package type as output."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    async def Stream(
        self,
        request_iterator: AsyncIterator[shapes_pb2.Outer],
        context: grpc.aio.ServicerContext[shapes_pb2.Outer, shapes_pb2.Outer],
    ) -> AsyncIterator[shapes_pb2.Outer]:
        """Streams outers."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield shapes_pb2.Outer()
