"""InventoryService end to end: sync and asyncio clients against sync and asyncio servers."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import grpc.aio
import pytest
from acme.inventory.v1 import inventory_service_pb2, inventory_service_pb2_grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from service_harness import RPC_TIMEOUT, Served, run_async

_pb = inventory_service_pb2


def test_stocked_product_is_available_with_its_warehouses_summed(
    inventory_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = inventory_service_pb2_grpc.InventoryServiceStub(channel(inventory_server))

    response = stub.GetProductAvailability(
        _pb.GetProductAvailabilityRequest(product_id="sku-1001"), timeout=RPC_TIMEOUT
    )

    assert response.product_id == "sku-1001"
    assert response.available is True
    assert response.quantity == 42
    assert dict(response.quantity_by_warehouse) == {"ams-1": 12, "fra-2": 30}
    assert response.updated_at.seconds > 0


def test_product_with_no_units_is_not_available(
    inventory_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = inventory_service_pb2_grpc.InventoryServiceStub(channel(inventory_server))

    response = stub.GetProductAvailability(
        _pb.GetProductAvailabilityRequest(product_id="sku-1002"), timeout=RPC_TIMEOUT
    )

    assert (response.available, response.quantity) == (False, 0)


def test_unknown_product_is_not_found_with_resource_info_and_a_suggestion(
    inventory_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = inventory_service_pb2_grpc.InventoryServiceStub(channel(inventory_server))

    with pytest.raises(grpc.RpcError) as raised:
        stub.GetProductAvailability(
            _pb.GetProductAvailabilityRequest(product_id="sku-101"), timeout=RPC_TIMEOUT
        )

    error = raised.value
    assert isinstance(error, grpc.Call)
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert error.details() == "no product 'sku-101' in the catalogue; did you mean 'sku-1001'?"
    status = rpc_status.from_call(error)
    assert status is not None
    info = error_details_pb2.ResourceInfo()
    assert status.details[0].Unpack(info)
    assert (info.resource_type, info.resource_name) == ("acme.inventory.v1.Product", "sku-101")


def test_empty_product_id_is_invalid_argument_naming_the_field(
    inventory_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = inventory_service_pb2_grpc.InventoryServiceStub(channel(inventory_server))

    with pytest.raises(grpc.RpcError) as raised:
        stub.GetProductAvailability(
            _pb.GetProductAvailabilityRequest(product_id=""), timeout=RPC_TIMEOUT
        )

    error = raised.value
    assert isinstance(error, grpc.Call)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(error)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [
        ("product_id", "must not be empty")
    ]


def test_asyncio_client_gets_availability_and_rich_not_found(inventory_server: Served) -> None:
    async def scenario() -> tuple[int, grpc.StatusCode, str]:
        async with grpc.aio.insecure_channel(inventory_server.target) as aio_channel:
            stub = inventory_service_pb2_grpc.InventoryServiceStub(aio_channel)
            found = await stub.GetProductAvailability(
                _pb.GetProductAvailabilityRequest(product_id="sku-2001"), timeout=RPC_TIMEOUT
            )
            call = stub.GetProductAvailability(
                _pb.GetProductAvailabilityRequest(product_id="sku-9999"), timeout=RPC_TIMEOUT
            )
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await call
            status = await rpc_status.aio.from_call(call)
            assert status is not None
            info = error_details_pb2.ResourceInfo()
            assert status.details[0].Unpack(info)
            return found.quantity, raised.value.code(), info.resource_name

    assert run_async(scenario()) == (267, grpc.StatusCode.NOT_FOUND, "sku-9999")
