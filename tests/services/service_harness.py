"""Running real servers for the service tests: sync or asyncio, on 127.0.0.1, port 0.

An asyncio server runs on an event loop in a background thread, so one test can drive it with
sync clients, asyncio clients, or both. The fixtures built on this are in ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from services.common.config import ServerConfig
from services.common.server import RunningServer
from services.common.server_aio import RunningAioServer

T = TypeVar("T")

#: Seconds any single RPC in these tests may take; every call passes it as its deadline.
RPC_TIMEOUT = 10.0
#: Seconds a whole test may take before pytest-timeout fails it.
TEST_TIMEOUT = 60


def run_async(coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run an asyncio client scenario to completion, bounded in time."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coroutine

    return asyncio.run(bounded())


class LoopThread:
    """An event loop running in a daemon thread, for asyncio servers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@dataclass
class Served:
    """A running server of either flavour, seen from the test's thread."""

    flavour: str
    target: str
    draining: threading.Event
    stopping: threading.Event
    stopped: threading.Event
    _shutdown: Callable[[float | None, float | None], None]
    state: dict[str, Any] = field(default_factory=dict)

    def shutdown(self, grace: float | None = None, drain: float | None = None) -> None:
        """Graceful shutdown; returns once the server has stopped."""
        self._shutdown(grace, drain)


@contextlib.contextmanager
def serving(
    flavour: str,
    serve: Callable[..., RunningServer],
    serve_aio: Callable[..., Awaitable[RunningAioServer]],
    config: ServerConfig,
    **state: Any,
) -> Iterator[Served]:
    """A server of ``flavour`` for the duration of a ``with`` block."""
    yield from start(flavour, serve, serve_aio, config, **state)


def start(
    flavour: str,
    serve: Callable[..., RunningServer],
    serve_aio: Callable[..., Awaitable[RunningAioServer]],
    config: ServerConfig,
    **state: Any,
) -> Iterator[Served]:
    """Start a server of ``flavour``, yield it, and stop it afterwards (used by fixtures)."""
    if flavour == "sync":
        running = serve(config, **state)
        served = Served(
            "sync",
            running.target,
            running.draining,
            running.stopping,
            running.stopped,
            lambda grace, drain: running.shutdown(grace, drain),
            dict(state),
        )
        try:
            yield served
        finally:
            running.shutdown(grace=0)
        return
    loop_thread = LoopThread()

    async def begin() -> RunningAioServer:
        return await serve_aio(config, **state)

    running_aio = loop_thread.run(begin())
    served = Served(
        "aio",
        running_aio.target,
        running_aio.draining,
        running_aio.stopping,
        running_aio.stopped,
        lambda grace, drain: loop_thread.run(running_aio.shutdown(grace, drain)),
        dict(state),
    )
    try:
        yield served
    finally:
        loop_thread.run(running_aio.shutdown(grace=0))
        loop_thread.close()
