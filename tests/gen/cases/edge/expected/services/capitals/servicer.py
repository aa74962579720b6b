"""Servicers for edge.capitals.v1 (sync gRPC).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from edge.capitals.v1 import capitals_pb2, capitals_pb2_grpc


class Class(capitals_pb2_grpc.ClassServicer):
    """A service named Class."""

    def Call(
        self,
        request: capitals_pb2.Ping,
        context: grpc.ServicerContext,
    ) -> capitals_pb2.Ping:
        """A unary call."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")


class None_(capitals_pb2_grpc.NoneServicer):
    """A service named None."""

    def Watch(
        self,
        request: capitals_pb2.Ping,
        context: grpc.ServicerContext,
    ) -> Iterator[capitals_pb2.Ping]:
        """A server stream."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield capitals_pb2.Ping()


class True_(capitals_pb2_grpc.TrueServicer):
    """A service named True."""

    def Send(
        self,
        request_iterator: Iterator[capitals_pb2.Ping],
        context: grpc.ServicerContext,
    ) -> capitals_pb2.Ping:
        """A client stream."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")


class False_(capitals_pb2_grpc.FalseServicer):
    """A service named False."""

    def Chat(
        self,
        request_iterator: Iterator[capitals_pb2.Ping],
        context: grpc.ServicerContext,
    ) -> Iterator[capitals_pb2.Ping]:
        """A bidirectional stream."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield capitals_pb2.Ping()


class Import(capitals_pb2_grpc.ImportServicer):
    """A service named Import."""

    def Load(
        self,
        request: capitals_pb2.Ping,
        context: grpc.ServicerContext,
    ) -> capitals_pb2.Ping:
        """A unary call."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
