"""Servicers for edge.shapes.v1 (sync gRPC).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from edge.legacy.v1 import legacy_pb2
from edge.shapes.v1 import shapes_pb2, shapes_pb2_grpc
from google.protobuf import empty_pb2


class Shapes(shapes_pb2_grpc.ShapesServicer):
    """Shapes uses well-known and cross-package types directly in its RPCs."""

    def Ping(
        self,
        request: empty_pb2.Empty,
        context: grpc.ServicerContext,
    ) -> empty_pb2.Empty:
        """Takes nothing, returns nothing."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    def Convert(
        self,
        request: shapes_pb2.Outer.Inner.Deeper,
        context: grpc.ServicerContext,
    ) -> legacy_pb2.Old:
        """A nested type as input, a cross-package type as output."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    def Stream(
        self,
        request_iterator: Iterator[shapes_pb2.Outer],
        context: grpc.ServicerContext,
    ) -> Iterator[shapes_pb2.Outer]:
        """Streams outers."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield shapes_pb2.Outer()
