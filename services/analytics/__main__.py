"""Run AnalyticsService: ``python -m services.analytics --port 50053 [--aio] [--token T]``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc

from services.analytics import servicer, servicer_aio
from services.analytics.metrics import MetricsHub
from services.common.cli import run_service
from services.common.config import ServerConfig
from services.common.server import RunningServer, ServiceSpec, start_server
from services.common.server_aio import AioServiceSpec, RunningAioServer, start_server_aio

SERVICE_NAME = analytics_service_pb2.DESCRIPTOR.services_by_name["AnalyticsService"].full_name


def serve(config: ServerConfig, hub: MetricsHub | None = None) -> RunningServer:
    """Start AnalyticsService on a sync server and return it running."""
    hub = hub or MetricsHub()
    implementation = servicer.AnalyticsService(hub)
    return start_server(
        config,
        [
            ServiceSpec(
                SERVICE_NAME,
                lambda server: analytics_service_pb2_grpc.add_AnalyticsServiceServicer_to_server(
                    implementation, server
                ),
            )
        ],
        on_shutdown=[hub.close_all],
    )


async def serve_aio(config: ServerConfig, hub: MetricsHub | None = None) -> RunningAioServer:
    """Start AnalyticsService on an asyncio server and return it running."""
    hub = hub or MetricsHub()
    implementation = servicer_aio.AnalyticsService(hub)
    return await start_server_aio(
        config,
        [
            AioServiceSpec(
                SERVICE_NAME,
                lambda server: analytics_service_pb2_grpc.add_AnalyticsServiceServicer_to_server(
                    implementation, server
                ),
            )
        ],
        on_shutdown=[hub.close_all],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code."""
    return run_service(
        argv,
        prog="python -m services.analytics",
        description="Serve acme.analytics.v1.AnalyticsService: live metrics and session analysis.",
        serve=serve,
        serve_aio=serve_aio,
    )


if __name__ == "__main__":
    sys.exit(main())
