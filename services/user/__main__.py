"""Run UserService: ``python -m services.user --port 50052 [--aio] [--token T]``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from acme.user.v1 import user_service_pb2, user_service_pb2_grpc

from services.common.cli import run_service
from services.common.config import ServerConfig
from services.common.server import RunningServer, ServiceSpec, start_server
from services.common.server_aio import AioServiceSpec, RunningAioServer, start_server_aio
from services.user import servicer, servicer_aio
from services.user.chat import ChatRooms
from services.user.store import UserStore

SERVICE_NAME = user_service_pb2.DESCRIPTOR.services_by_name["UserService"].full_name


def serve(
    config: ServerConfig, store: UserStore | None = None, rooms: ChatRooms | None = None
) -> RunningServer:
    """Start UserService on a sync server and return it running."""
    rooms = rooms or ChatRooms()
    implementation = servicer.UserService(store or UserStore.with_sample_data(), rooms)
    return start_server(
        config,
        [
            ServiceSpec(
                SERVICE_NAME,
                lambda server: user_service_pb2_grpc.add_UserServiceServicer_to_server(
                    implementation, server
                ),
            )
        ],
        on_shutdown=[rooms.close_all],
    )


async def serve_aio(
    config: ServerConfig, store: UserStore | None = None, rooms: ChatRooms | None = None
) -> RunningAioServer:
    """Start UserService on an asyncio server and return it running."""
    rooms = rooms or ChatRooms()
    implementation = servicer_aio.UserService(store or UserStore.with_sample_data(), rooms)
    return await start_server_aio(
        config,
        [
            AioServiceSpec(
                SERVICE_NAME,
                lambda server: user_service_pb2_grpc.add_UserServiceServicer_to_server(
                    implementation, server
                ),
            )
        ],
        on_shutdown=[rooms.close_all],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code."""
    return run_service(
        argv,
        prog="python -m services.user",
        description="Serve acme.user.v1.UserService: accounts in memory and a support chat.",
        serve=serve,
        serve_aio=serve_aio,
    )


if __name__ == "__main__":
    sys.exit(main())
