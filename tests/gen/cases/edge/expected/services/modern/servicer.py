"""Servicers for edge.modern.v1 (sync gRPC).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

import grpc
from edge.modern.v1 import modern_pb2, modern_pb2_grpc


class Modern(modern_pb2_grpc.ModernServicer):
    """Modern serves editions messages."""

    def Echo(
        self,
        request: modern_pb2.New,
        context: grpc.ServicerContext,
    ) -> modern_pb2.New:
        """Echo."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
