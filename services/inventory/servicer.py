"""InventoryService for the sync server (``grpc.server``)."""

from __future__ import annotations

import grpc
from acme.inventory.v1 import inventory_service_pb2, inventory_service_pb2_grpc

from services.common.errors import ServiceError, abort
from services.inventory.convert import availability
from services.inventory.store import InventoryStore


class InventoryService(inventory_service_pb2_grpc.InventoryServiceServicer):
    """InventoryService answers stock questions about the products in the catalogue."""

    def __init__(self, store: InventoryStore) -> None:
        self._store = store

    def GetProductAvailability(
        self,
        request: inventory_service_pb2.GetProductAvailabilityRequest,
        context: grpc.ServicerContext,
    ) -> inventory_service_pb2.GetProductAvailabilityResponse:
        """GetProductAvailability reports whether a product can be ordered and how many units are in stock."""  # noqa: E501
        try:
            return availability(self._store.get(request.product_id))
        except ServiceError as error:
            abort(context, error)
