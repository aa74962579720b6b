"""Serve acme.analytics.v1: ``python -m services.analytics --port 50051 [--aio]``.

Token auth, TLS, the access log, graceful drain, health and reflection come from the shared
serving module ``services.common`` (``--help`` lists the options). Created by
``protokit gen``; this file is yours: gen never overwrites it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from acme.analytics.v1 import analytics_service_pb2_grpc

from services.analytics import servicer, servicer_aio
from services.common.cli import run_service
from services.common.config import ServerConfig
from services.common.server import RunningServer, ServiceSpec, start_server
from services.common.server_aio import AioServiceSpec, RunningAioServer, start_server_aio

SERVICE_NAMES: tuple[str, ...] = ("acme.analytics.v1.AnalyticsService",)
"""The gRPC services this server answers (health and reflection report them)."""


def serve(config: ServerConfig) -> RunningServer:
    """Start the sync server; ``config.port`` 0 picks a free port (``.port`` says which)."""
    return start_server(
        config,
        [
            ServiceSpec(
                "acme.analytics.v1.AnalyticsService",
                lambda server: analytics_service_pb2_grpc.add_AnalyticsServiceServicer_to_server(
                    servicer.AnalyticsService(), server
                ),
            ),
        ],
    )


async def serve_aio(config: ServerConfig) -> RunningAioServer:
    """Start the asyncio server; ``config.port`` 0 picks a free port (``.port`` says which)."""
    return await start_server_aio(
        config,
        [
            AioServiceSpec(
                "acme.analytics.v1.AnalyticsService",
                lambda server: analytics_service_pb2_grpc.add_AnalyticsServiceServicer_to_server(
                    servicer_aio.AnalyticsService(), server
                ),
            ),
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code."""
    return run_service(
        argv,
        prog="python -m services.analytics",
        description="Serve acme.analytics.v1 over gRPC.",
        serve=serve,
        serve_aio=serve_aio,
    )


if __name__ == "__main__":
    sys.exit(main())
