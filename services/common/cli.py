"""The command line every service entry point shares: options, logging, signals, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

from services.common.config import ConfigError, ServerConfig, TlsFiles
from services.common.server import RunningServer
from services.common.server_aio import RunningAioServer

#: The environment variable read for the token when ``--token`` is not given.
TOKEN_ENV = "SERVICES_TOKEN"


def build_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options every service takes."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all)"
    )
    parser.add_argument("--port", type=int, default=50051, help="port to listen on (0 picks one)")
    parser.add_argument("--aio", action="store_true", help="run the asyncio server (grpc.aio)")
    parser.add_argument(
        "--token",
        default=None,
        help=f"require 'authorization: Bearer TOKEN' on every call but health checks"
        f" (default: ${TOKEN_ENV} when set)",
    )
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate chain; serve TLS")
    parser.add_argument("--tls-key", type=Path, help="PEM private key of --tls-cert")
    parser.add_argument(
        "--drain", type=float, default=0.0, help="seconds of NOT_SERVING before stopping"
    )
    parser.add_argument(
        "--grace", type=float, default=10.0, help="seconds in-flight calls get to finish"
    )
    parser.add_argument(
        "--max-workers", type=int, default=64, help="handler threads of the sync server"
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="INFO logs one line per call (default)",
    )
    return parser


def config_from_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> ServerConfig:
    """A ServerConfig from parsed options; bad combinations are usage errors (exit 2)."""
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not a port number")
    if args.max_workers < 1:
        parser.error("--max-workers must be at least 1")
    if args.drain < 0 or args.grace < 0:
        parser.error("--drain and --grace must not be negative")
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    tls = TlsFiles(args.tls_cert, args.tls_key) if args.tls_cert is not None else None
    return ServerConfig(
        host=args.host,
        port=args.port,
        token=token,
        tls=tls,
        drain=args.drain,
        grace=args.grace,
        max_workers=args.max_workers,
    )


def run_service(
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str,
    serve: Callable[[ServerConfig], RunningServer] | None = None,
    serve_aio: Callable[[ServerConfig], Awaitable[RunningAioServer]] | None = None,
) -> int:
    """Parse options, start the chosen server and run it until SIGINT or SIGTERM.

    A service with only one flavour passes only ``serve`` (sync) or ``serve_aio`` (asyncio)."""
    parser = build_parser(prog, description)
    args = parser.parse_args(argv)
    config = config_from_args(parser, args)
    if args.aio and serve_aio is None:
        parser.error("--aio: this service has no asyncio server")
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if serve is None or args.aio:
            assert serve_aio is not None, "run_service needs serve or serve_aio"
            asyncio.run(_run_aio(serve_aio, config))
        else:
            _run_sync(serve, config)
    except ConfigError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1
    return 0


def _announce(target: str, flavour: str, config: ServerConfig) -> None:
    security = "TLS" if config.tls else "plaintext"
    auth = "bearer token required" if config.token else "no authentication"
    logging.getLogger("services").info(
        "serving on %s (%s, %s, %s)", target, flavour, security, auth
    )


def _run_sync(serve: Callable[[ServerConfig], RunningServer], config: ServerConfig) -> None:
    with _stop_signals() as wait_for_signal:
        running = serve(config)
        _announce(running.target, "sync", config)
        received = wait_for_signal()
        logging.getLogger("services").info("%s: shutting down", received.name)
        running.shutdown()


@contextlib.contextmanager
def _stop_signals() -> Iterator[Callable[[], signal.Signals]]:
    """Catch SIGINT and SIGTERM; the context's value blocks until one arrives.

    The signal number travels through ``signal.set_wakeup_fd`` into a pipe the main thread
    reads. Setting a ``threading.Event`` from a Python signal handler instead can deadlock:
    the handler may run while the main thread holds that event's lock inside ``wait()``.
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    previous = {sig: signal.signal(sig, lambda _signum, _frame: None) for sig in _STOP_SIGNALS}

    def wait_for_signal() -> signal.Signals:
        while True:
            for number in os.read(read_end, 16):
                if number in _STOP_SIGNALS:
                    return signal.Signals(number)

    try:
        yield wait_for_signal
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(previous_fd)
        os.close(read_end)
        os.close(write_end)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def _run_aio(
    serve_aio: Callable[[ServerConfig], Awaitable[RunningAioServer]], config: ServerConfig
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    running = await serve_aio(config)
    _announce(running.target, "asyncio", config)
    await stop.wait()
    logging.getLogger("services").info("shutting down")
    await running.shutdown()
