"""Serve edge.capitals.v1: ``python -m services.capitals --port 50051 [--aio]``.

Registers the servicers with gRPC health checking and server reflection. Created by
``protokit gen``; this file is yours: gen never overwrites it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from concurrent import futures

import grpc
from edge.capitals.v1 import capitals_pb2_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.capitals import servicer, servicer_aio

SERVICE_NAMES: tuple[str, ...] = (
    "edge.capitals.v1.Class",
    "edge.capitals.v1.None",
    "edge.capitals.v1.True",
    "edge.capitals.v1.False",
    "edge.capitals.v1.Import",
)
"""The gRPC services this server answers (health and reflection report them)."""


def _reflected() -> tuple[str, ...]:
    return (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME)


def serve(port: int = 50051, host: str = "127.0.0.1") -> tuple[grpc.Server, int]:
    """Start the sync server; return it and the bound port (port 0 picks a free one)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=10))
    capitals_pb2_grpc.add_ClassServicer_to_server(servicer.Class(), server)
    capitals_pb2_grpc.add_NoneServicer_to_server(servicer.None_(), server)
    capitals_pb2_grpc.add_TrueServicer_to_server(servicer.True_(), server)
    capitals_pb2_grpc.add_FalseServicer_to_server(servicer.False_(), server)
    capitals_pb2_grpc.add_ImportServicer_to_server(servicer.Import(), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", *SERVICE_NAMES):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(_reflected(), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    server.start()
    return server, bound


async def serve_aio(port: int = 50051, host: str = "127.0.0.1") -> tuple[grpc.aio.Server, int]:
    """Start the asyncio server; return it and the bound port (port 0 picks a free one)."""
    server = grpc.aio.server()
    capitals_pb2_grpc.add_ClassServicer_to_server(servicer_aio.Class(), server)
    capitals_pb2_grpc.add_NoneServicer_to_server(servicer_aio.None_(), server)
    capitals_pb2_grpc.add_TrueServicer_to_server(servicer_aio.True_(), server)
    capitals_pb2_grpc.add_FalseServicer_to_server(servicer_aio.False_(), server)
    capitals_pb2_grpc.add_ImportServicer_to_server(servicer_aio.Import(), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", *SERVICE_NAMES):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(_reflected(), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    return server, bound


async def _run_aio(port: int, host: str) -> None:
    server, bound = await serve_aio(port, host)
    print(f"serving {', '.join(SERVICE_NAMES)} on {host}:{bound} (asyncio)", flush=True)
    await server.wait_for_termination()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.capitals", description="Serve edge.capitals.v1 over gRPC."
    )
    parser.add_argument("--port", type=int, default=50051, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--aio", action="store_true", help="use the asyncio server")
    args = parser.parse_args(argv)
    try:
        if args.aio:
            asyncio.run(_run_aio(args.port, args.host))
        else:
            server, bound = serve(args.port, args.host)
            print(f"serving {', '.join(SERVICE_NAMES)} on {args.host}:{bound}", flush=True)
            server.wait_for_termination()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
