"""Serve acme.user.v1: ``python -m services.user --port 50051 [--aio]``.

Token auth, TLS, the access log, graceful drain, health and reflection come from the shared
serving module ``services.common`` (``--help`` lists the options). Created by
``protokit gen``; this file is yours: gen never overwrites it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from acme.user.v1 import user_service_pb2_grpc

from services.common.cli import run_service
from services.common.config import ServerConfig
from services.common.server import RunningServer, ServiceSpec, start_server
from services.common.server_aio import AioServiceSpec, RunningAioServer, start_server_aio
from services.user import servicer, servicer_aio

SERVICE_NAMES: tuple[str, ...] = ("acme.user.v1.UserService",)
"""The gRPC services this server answers (health and reflection report them)."""


def serve(config: ServerConfig) -> RunningServer:
    """Start the sync server; ``config.port`` 0 picks a free port (``.port`` says which)."""
    return start_server(
        config,
        [
            ServiceSpec(
                "acme.user.v1.UserService",
                lambda server: user_service_pb2_grpc.add_UserServiceServicer_to_server(
                    servicer.UserService(), server
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
                "acme.user.v1.UserService",
                lambda server: user_service_pb2_grpc.add_UserServiceServicer_to_server(
                    servicer_aio.UserService(), server
                ),
            ),
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code."""
    return run_service(
        argv,
        prog="python -m services.user",
        description="Serve acme.user.v1 over gRPC.",
        serve=serve,
        serve_aio=serve_aio,
    )


if __name__ == "__main__":
    sys.exit(main())
