"""Serve edge.capitals.v1: ``python -m services.capitals --port 50051 [--aio]``.

Token auth, TLS, the access log, graceful drain, health and reflection come from the shared
serving module ``services.common`` (``--help`` lists the options). Created by
``protokit gen``; this file is yours: gen never overwrites it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from edge.capitals.v1 import capitals_pb2_grpc

from services.capitals import servicer, servicer_aio
from services.common.cli import run_service
from services.common.config import ServerConfig
from services.common.server import RunningServer, ServiceSpec, start_server
from services.common.server_aio import AioServiceSpec, RunningAioServer, start_server_aio

SERVICE_NAMES: tuple[str, ...] = (
    "edge.capitals.v1.Class",
    "edge.capitals.v1.None",
    "edge.capitals.v1.True",
    "edge.capitals.v1.False",
    "edge.capitals.v1.Import",
)
"""The gRPC services this server answers (health and reflection report them)."""


def serve(config: ServerConfig) -> RunningServer:
    """Start the sync server; ``config.port`` 0 picks a free port (``.port`` says which)."""
    return start_server(
        config,
        [
            ServiceSpec(
                "edge.capitals.v1.Class",
                lambda server: capitals_pb2_grpc.add_ClassServicer_to_server(
                    servicer.Class(), server
                ),
            ),
            ServiceSpec(
                "edge.capitals.v1.None",
                lambda server: capitals_pb2_grpc.add_NoneServicer_to_server(
                    servicer.None_(), server
                ),
            ),
            ServiceSpec(
                "edge.capitals.v1.True",
                lambda server: capitals_pb2_grpc.add_TrueServicer_to_server(
                    servicer.True_(), server
                ),
            ),
            ServiceSpec(
                "edge.capitals.v1.False",
                lambda server: capitals_pb2_grpc.add_FalseServicer_to_server(
                    servicer.False_(), server
                ),
            ),
            ServiceSpec(
                "edge.capitals.v1.Import",
                lambda server: capitals_pb2_grpc.add_ImportServicer_to_server(
                    servicer.Import(), server
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
                "edge.capitals.v1.Class",
                lambda server: capitals_pb2_grpc.add_ClassServicer_to_server(
                    servicer_aio.Class(), server
                ),
            ),
            AioServiceSpec(
                "edge.capitals.v1.None",
                lambda server: capitals_pb2_grpc.add_NoneServicer_to_server(
                    servicer_aio.None_(), server
                ),
            ),
            AioServiceSpec(
                "edge.capitals.v1.True",
                lambda server: capitals_pb2_grpc.add_TrueServicer_to_server(
                    servicer_aio.True_(), server
                ),
            ),
            AioServiceSpec(
                "edge.capitals.v1.False",
                lambda server: capitals_pb2_grpc.add_FalseServicer_to_server(
                    servicer_aio.False_(), server
                ),
            ),
            AioServiceSpec(
                "edge.capitals.v1.Import",
                lambda server: capitals_pb2_grpc.add_ImportServicer_to_server(
                    servicer_aio.Import(), server
                ),
            ),
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code."""
    return run_service(
        argv,
        prog="python -m services.capitals",
        description="Serve edge.capitals.v1 over gRPC.",
        serve=serve,
        serve_aio=serve_aio,
    )


if __name__ == "__main__":
    sys.exit(main())
