"""Shared server plumbing: auth, access logs, health, graceful shutdown, TLS, reflection, CLI."""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import grpc.aio
import pytest
from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc
from acme.inventory.v1 import inventory_service_pb2, inventory_service_pb2_grpc
from acme.user.v1 import user_service_pb2, user_service_pb2_grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from service_harness import RPC_TIMEOUT, Served, run_async, serving

from services.analytics import __main__ as analytics_main
from services.analytics.metrics import MetricsHub
from services.common.config import ServerConfig, TlsFiles
from services.inventory import __main__ as inventory_main
from services.user import __main__ as user_main
from services.user.chat import ChatRooms

REPO = Path(__file__).resolve().parents[2]
TOKEN = "correct-horse-battery-staple"
AUTHORIZED = [("authorization", f"Bearer {TOKEN}")]
_inventory = inventory_service_pb2
_analytics = analytics_service_pb2


def _availability(
    channel: grpc.Channel, metadata: list[tuple[str, str]] | None = None
) -> _inventory.GetProductAvailabilityResponse:
    stub = inventory_service_pb2_grpc.InventoryServiceStub(channel)
    return stub.GetProductAvailability(
        _inventory.GetProductAvailabilityRequest(product_id="sku-1001"),
        timeout=RPC_TIMEOUT,
        metadata=metadata,
    )


def _code(error: BaseException) -> grpc.StatusCode:
    assert isinstance(error, grpc.Call)
    code: grpc.StatusCode = error.code()
    return code


@pytest.fixture
def guarded_analytics(flavour: str) -> Iterator[Served]:
    with serving(
        flavour,
        analytics_main.serve,
        analytics_main.serve_aio,
        ServerConfig(port=0, token=TOKEN),
        hub=MetricsHub(),
    ) as served:
        yield served


@pytest.mark.parametrize(
    "metadata",
    [None, [("authorization", "Bearer wrong")], [("authorization", TOKEN)]],
    ids=["no-token", "wrong-token", "no-bearer-scheme"],
)
def test_call_without_the_right_bearer_token_is_unauthenticated(
    guarded_analytics: Served, metadata: list[tuple[str, str]] | None
) -> None:
    with grpc.insecure_channel(guarded_analytics.target) as channel:
        stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
        with pytest.raises(grpc.RpcError) as unary_like:
            stub.ReportEvent(iter([]), timeout=RPC_TIMEOUT, metadata=metadata)
        with pytest.raises(grpc.RpcError) as streaming:
            next(
                stub.SubscribeMetrics(
                    _analytics.SubscribeMetricsRequest(dashboard_id="d"),
                    timeout=RPC_TIMEOUT,
                    metadata=metadata,
                )
            )

    assert _code(unary_like.value) is grpc.StatusCode.UNAUTHENTICATED
    assert _code(streaming.value) is grpc.StatusCode.UNAUTHENTICATED


def test_call_with_the_right_bearer_token_is_served_and_health_needs_none(
    guarded_analytics: Served,
) -> None:
    with grpc.insecure_channel(guarded_analytics.target) as channel:
        stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
        summary = stub.ReportEvent(iter([]), timeout=RPC_TIMEOUT, metadata=AUTHORIZED)
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="acme.analytics.v1.AnalyticsService"),
            timeout=RPC_TIMEOUT,
        )

    assert summary.accepted == 0
    assert health.status == health_pb2.HealthCheckResponse.SERVING


def test_asyncio_client_without_token_is_unauthenticated(guarded_analytics: Served) -> None:
    async def scenario() -> tuple[grpc.StatusCode, int]:
        async with grpc.aio.insecure_channel(guarded_analytics.target) as channel:
            stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
            analyze = stub.AnalyzeSession(timeout=RPC_TIMEOUT)
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await analyze.read()
            allowed = stub.ReportEvent(timeout=RPC_TIMEOUT, metadata=AUTHORIZED)
            await allowed.done_writing()
            return raised.value.code(), (await allowed).accepted

    assert run_async(scenario()) == (grpc.StatusCode.UNAUTHENTICATED, 0)


class _Lines(logging.Handler):
    """Collects formatted access-log lines; a test waits for the line it expects."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.changed:
            self.lines.append(record.getMessage())
            self.changed.notify_all()

    def wait_for(self, pattern: str) -> bool:
        with self.changed:
            return self.changed.wait_for(
                lambda: any(re.match(pattern, line) for line in self.lines), timeout=RPC_TIMEOUT
            )


def test_access_log_names_method_status_and_duration(inventory_server: Served) -> None:
    # The asyncio server sends an aborted call's status before its handler unwinds, so the
    # line can come a moment after the client has its answer: wait for it.
    access_log = logging.getLogger("services.access")
    lines = _Lines()
    access_log.addHandler(lines)
    previous_level = access_log.level
    access_log.setLevel(logging.INFO)
    try:
        with grpc.insecure_channel(inventory_server.target) as channel:
            _availability(channel)
            stub = inventory_service_pb2_grpc.InventoryServiceStub(channel)
            with pytest.raises(grpc.RpcError):
                stub.GetProductAvailability(
                    _inventory.GetProductAvailabilityRequest(product_id="nope"),
                    timeout=RPC_TIMEOUT,
                )
        method = "/acme.inventory.v1.InventoryService/GetProductAvailability"
        assert lines.wait_for(rf"{method} OK \d+\.\dms peer=ipv4:127\.0\.0\.1:"), lines.lines
        assert lines.wait_for(rf"{method} NOT_FOUND \d+\.\dms peer="), lines.lines
    finally:
        access_log.removeHandler(lines)
        access_log.setLevel(previous_level)


def test_health_turns_not_serving_while_draining_before_the_server_stops(
    inventory_server: Served,
) -> None:
    with grpc.insecure_channel(inventory_server.target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=RPC_TIMEOUT)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        stopper = threading.Thread(target=inventory_server.shutdown, kwargs={"drain": 1.5})
        stopper.start()

        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        checked = health.Check(
            health_pb2.HealthCheckRequest(service="acme.inventory.v1.InventoryService"),
            timeout=RPC_TIMEOUT,
        )
        assert checked.status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert not inventory_server.stopping.is_set()  # still taking calls while draining
        assert _availability(channel).quantity == 42
        watch.cancel()
        stopper.join(timeout=RPC_TIMEOUT)
    assert inventory_server.stopped.is_set()


def test_graceful_shutdown_lets_an_in_flight_call_finish_and_refuses_new_ones(
    analytics_server: Served,
) -> None:
    hub: MetricsHub = analytics_server.state["hub"]
    outgoing: queue.Queue[object] = queue.Queue()
    end = object()

    def requests() -> Iterator[_analytics.ReportEventRequest]:
        while (item := outgoing.get()) is not end:
            assert isinstance(item, _analytics.ReportEventRequest)
            yield item

    def event(event_id: str) -> _analytics.ReportEventRequest:
        return _analytics.ReportEventRequest(
            event=_analytics.Event(id=event_id, page_view=_analytics.Event.PageView(path="/"))
        )

    with grpc.insecure_channel(analytics_server.target) as channel:
        stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
        watch = stub.SubscribeMetrics(
            _analytics.SubscribeMetricsRequest(
                dashboard_id="d", types=[_analytics.METRIC_TYPE_PAGE_VIEWS]
            ),
            timeout=RPC_TIMEOUT,
        )
        assert next(watch).metric.value == 0
        in_flight = stub.ReportEvent.future(requests(), timeout=RPC_TIMEOUT)
        outgoing.put(event("before-1"))
        outgoing.put(event("before-2"))
        assert [next(watch).metric.value for _ in range(2)] == [1, 2]  # the server has them

        stopper = threading.Thread(target=analytics_server.shutdown, kwargs={"grace": 30.0})
        stopper.start()
        assert analytics_server.stopping.wait(RPC_TIMEOUT)

        with pytest.raises(grpc.RpcError) as refused:
            stub.ReportEvent(iter([event("new-call")]), timeout=RPC_TIMEOUT)
        # Refused either way: the client already had the server's GOAWAY (UNAVAILABLE), or the
        # call reached a server that no longer starts calls (CANCELLED). It is never served.
        assert _code(refused.value) in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        with pytest.raises(grpc.RpcError) as ended:
            next(watch)  # open subscriptions are told to go elsewhere
        assert _code(ended.value) is grpc.StatusCode.UNAVAILABLE
        assert not analytics_server.stopped.is_set()  # the in-flight call holds the server

        outgoing.put(event("during-shutdown"))
        outgoing.put(end)
        summary = in_flight.result(timeout=RPC_TIMEOUT)
        stopper.join(timeout=RPC_TIMEOUT)

    assert summary.accepted == 3
    assert hub.value(_analytics.METRIC_TYPE_PAGE_VIEWS) == 3  # and not the refused call's event
    assert analytics_server.stopped.is_set()
    assert hub.subscriber_count == 0


def test_shutdown_tells_chat_participants_to_reconnect(flavour: str) -> None:
    rooms = ChatRooms()
    with (
        serving(
            flavour, user_main.serve, user_main.serve_aio, ServerConfig(port=0), rooms=rooms
        ) as served,
        grpc.insecure_channel(served.target) as channel,
    ):
        outgoing: queue.Queue[object] = queue.Queue()
        outgoing.put(user_service_pb2.ChatSupportRequest(room_id="r", user_id="u", text="hi"))
        end = object()
        requests: Iterator[user_service_pb2.ChatSupportRequest] = iter(outgoing.get, end)  # type: ignore[arg-type]
        chat = user_service_pb2_grpc.UserServiceStub(channel).ChatSupport(
            requests, timeout=RPC_TIMEOUT
        )
        try:
            assert next(chat).text == "hi"
            served.shutdown(grace=RPC_TIMEOUT)

            with pytest.raises(grpc.RpcError) as raised:
                next(chat)
        finally:
            outgoing.put(end)

    assert _code(raised.value) is grpc.StatusCode.UNAVAILABLE
    status = rpc_status.from_call(raised.value)  # type: ignore[arg-type]
    assert status is not None
    assert status.details[0].Is(error_details_pb2.RetryInfo.DESCRIPTOR)
    assert rooms.participant_count() == 0


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = folder / "server.crt"
    key_file = folder / "server.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_tls_server_serves_clients_that_trust_its_certificate(flavour: str, tmp_path: Path) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    config = ServerConfig(port=0, tls=TlsFiles(cert_file, key_file))
    with serving(flavour, inventory_main.serve, inventory_main.serve_aio, config) as served:
        trusted = grpc.ssl_channel_credentials(root_certificates=cert_file.read_bytes())
        with grpc.secure_channel(served.target, trusted) as channel:
            assert _availability(channel).quantity == 42
        with (
            grpc.insecure_channel(served.target) as plaintext,
            pytest.raises(grpc.RpcError) as raised,
        ):
            _availability(plaintext)
        assert _code(raised.value) is grpc.StatusCode.UNAVAILABLE

        async def asyncio_client() -> int:
            async with grpc.aio.secure_channel(served.target, trusted) as channel:
                stub = inventory_service_pb2_grpc.InventoryServiceStub(channel)
                response = await stub.GetProductAvailability(
                    _inventory.GetProductAvailabilityRequest(product_id="sku-1003"),
                    timeout=RPC_TIMEOUT,
                )
                return response.quantity

        assert run_async(asyncio_client()) == 4


def _buf(*args: str) -> subprocess.CompletedProcess[str]:
    from protokit.tools.buf import find_buf

    return subprocess.run(
        [str(find_buf()), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_buf_curl_calls_a_unary_rpc_through_reflection(inventory_server: Served) -> None:
    url = f"http://{inventory_server.target}/acme.inventory.v1.InventoryService"
    common = ["curl", "--protocol", "grpc", "--http2-prior-knowledge"]

    listed = _buf(*common, "--list-methods", f"http://{inventory_server.target}")
    found = _buf(*common, f"{url}/GetProductAvailability", "-d", '{"product_id": "sku-1001"}')
    missing = _buf(*common, f"{url}/GetProductAvailability", "-d", '{"product_id": "sku-0"}')

    assert listed.returncode == 0, listed.stderr
    assert "acme.inventory.v1.InventoryService/GetProductAvailability" in listed.stdout
    assert found.returncode == 0, found.stderr
    assert '"productId": "sku-1001"' in found.stdout
    assert '"quantity": 42' in found.stdout
    assert missing.returncode != 0
    assert '"code": "not_found"' in missing.stderr


def test_buf_curl_reaches_a_guarded_server_with_the_token(guarded_analytics: Served) -> None:
    header = f"authorization: Bearer {TOKEN}"
    url = f"http://{guarded_analytics.target}/acme.analytics.v1.AnalyticsService/ReportEvent"
    common = ["curl", "--protocol", "grpc", "--http2-prior-knowledge"]
    body = '{"event": {"id": "e1", "pageView": {"path": "/"}}}'

    refused = _buf(*common, url, "-d", body)
    accepted = _buf(*common, "-H", header, "--reflect-header", header, url, "-d", body)

    assert refused.returncode != 0
    assert accepted.returncode == 0, accepted.stderr
    assert '"accepted": 1' in accepted.stdout


def _launch(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stderr or ()], daemon=True
    ).start()
    while True:
        line = lines.get(timeout=30)
        if match := re.search(r"serving on (\S+)", line):
            return process, match.group(1)


@pytest.mark.parametrize("server_flag", [[], ["--aio"]], ids=["sync", "aio"])
def test_service_entry_point_serves_until_sigterm_and_exits_cleanly(
    server_flag: list[str],
) -> None:
    process, target = _launch("services.inventory", "--port", "0", "--token", TOKEN, *server_flag)
    try:
        with grpc.insecure_channel(target) as channel:
            assert _availability(channel, AUTHORIZED).quantity == 42
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--tls-cert", "server.crt"], 2, "--tls-cert and --tls-key go together"),
        (
            ["--tls-cert", "missing.crt", "--tls-key", "missing.key"],
            1,
            "error: --tls-cert missing.crt: No such file or directory",
        ),
    ],
    ids=["cert-without-key", "unreadable-cert"],
)
def test_service_entry_point_refuses_bad_tls_options_in_one_line(
    args: list[str], code: int, message: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.user", "--port", "0", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path])},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_service_entry_point_refuses_a_port_that_is_already_serving(
    inventory_server: Served,
) -> None:
    port = inventory_server.target.rsplit(":", 1)[1]

    result = subprocess.run(
        [sys.executable, "-m", "services.inventory", "--port", port],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
