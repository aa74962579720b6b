"""The sync (``grpc.server``) half of the shared server plumbing.

:func:`start_server` wires interceptors (logging, then auth when a token is set), the
service's servicers, health checking and reflection, binds the port (TLS when configured) and
starts. :class:`RunningServer.shutdown` is graceful: health turns NOT_SERVING, new calls are
refused, long-lived streams are told to finish, and in-flight calls get ``grace`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common.auth import TokenChecker
from services.common.config import ConfigError, ServerConfig
from services.common.interceptors import AuthInterceptor, LoggingInterceptor

#: grpc enables SO_REUSEPORT by default, which lets a second server "bind" a port that is
#: already serving and split its traffic; a taken port should be an error instead.
SERVER_OPTIONS = [("grpc.so_reuseport", 0)]


@dataclass(frozen=True)
class ServiceSpec:
    """One proto service to serve: its full name and how to add its servicer to a server."""

    name: str
    add_to_server: Callable[[grpc.Server], None]


class RunningServer:
    """A started sync server; ``draining``, ``stopping`` and ``stopped`` mark shutdown phases."""

    def __init__(
        self,
        server: grpc.Server,
        port: int,
        health_servicer: health.HealthServicer,
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
        self._shutdown_lock = threading.Lock()

    @property
    def target(self) -> str:
        """The address a client on this machine dials."""
        return self.config.dial_target(self.port)

    def shutdown(self, grace: float | None = None, drain: float | None = None) -> None:
        """Stop gracefully and return once every call has finished (idempotent)."""
        with self._shutdown_lock:
            if self.stopped.is_set():
                return
            self.draining.set()
            self.health.enter_graceful_shutdown()
            drain_for = self.config.drain if drain is None else drain
            if drain_for > 0:
                time.sleep(drain_for)
            done = self.server.stop(self.config.grace if grace is None else grace)
            self.stopping.set()
            for hook in self._on_shutdown:
                hook()
            done.wait()
            self.stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server has stopped; False when ``timeout`` passed first."""
        return self.stopped.wait(timeout)


def start_server(
    config: ServerConfig,
    services: Sequence[ServiceSpec],
    on_shutdown: Sequence[Callable[[], None]] = (),
) -> RunningServer:
    """Build, bind and start a sync server for ``services``."""
    interceptors: list[grpc.ServerInterceptor] = [LoggingInterceptor()]
    if config.token:
        interceptors.append(AuthInterceptor(TokenChecker(config.token)))
    server = grpc.server(
        futures.ThreadPoolExecutor(
            max_workers=config.max_workers, thread_name_prefix="grpc-handler"
        ),
        interceptors=interceptors,
        options=SERVER_OPTIONS,
        # Every call, streams included, holds a worker thread for its whole life; past that,
        # refuse at once with RESOURCE_EXHAUSTED rather than queue calls that may never start.
        maximum_concurrent_rpcs=config.max_workers,
    )
    for spec in services:
        spec.add_to_server(server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [spec.name for spec in services]
    reflection.enable_server_reflection(
        [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = bind(server, config)
    for name in ["", *names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    server.start()
    return RunningServer(server, port, health_servicer, config, on_shutdown)


def bind(server: grpc.Server | grpc.aio.Server, config: ServerConfig) -> int:
    """Open the configured port (TLS when configured); the port actually bound."""
    try:
        if config.tls is not None:
            port = server.add_secure_port(config.address, config.tls.credentials())
        else:
            port = server.add_insecure_port(config.address)
    except RuntimeError as error:
        raise ConfigError(f"cannot listen on {config.address}: {error}") from None
    if port == 0:
        raise ConfigError(f"cannot listen on {config.address}")
    return port
