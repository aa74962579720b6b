"""Store records to protobuf messages, shared by the sync and asyncio servicers."""

from __future__ import annotations

from acme.inventory.v1 import inventory_service_pb2

from services.inventory.store import StockRecord


def availability(record: StockRecord) -> inventory_service_pb2.GetProductAvailabilityResponse:
    """The availability answer for one stock record."""
    response = inventory_service_pb2.GetProductAvailabilityResponse(
        product_id=record.product_id,
        available=record.available,
        quantity=record.quantity,
        quantity_by_warehouse=dict(record.quantity_by_warehouse),
    )
    response.updated_at.FromDatetime(record.updated_at)
    return response
