"""Servicers for edge.hostile.v1 (sync gRPC).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from edge.hostile.v1 import hostile_pb2, hostile_pb2_grpc


class Hostile(hostile_pb2_grpc.HostileServicer):
    """block comment: ''' single triple ''' and \"\"\" double triple \"\"\" and a lone " at the end\""""

    def Poke(
        self,
        request: hostile_pb2.Trailing,
        context: grpc.ServicerContext,
    ) -> hostile_pb2.Trailing:
        """\"\"\");import os;os.system("echo injected");(\"\"\""""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    def Prod(
        self,
        request_iterator: Iterator[hostile_pb2.Trailing],
        context: grpc.ServicerContext,
    ) -> Iterator[hostile_pb2.Trailing]:
        """{{ jinja }} {% raw %} ${shell} `backtick` and a backslash at the very end \\"""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield hostile_pb2.Trailing()

    def Quote(
        self,
        request: hostile_pb2.Trailing,
        context: grpc.ServicerContext,
    ) -> hostile_pb2.Trailing:
        """\""""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
