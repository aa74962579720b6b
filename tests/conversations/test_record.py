"""``protokit record``: a recording proxy in front of a real server writes conversations."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import grpc
import pytest
from acme.inventory.v1 import inventory_service_pb2 as inv
from acme.inventory.v1 import inventory_service_pb2_grpc as inv_grpc

from protokit.conversations.dump import dump_conversation
from protokit.conversations.model import Conversation, StatusCode, StepKind
from protokit.conversations.parse import load_conversation
from protokit.conversations.record import TARGET_ENV, parse_vary, record_command
from protokit.conversations.replay import replay
from protokit.core.errors import ProtokitError
from protokit.evolution.fixtures import DynamicSchema
from services.common.config import ServerConfig
from services.inventory.__main__ import serve
from tests.conversations.conftest import ROOT


@pytest.fixture
def inventory() -> Iterator[str]:
    running = serve(ServerConfig(port=0))
    try:
        yield running.target
    finally:
        running.shutdown(grace=0)


def _client(argv: Sequence[str], env: dict[str, str], timeout: float) -> int:
    with grpc.insecure_channel(env[TARGET_ENV]) as channel:
        stub = inv_grpc.InventoryServiceStub(channel)
        stub.GetProductAvailability(
            inv.GetProductAvailabilityRequest(product_id="sku-2001"),
            timeout=timeout,
            metadata=[("x-protokit-case", "two-warehouses")],
        )
    return 0


def test_a_recorded_call_replays_green(inventory: str, schema: DynamicSchema) -> None:
    recording = record_command(
        ["client"], inventory, schema, vary=[parse_vary("updated_at")], run=_client
    )
    [(case, conversation)] = recording.conversations
    assert case == "two-warehouses"
    assert [m.path for m in conversation.matchers] == ["receive[*].updated_at"]
    with grpc.insecure_channel(inventory) as channel:
        assert replay(conversation, channel, schema) is None


TOKEN = "s3cret-t0ken-value"


@pytest.fixture
def guarded() -> Iterator[str]:
    """The real inventory server requiring ``authorization: Bearer TOKEN``."""
    running = serve(ServerConfig(port=0, token=TOKEN))
    try:
        yield running.target
    finally:
        running.shutdown(grace=0)


def _authorized_client(argv: Sequence[str], env: dict[str, str], timeout: float) -> int:
    with grpc.insecure_channel(env[TARGET_ENV]) as channel:
        inv_grpc.InventoryServiceStub(channel).GetProductAvailability(
            inv.GetProductAvailabilityRequest(product_id="sku-2001"),
            timeout=timeout,
            metadata=[
                ("authorization", f"Bearer {TOKEN}"),
                ("x-tenant", "blue"),
                ("x-protokit-case", "authorized"),
            ],
        )
    return 0


def test_recording_a_token_protected_server_keeps_the_keys_and_never_the_token(
    guarded: str, schema: DynamicSchema
) -> None:
    recording = record_command(
        ["client"], guarded, schema, vary=[parse_vary("updated_at")], run=_authorized_client
    )
    [(_, conversation)] = recording.conversations
    text = dump_conversation(conversation)
    assert TOKEN not in text
    assert dict(conversation.request_metadata) == {
        "authorization": "Bearer ${SERVICES_TOKEN}",
        "x-tenant": "blue",
    }
    assert conversation.status.code is StatusCode.OK  # the proxy passed the token on
    reloaded = load_conversation("authorized.json", text.encode(), schema)  # the file parses
    assert reloaded.request_metadata == conversation.request_metadata


def test_a_recorded_authorized_case_replays_with_the_token_from_the_environment(
    guarded: str, schema: DynamicSchema
) -> None:
    recording = record_command(
        ["client"], guarded, schema, vary=[parse_vary("updated_at")], run=_authorized_client
    )
    [(_, conversation)] = recording.conversations
    with grpc.insecure_channel(guarded) as channel:
        assert replay(conversation, channel, schema, env={"SERVICES_TOKEN": TOKEN}) is None
        mismatch = replay(conversation, channel, schema, env={})
    assert mismatch is not None
    assert mismatch.problem.startswith(
        "receive #1: the stream ended after 0 message(s) with UNAUTHENTICATED"
    )
    assert mismatch.problem.endswith(
        "; the case sends authorization from $SERVICES_TOKEN, which is not set"
    )


def test_a_wrong_token_in_the_environment_is_unauthenticated(
    guarded: str, schema: DynamicSchema
) -> None:
    recording = record_command(
        ["client"], guarded, schema, vary=[parse_vary("updated_at")], run=_authorized_client
    )
    [(_, conversation)] = recording.conversations
    with grpc.insecure_channel(guarded) as channel:
        mismatch = replay(conversation, channel, schema, env={"SERVICES_TOKEN": "guess"})
    assert mismatch is not None
    assert "UNAUTHENTICATED (the bearer token is not valid)" in mismatch.problem


def test_vary_on_a_field_no_response_has_is_a_usage_error(
    inventory: str, schema: DynamicSchema
) -> None:
    with pytest.raises(ProtokitError, match="no recorded RPC's response has that field"):
        record_command(["client"], inventory, schema, vary=[parse_vary("stamp")], run=_client)


def _protokit(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "protokit"), *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for name in ("buf.yaml", "pyproject.toml"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    subprocess.run(["cp", "-r", str(ROOT / "contracts"), str(tmp_path)], check=True, timeout=30)
    return tmp_path


CLIENT = """\
import os, grpc
from acme.inventory.v1 import inventory_service_pb2 as pb, inventory_service_pb2_grpc as g
with grpc.insecure_channel(os.environ["PROTOKIT_RECORD_TARGET"]) as ch:
    g.InventoryServiceStub(ch).GetProductAvailability(
        pb.GetProductAvailabilityRequest(product_id="{product}"), timeout=10,
        metadata=[("x-protokit-case", "stock")])
"""


def test_re_recording_a_changed_case_shows_the_diff_and_refuses(repo: Path, inventory: str) -> None:
    case = (
        repo
        / "compat/conversations/acme.inventory.v1/InventoryService/GetProductAvailability"
        / "stock.json"
    )
    (repo / "client.py").write_text(CLIENT.format(product="sku-1001"))
    first = _protokit(
        repo,
        "record",
        "--server",
        inventory,
        "--vary",
        "updated_at",
        "--",
        sys.executable,
        "client.py",
    )
    assert first.returncode == 0, first.stderr
    before = case.read_bytes()
    (repo / "client.py").write_text(CLIENT.format(product="sku-1003"))
    second = _protokit(
        repo,
        "record",
        "--server",
        inventory,
        "--vary",
        "updated_at",
        "--",
        sys.executable,
        "client.py",
    )
    assert second.returncode == 1
    assert '-        "productId": "sku-1001"' in second.stderr
    assert (
        second.stderr.strip()
        .splitlines()[-1]
        .startswith("protokit: error: 1 recorded case(s) exist")
    )
    assert case.read_bytes() == before
    third = _protokit(
        repo,
        "record",
        "--server",
        inventory,
        "--update",
        "--vary",
        "updated_at",
        "--",
        sys.executable,
        "client.py",
    )
    assert third.returncode == 0, third.stderr
    assert b"sku-1003" in case.read_bytes()


def test_recording_an_unreachable_server_is_one_error(repo: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = _protokit(
        repo, "record", "--server", f"127.0.0.1:{port}", "--", sys.executable, "-c", "pass"
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"protokit: error: cannot reach a gRPC server at 127.0.0.1:{port} within 5s; start it "
        "first (for example `python -m services.inventory --port 50051`)"
    ]
    assert not (repo / "compat").exists()


def test_a_recorded_file_parses_as_written(
    repo: Path, inventory: str, schema: DynamicSchema
) -> None:
    (repo / "client.py").write_text(CLIENT.format(product="sku-1001"))
    done = _protokit(repo, "record", "--server", inventory, "--", sys.executable, "client.py")
    assert done.returncode == 0, done.stderr
    rel = (
        "compat/conversations/acme.inventory.v1/InventoryService/GetProductAvailability/stock.json"
    )
    assert (
        load_conversation(rel, (repo / rel).read_bytes(), schema).method == "GetProductAvailability"
    )


def test_re_recording_what_only_its_matchers_let_vary_keeps_the_file(
    repo: Path, inventory: str
) -> None:
    case = repo / (
        "compat/conversations/acme.inventory.v1/InventoryService/GetProductAvailability/stock.json"
    )
    (repo / "client.py").write_text(CLIENT.format(product="sku-1001"))
    args = ["record", "--server", inventory, "--vary", "updated_at", "--", sys.executable]
    assert _protokit(repo, *args, "client.py").returncode == 0
    before = case.read_bytes()
    again = _protokit(repo, *args, "client.py")
    assert again.returncode == 0, again.stderr
    assert f"identical {case.relative_to(repo).as_posix()}" in again.stderr
    assert case.read_bytes() == before


AUTHORIZED_CLIENT = """\
import os, grpc
from acme.inventory.v1 import inventory_service_pb2 as pb, inventory_service_pb2_grpc as g
with grpc.insecure_channel(os.environ["PROTOKIT_RECORD_TARGET"]) as ch:
    g.InventoryServiceStub(ch).GetProductAvailability(
        pb.GetProductAvailabilityRequest(product_id="sku-1001"), timeout=10,
        metadata=[("x-protokit-case", "authorized"), ("authorization", "Bearer {token}")])
"""


def test_protokit_record_against_a_token_protected_server_writes_no_token(
    repo: Path, guarded: str, schema: DynamicSchema
) -> None:
    (repo / "client.py").write_text(AUTHORIZED_CLIENT.format(token=TOKEN))
    done = _protokit(
        repo,
        "record",
        "--server",
        guarded,
        "--vary",
        "updated_at",
        "--",
        sys.executable,
        "client.py",
    )
    assert done.returncode == 0, done.stderr
    rel = (
        "compat/conversations/acme.inventory.v1/InventoryService/GetProductAvailability/"
        "authorized.json"
    )
    text = (repo / rel).read_text()
    assert TOKEN not in text and '"authorization": "Bearer ${SERVICES_TOKEN}"' in text
    with grpc.insecure_channel(guarded) as channel:
        case = load_conversation(rel, text.encode(), schema)
        assert replay(case, channel, schema, env={"SERVICES_TOKEN": TOKEN}) is None


@pytest.fixture
def analytics_server() -> Iterator[str]:
    from services.analytics.__main__ import serve as serve_analytics

    running = serve_analytics(ServerConfig(port=0))
    try:
        yield running.target
    finally:
        running.shutdown(grace=0)


def _fan_out_client(argv: Sequence[str], env: dict[str, str], timeout: float) -> int:
    from services.record_conversations import fan_out

    with grpc.insecure_channel(env[TARGET_ENV]) as channel:
        fan_out(channel)
    return 0


def _causal(conversation: Conversation) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A case's steps in their recorded order, but its closing cancels as a set: the client
    cancels both dashboards at once, so which cancel the proxy notices first is not defined
    (under load the second one sometimes is)."""
    steps = [(s.call, s.kind.value) for s in conversation.exchange]
    cut = len(steps)
    while cut and steps[cut - 1][1] == StepKind.CANCEL.value:
        cut -= 1
    return steps[:cut], sorted(steps[cut:])


def test_together_records_every_call_as_one_case_that_replays_green(
    analytics_server: str, schema: DynamicSchema
) -> None:
    recording = record_command(
        ["client"],
        analytics_server,
        schema,
        vary=[parse_vary("metric.timestamp")],
        together=True,
        run=_fan_out_client,
    )
    [(name, conversation)] = recording.conversations
    assert name == "fan-out-and-dropped"
    assert [c.name for c in conversation.calls] == ["fast", "slow", "report"]
    assert [c.status.code.name for c in conversation.calls] == ["CANCELLED", "CANCELLED", "OK"]
    slow_updates = [s for s in conversation.steps_of("slow") if s.kind.value == "receive"]
    assert slow_updates[-1].message is not None and slow_updates[-1].message.dropped == 2
    shipped = load_conversation(
        "shipped.json",
        (
            ROOT / "compat/conversations/acme.analytics.v1/AnalyticsService/SubscribeMetrics"
            "/fan-out-and-dropped.json"
        ).read_bytes(),
        schema,
    )
    # The same calls, steps and statuses as the case shipped (values vary only by timestamp).
    assert _causal(conversation) == _causal(shipped)
    from services.analytics.__main__ import serve as serve_analytics

    fresh = serve_analytics(ServerConfig(port=0))
    try:
        with grpc.insecure_channel(fresh.target) as channel:
            assert replay(conversation, channel, schema) is None
    finally:
        fresh.shutdown(grace=0)


def _two_packages(argv: Sequence[str], env: dict[str, str], timeout: float) -> int:
    with grpc.insecure_channel(env[TARGET_ENV]) as channel:
        # The analytics server does not serve inventory; the call is still recorded.
        with contextlib.suppress(grpc.RpcError):
            inv_grpc.InventoryServiceStub(channel).GetProductAvailability(
                inv.GetProductAvailabilityRequest(product_id="sku-1"), timeout=timeout
            )
        _fan_out_client(argv, env, timeout)
    return 0


def test_together_across_packages_is_one_clear_error(
    analytics_server: str, schema: DynamicSchema
) -> None:
    with pytest.raises(ProtokitError, match="--together: the calls span packages") as raised:
        record_command(["client"], analytics_server, schema, together=True, run=_two_packages)
    assert "acme.analytics.v1, acme.inventory.v1" in raised.value.message


def test_check_names_the_file_and_line_of_a_multi_call_step_with_an_unknown_call(
    repo: Path,
) -> None:
    rel = "compat/conversations/acme.analytics.v1/AnalyticsService/SubscribeMetrics/fan.json"
    shipped = (
        ROOT / "compat/conversations/acme.analytics.v1/AnalyticsService/SubscribeMetrics"
        "/fan-out-and-dropped.json"
    ).read_text()
    broken = shipped.replace('"call": "report"', '"call": "reporter"', 1)
    (repo / rel).parent.mkdir(parents=True)
    (repo / rel).write_text(broken)
    line = broken.splitlines().index('      "call": "reporter",') + 1
    done = _protokit(repo, "check")
    assert done.returncode == 100, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    [finding] = [out for out in done.stdout.splitlines() if out.startswith(rel)]
    assert finding.startswith(f"{rel}:{line}:1: CONVERSATION_INVALID: conversation: exchange step")
    assert "names call 'reporter', which \"calls\" does not declare" in finding


def test_re_recording_a_multi_call_case_that_behaves_the_same_keeps_the_file(
    repo: Path,
) -> None:
    from services.analytics.__main__ import serve as serve_analytics

    rel = "compat/conversations/acme.analytics.v1/AnalyticsService/SubscribeMetrics"
    args = ["record", "--together", "--vary", "metric.timestamp", "--", sys.executable, "-m"]
    client = ["services.record_conversations", "fan-out"]
    outputs = []
    for _ in range(2):  # a fresh server each time, as the case expects
        running = serve_analytics(ServerConfig(port=0))
        try:
            done = _protokit(repo, args[0], "--server", running.target, *args[1:], *client)
        finally:
            running.shutdown(grace=0)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stderr)
    assert f"create    {rel}/fan-out-and-dropped.json" in outputs[0]
    assert f"identical {rel}/fan-out-and-dropped.json" in outputs[1]
