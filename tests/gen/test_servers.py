"""The generated skeletons serve: every RPC (all four kinds) answers UNIMPLEMENTED, so the
starter tests skip it as not implemented yet, sync and asyncio; health reports SERVING;
reflection lists the services. Real servers on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

from tests.gen.helpers import env_with

TIMEOUT = 120


def _pytest(root: Path, verbosity: str = "-q") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", verbosity, "-p", "no:cacheprovider", "tests/services"],
        cwd=root,
        env=env_with({"PYTHONPATH": str(root / "gen/python")}),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_the_example_skeletons_answer_every_rpc_sync_and_asyncio(example_ws: Path) -> None:
    # The rendered starter tests call every RPC of every service through the generated stubs,
    # sync and asyncio, and check health and reflection; they must pass as generated.
    result = _pytest(example_ws, "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    for rpc in [
        "InventoryService.GetProductAvailability",
        "UserService.GetUser",
        "UserService.ListUsers",
        "UserService.UpdateUser",
        "UserService.CreateUsers",
        "UserService.ChatSupport",
        "AnalyticsService.SubscribeMetrics",
        "AnalyticsService.ReportEvent",
        "AnalyticsService.AnalyzeSession",
    ]:
        assert f"test_rpc_answers_a_sample_request_deliberately[{rpc}] SKIPPED" in result.stdout
        assert f"deliberately_over_asyncio[{rpc}] SKIPPED" in result.stdout
    assert "18 skipped" in result.stdout
    assert result.stdout.count("test_health_reports_serving PASSED") == 3
    assert result.stdout.count("test_reflection_lists_the_services PASSED") == 3


def test_the_edge_case_skeletons_serve_keyword_wkt_proto2_and_editions_rpcs(edge_ws: Path) -> None:
    result = _pytest(edge_ws)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("domain", ["inventory", "user", "analytics"])
@pytest.mark.parametrize("flavour", [[], ["--aio"]], ids=["sync", "aio"])
def test_the_server_entry_point_serves_health(
    example_ws: Path, domain: str, flavour: list[str]
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", f"services.{domain}", "--port", "0", *flavour],
        cwd=example_ws,
        env=env_with({"PYTHONPATH": str(example_ws / "gen/python")}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None  # the shared serving module logs to stderr
        line = proc.stderr.readline()
        assert "serving on 127.0.0.1:" in line, line
        port = int(line.split("127.0.0.1:")[1].split()[0])
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            check = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                response_deserializer=health_pb2.HealthCheckResponse.FromString,
            )
            reply = check(health_pb2.HealthCheckRequest(), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        proc.terminate()
        proc.wait(timeout=10)
