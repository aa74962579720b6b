"""Servicers for edge.hostile.v1 (asyncio gRPC, ``grpc.aio``).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from edge.hostile.v1 import hostile_pb2, hostile_pb2_grpc


class Hostile(hostile_pb2_grpc.HostileServicer):
    """block comment: ''' single triple ''' and \"\"\" double triple \"\"\" and a lone " at the end\""""

    async def Poke(
        self,
        request: hostile_pb2.Trailing,
        context: grpc.aio.ServicerContext[hostile_pb2.Trailing, hostile_pb2.Trailing],
    ) -> hostile_pb2.Trailing:
        """\"\"\");import os;os.system("echo injected");(\"\"\""""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    async def Prod(
        self,
        request_iterator: AsyncIterator[hostile_pb2.Trailing],
        context: grpc.aio.ServicerContext[hostile_pb2.Trailing, hostile_pb2.Trailing],
    ) -> AsyncIterator[hostile_pb2.Trailing]:
        """{{ jinja }} {% raw %} ${shell} `backtick` and a backslash at the very end \\"""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield hostile_pb2.Trailing()

    async def Quote(
        self,
        request: hostile_pb2.Trailing,
        context: grpc.aio.ServicerContext[hostile_pb2.Trailing, hostile_pb2.Trailing],
    ) -> hostile_pb2.Trailing:
        """\""""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
