"""Run InventoryService: ``python -m services.inventory --port 50051 [--aio] [--token T]``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from acme.inventory.v1 import inventory_service_pb2, inventory_service_pb2_grpc

from services.common.cli import run_service
from services.common.config import ServerConfig
from services.common.server import RunningServer, ServiceSpec, start_server
from services.common.server_aio import AioServiceSpec, RunningAioServer, start_server_aio
from services.inventory import servicer, servicer_aio
from services.inventory.store import InventoryStore

SERVICE_NAME = inventory_service_pb2.DESCRIPTOR.services_by_name["InventoryService"].full_name


def serve(config: ServerConfig, store: InventoryStore | None = None) -> RunningServer:
    """Start InventoryService on a sync server and return it running."""
    implementation = servicer.InventoryService(store or InventoryStore.with_sample_data())
    return start_server(
        config,
        [
            ServiceSpec(
                SERVICE_NAME,
                lambda server: inventory_service_pb2_grpc.add_InventoryServiceServicer_to_server(
                    implementation, server
                ),
            )
        ],
    )


async def serve_aio(config: ServerConfig, store: InventoryStore | None = None) -> RunningAioServer:
    """Start InventoryService on an asyncio server and return it running."""
    implementation = servicer_aio.InventoryService(store or InventoryStore.with_sample_data())
    return await start_server_aio(
        config,
        [
            AioServiceSpec(
                SERVICE_NAME,
                lambda server: inventory_service_pb2_grpc.add_InventoryServiceServicer_to_server(
                    implementation, server
                ),
            )
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code."""
    return run_service(
        argv,
        prog="python -m services.inventory",
        description="Serve acme.inventory.v1.InventoryService from an in-memory catalogue.",
        serve=serve,
        serve_aio=serve_aio,
    )


if __name__ == "__main__":
    sys.exit(main())
