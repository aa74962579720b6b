"""A dependency under io/ (Envoy's prometheus metrics) generated into another Python package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from protokit.core.errors import ProtokitError
from protokit.core.workspace import open_workspace
from protokit.gen.package_map import map_file
from protokit.gen.pipeline import run_gen
from tests.realtrees.trees import ENVOY_STATS, PROMETHEUS, python, workspace

FILES = {
    "io/prometheus/client/metrics.proto": PROMETHEUS,
    "envoy/service/metrics/v3/metrics_service.proto": ENVOY_STATS,
}
MAPPED = '[tool.protokit]\npython_package_map = {"io.prometheus.client" = "ioprom.client"}\n'

IMPORT_ALL = """
import importlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
for path in sorted(root.rglob("*.py")):
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    importlib.import_module(module.removesuffix(".__init__"))
from envoy.service.metrics.v3 import metrics_service_pb2 as m
from ioprom.client import metrics_pb2
message = m.StreamMetricsMessage(envoy_metrics=[metrics_pb2.Metric(value=1.5)])
again = m.StreamMetricsMessage.FromString(message.SerializeToString())
print(again.envoy_metrics[0].value, metrics_pb2.Metric.DESCRIPTOR.full_name)
"""

CONSUMER = """
import grpc

from envoy.service.metrics.v3 import metrics_service_pb2, metrics_service_pb2_grpc
from ioprom.client import metrics_pb2


def metric(value: float) -> metrics_pb2.Metric:
    return metrics_pb2.Metric(value=value)


def send(channel: grpc.Channel) -> metrics_service_pb2.StreamMetricsResponse:
    stub = metrics_service_pb2_grpc.MetricsServiceStub(channel)
    batch = metrics_service_pb2.StreamMetricsMessage(envoy_metrics=[metric(2.0)])
    return stub.StreamMetrics(iter([batch]))
"""


def test_a_dependency_under_io_is_refused_with_the_setting_that_moves_it(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", FILES)
    with pytest.raises(ProtokitError) as caught:
        run_gen(open_workspace(root), services=False)
    assert "would shadow the standard library module 'io'" in str(caught.value)
    assert 'python_package_map = {"io.prometheus.client" = ' in str(caught.value)


def test_mapped_modules_all_import_and_keep_their_proto_names(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", FILES, MAPPED)
    run_gen(open_workspace(root), services=False)
    stubs = root / "gen" / "python"
    assert (stubs / "ioprom/client/metrics_pb2.pyi").is_file()
    assert not (stubs / "io").exists()
    proc = python(IMPORT_ALL, root, stubs, str(stubs))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1.5", "io.prometheus.client.Metric"]


def test_a_consumer_of_mapped_modules_passes_mypy_strict(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", FILES, MAPPED)
    run_gen(open_workspace(root), services=False)
    (tmp_path / "consumer.py").write_text(CONSUMER)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "consumer.py"],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(root / "gen" / "python")},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("io/prometheus/client/metrics.proto", "ioprom/client/metrics.proto"),
        ("io/prometheus/client/sub/x.proto", "ioprom/client/sub/x.proto"),
        ("io/prometheus/other.proto", "io/prometheus/other.proto"),
        ("io/prometheus/clientele/x.proto", "io/prometheus/clientele/x.proto"),
    ],
)
def test_the_map_moves_a_package_and_its_subpackages_only(name: str, expected: str) -> None:
    assert map_file(name, {"io.prometheus.client": "ioprom.client"}) == expected


def test_a_map_that_is_not_a_table_of_package_names_is_refused(tmp_path: Path) -> None:
    root = workspace(
        tmp_path / "ws", FILES, '[tool.protokit]\npython_package_map = {"io.prometheus" = "1x"}\n'
    )
    with pytest.raises(ProtokitError, match=r"python_package_map: 'io\.prometheus' = '1x'"):
        open_workspace(root)
