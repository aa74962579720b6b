"""`protokit publish` to a real index, and a brand-new environment that installs and uses it."""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.config import ServerConfig
from services.inventory import __main__ as inventory_main
from services.inventory.store import InventoryStore

from .conftest import (
    USER,
    VERSION,
    Index,
    Repo,
    Venv,
    free_port,
    one_error_line,
    publish,
    run,
    shared_once,
)

DEV = "1.0.1.dev3"

CONSUMER = '''\
"""A team's client of acme-contracts: sync and grpc.aio calls to InventoryService."""

from __future__ import annotations

import asyncio
import sys

import grpc
from acme.inventory.v1 import inventory_service_pb2, inventory_service_pb2_grpc


def quantity(target: str, product_id: str) -> int:
    with grpc.insecure_channel(target) as channel:
        stub = inventory_service_pb2_grpc.InventoryServiceStub(channel)
        request = inventory_service_pb2.GetProductAvailabilityRequest(product_id=product_id)
        reply: inventory_service_pb2.GetProductAvailabilityResponse = (
            stub.GetProductAvailability(request, timeout=10)
        )
        return reply.quantity


async def available_aio(target: str, product_id: str) -> bool:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = inventory_service_pb2_grpc.InventoryServiceStub(channel)
        request = inventory_service_pb2.GetProductAvailabilityRequest(product_id=product_id)
        reply = await stub.GetProductAvailability(request, timeout=10)
        available: bool = reply.available
        return available


if __name__ == "__main__":
    print(quantity(sys.argv[1], "sku-1001"), asyncio.run(available_aio(sys.argv[1], "sku-1002")))
'''


@pytest.fixture(scope="module")
def dev_files(example: Repo, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A development version of the example, built once per run."""
    shared_once(
        tmp_path_factory, "dev", lambda _: example.build("--version", DEV, "--out", "dist-dev")
    )
    return sorted((example.root / "dist-dev").iterdir())


@pytest.fixture
def inventory_target() -> Iterator[str]:
    running = inventory_main.serve(ServerConfig(port=0), store=InventoryStore.with_sample_data())
    try:
        yield running.target
    finally:
        running.shutdown(grace=0)


def test_a_fresh_environment_installs_the_wheel_and_calls_a_real_server_sync_and_aio(
    consumer: Venv, inventory_target: str, tmp_path: Path
) -> None:
    script = tmp_path / "client.py"
    script.write_text(CONSUMER)
    proc = consumer.run(str(script), inventory_target, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["42", "False"]


def test_the_consumer_passes_mypy_strict_and_a_wrong_type_is_caught(
    consumer: Venv, tmp_path: Path
) -> None:
    good = tmp_path / "client.py"
    good.write_text(CONSUMER)
    bad = tmp_path / "wrong.py"
    bad.write_text(
        CONSUMER.replace("available: bool = reply.available", "available: str = reply.available")
    )
    args = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    args += ["--cache-dir", str(tmp_path / "cache"), "--python-executable", str(consumer.python)]
    proc = run([*args, str(good)], tmp_path)
    assert proc.returncode == 0, proc.stdout
    caught = run([*args, str(bad)], tmp_path)
    assert caught.returncode == 1
    assert 'Incompatible types in assignment (expression has type "bool"' in caught.stdout


def test_pip_refuses_to_install_beside_an_older_protobuf_runtime(
    published: Index, tmp_path: Path
) -> None:
    proc = run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--index-url",
            published.simple,
            "--extra-index-url",
            "https://pypi.org/simple/",
            f"acme-contracts=={VERSION}",
            "protobuf==6.33.0",
        ],
        tmp_path,
    )
    assert proc.returncode != 0
    assert "conflicting dependencies" in proc.stderr


def test_publishing_a_version_the_index_has_is_refused(example: Repo, published: Index) -> None:
    line = one_error_line(publish(example, published))
    assert f"acme-contracts {VERSION} is already on the index" in line


def test_wrong_credentials_are_one_clear_line(
    example: Repo, published: Index, dev_files: list[Path]
) -> None:
    # Runs before the dev version is uploaded below (a group keeps this file's order).
    proc = example.protokit(
        "publish",
        "--repository-url",
        published.url,
        "--allow-dev",
        *map(str, dev_files),
        TWINE_USERNAME=USER,
        TWINE_PASSWORD="wrong",
    )
    line = one_error_line(proc)
    assert "upload to" in line and "TWINE_PASSWORD" in line
    assert not (published.packages / dev_files[0].name).exists()


def test_a_dev_version_is_refused_without_allow_dev_and_uploaded_with_it(
    example: Repo, published: Index, dev_files: list[Path]
) -> None:
    names = [str(p) for p in dev_files]
    line = one_error_line(publish(example, published, *names), code=2)
    assert f"development version {DEV}" in line and "--allow-dev" in line
    assert publish(example, published, "--allow-dev", *names).returncode == 0
    assert (published.packages / dev_files[0].name).is_file()


def test_an_index_that_answers_403_is_one_clear_line(example: Repo, built: list[Path]) -> None:
    class Forbidden(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(403, "Forbidden")

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forbidden)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        line = one_error_line(
            example.protokit("publish", "--repository-url", url, *map(str, built))
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert "refused to list acme-contracts (403" in line


def test_an_index_that_is_down_is_one_clear_line(example: Repo, built: list[Path]) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    line = one_error_line(example.protokit("publish", "--repository-url", url, *map(str, built)))
    assert "is not reachable" in line


def test_check_against_a_distribution_spec_downloads_it_from_the_configured_index(
    fresh_example: Repo, published: Index
) -> None:
    fresh_example.settings(f'index_url = "{published.simple}"')
    proc = fresh_example.protokit("check", "--against", f"acme-contracts=={VERSION}")
    assert proc.returncode == 0, proc.stderr
    assert f"breaking changes against wheel acme-contracts=={VERSION}" in proc.stderr


def test_a_spec_the_index_does_not_have_is_one_clear_line(
    fresh_example: Repo, published: Index
) -> None:
    fresh_example.settings(f'index_url = "{published.simple}"')
    line = one_error_line(fresh_example.protokit("diff", "--against", "acme-contracts==9.9.9"))
    assert f"could not download acme-contracts==9.9.9 from {published.simple}" in line
