"""Servicers for edge.keywords.v1 (sync gRPC).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from edge.keywords.v1 import keywords_pb2, keywords_pb2_grpc


class print_(keywords_pb2_grpc.printServicer):
    """A service named like a builtin: its experimental class must not shadow `object`."""

    def import_(
        self,
        request: keywords_pb2._r_class,
        context: grpc.ServicerContext,
    ) -> keywords_pb2.object:
        """An RPC named like a keyword."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    def match(
        self,
        request_iterator: Iterator[keywords_pb2._r_class],
        context: grpc.ServicerContext,
    ) -> Iterator[keywords_pb2.object]:
        """An RPC named like a soft keyword."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield keywords_pb2.object()

    def len(
        self,
        request: keywords_pb2._r_class,
        context: grpc.ServicerContext,
    ) -> Iterator[keywords_pb2.object]:
        """An RPC named like a builtin."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield keywords_pb2.object()

    def Normal(
        self,
        request_iterator: Iterator[keywords_pb2._r_class],
        context: grpc.ServicerContext,
    ) -> keywords_pb2.object:
        """An ordinary RPC next to them."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")


class yield_(keywords_pb2_grpc.yieldServicer):
    """A service named like a keyword."""

    def async_(
        self,
        request: keywords_pb2._r_class,
        context: grpc.ServicerContext,
    ) -> keywords_pb2._r_class:
        """The only RPC."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
