"""The asyncio (``grpc.aio.server``) half of the shared server plumbing.

Same wiring and shutdown phases as :mod:`services.common.server`; the phase events are
``threading.Event`` so a test or a supervisor on another thread can wait on them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common.auth import TokenChecker
from services.common.config import ServerConfig
from services.common.interceptors_aio import AuthInterceptor, LoggingInterceptor
from services.common.server import SERVER_OPTIONS, bind


@dataclass(frozen=True)
class AioServiceSpec:
    """One proto service to serve: its full name and how to add its servicer to a server."""

    name: str
    add_to_server: Callable[[grpc.aio.Server], None]


class RunningAioServer:
    """A started asyncio server; ``draining``, ``stopping`` and ``stopped`` mark shutdown phases."""

    def __init__(
        self,
        server: grpc.aio.Server,
        port: int,
        health_servicer: health.aio.HealthServicer,
        config: ServerConfig,
        on_shutdown: Sequence[Callable[[], None]],
    ) -> None:
        self.server = server
        self.port = port
        self.health = health_servicer
        self.config = config
        self.draining = threading.Event()
        self.stopping = threading.Event()
        self.stopped = threading.Event()
        self._on_shutdown = tuple(on_shutdown)
        self._shutdown_lock = asyncio.Lock()

    @property
    def target(self) -> str:
        """The address a client on this machine dials."""
        return self.config.dial_target(self.port)

    async def shutdown(self, grace: float | None = None, drain: float | None = None) -> None:
        """Stop gracefully and return once every call has finished (idempotent)."""
        async with self._shutdown_lock:
            if self.stopped.is_set():
                return
            self.draining.set()
            await self.health.enter_graceful_shutdown()
            drain_for = self.config.drain if drain is None else drain
            if drain_for > 0:
                await asyncio.sleep(drain_for)
            stop = asyncio.create_task(
                self.server.stop(self.config.grace if grace is None else grace)
            )
            # One turn of the loop lets stop() begin refusing new calls before streams are ended.
            await asyncio.sleep(0)
            self.stopping.set()
            for hook in self._on_shutdown:
                hook()
            await stop
            self.stopped.set()

    async def wait(self) -> None:
        """Wait until the server has stopped."""
        await self.server.wait_for_termination()


async def start_server_aio(
    config: ServerConfig,
    services: Sequence[AioServiceSpec],
    on_shutdown: Sequence[Callable[[], None]] = (),
) -> RunningAioServer:
    """Build, bind and start an asyncio server for ``services``."""
    interceptors: list[grpc.aio.ServerInterceptor] = [LoggingInterceptor()]
    if config.token:
        interceptors.append(AuthInterceptor(TokenChecker(config.token)))
    server = grpc.aio.server(interceptors=interceptors, options=SERVER_OPTIONS)
    for spec in services:
        spec.add_to_server(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [spec.name for spec in services]
    reflection.enable_server_reflection(
        [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = bind(server, config)
    for name in ["", *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    await server.start()
    return RunningAioServer(server, port, health_servicer, config, on_shutdown)
