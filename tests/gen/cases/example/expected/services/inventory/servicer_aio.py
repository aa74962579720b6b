"""Servicers for acme.inventory.v1 (asyncio gRPC, ``grpc.aio``).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

import grpc
from acme.inventory.v1 import inventory_service_pb2, inventory_service_pb2_grpc


class InventoryService(inventory_service_pb2_grpc.InventoryServiceServicer):
    """InventoryService answers stock questions about the products in the catalogue."""

    async def GetProductAvailability(
        self,
        request: inventory_service_pb2.GetProductAvailabilityRequest,
        context: grpc.aio.ServicerContext[
            inventory_service_pb2.GetProductAvailabilityRequest,
            inventory_service_pb2.GetProductAvailabilityResponse,
        ],
    ) -> inventory_service_pb2.GetProductAvailabilityResponse:
        """GetProductAvailability reports whether a product can be ordered and how many units are
        in stock.
        """
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
