"""Fixtures for the service tests: a real server per test, once per server flavour.

Every server fixture is parametrised over ``grpc.server`` and ``grpc.aio.server``; helpers the
tests import live in ``service_harness.py`` (a conftest is not meant to be imported).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import pytest
from service_harness import TEST_TIMEOUT, Served, start

from services.analytics import __main__ as analytics_main
from services.analytics.metrics import MetricsHub
from services.common.config import ServerConfig
from services.inventory import __main__ as inventory_main
from services.inventory.store import InventoryStore
from services.user import __main__ as user_main
from services.user.chat import ChatRooms
from services.user.store import UserStore


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/services/" in item.nodeid and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT))


FLAVOURS = ["sync", "aio"]


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def inventory_server(flavour: str) -> Iterator[Served]:
    yield from start(
        flavour,
        inventory_main.serve,
        inventory_main.serve_aio,
        ServerConfig(port=0),
        store=InventoryStore.with_sample_data(),
    )


@pytest.fixture
def user_server(flavour: str) -> Iterator[Served]:
    yield from start(
        flavour,
        user_main.serve,
        user_main.serve_aio,
        ServerConfig(port=0),
        store=UserStore.with_sample_data(),
        rooms=ChatRooms(outbox_capacity=64),
    )


@pytest.fixture
def analytics_server(flavour: str) -> Iterator[Served]:
    yield from start(
        flavour,
        analytics_main.serve,
        analytics_main.serve_aio,
        ServerConfig(port=0),
        hub=MetricsHub(queue_capacity=8),
    )


@pytest.fixture
def channel(request: pytest.FixtureRequest) -> Iterator[Callable[[Served], grpc.Channel]]:
    """Opens sync channels to a served target and closes them after the test."""
    opened: list[grpc.Channel] = []

    def open_channel(served: Served) -> grpc.Channel:
        opened.append(grpc.insecure_channel(served.target))
        return opened[-1]

    yield open_channel
    for item in opened:
        item.close()
