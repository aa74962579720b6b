"""A re-run with nothing changed proves it from file stats: no buf, no protoc."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from protokit.core.workspace import open_workspace
from protokit.gen.pipeline import run_gen
from protokit.tools.buf import find_buf
from tests.realtrees.trees import ENVOY_STATS, workspace

FILES = {
    "envoy/service/metrics/v3/metrics_service.proto": ENVOY_STATS.replace(
        'import "io/prometheus/client/metrics.proto";\n', ""
    ).replace("repeated io.prometheus.client.Metric envoy_metrics = 1;", "string name = 1;"),
}


@pytest.fixture
def recorded_buf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PROTOKIT_BUF set to a wrapper of the real buf that appends each call to a log."""
    log = tmp_path / "buf-calls.log"
    real = find_buf()
    wrapper = tmp_path / "buf"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PROTOKIT_BUF", str(wrapper))
    return log


def _calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_an_unchanged_rerun_runs_neither_buf_nor_protoc(tmp_path: Path, recorded_buf: Path) -> None:
    root = workspace(tmp_path / "ws", FILES)
    first = run_gen(open_workspace(root))
    assert first.protoc_runs == 1 and _calls(recorded_buf)
    before = _calls(recorded_buf)
    again = run_gen(open_workspace(root))
    assert _calls(recorded_buf) == before
    assert (again.generated, again.protoc_runs, again.plan.up_to_date) == (False, 0, True)
    assert run_gen(open_workspace(root), check=True).stale == []
    assert _calls(recorded_buf) == before


def test_a_touched_contract_is_compiled_again(tmp_path: Path, recorded_buf: Path) -> None:
    root = workspace(tmp_path / "ws", FILES)
    run_gen(open_workspace(root))
    before = len(_calls(recorded_buf))
    proto = root / "protos/envoy/service/metrics/v3/metrics_service.proto"
    proto.write_text(
        proto.read_text().replace("string name = 1;", "string name = 1;\n  int32 n = 2;")
    )
    result = run_gen(open_workspace(root))
    assert len(_calls(recorded_buf)) > before
    assert result.protoc_runs == 1
    pyi = root / "gen/python/envoy/service/metrics/v3/metrics_service_pb2.pyi"
    assert "    n: _builtins.int" in pyi.read_text()


def test_a_damaged_output_is_repaired_on_the_next_run(tmp_path: Path, recorded_buf: Path) -> None:
    root = workspace(tmp_path / "ws", FILES)
    run_gen(open_workspace(root))
    target = root / "gen/python/envoy/service/metrics/v3/metrics_service_pb2.pyi"
    good = target.read_bytes()
    target.write_bytes(b"damaged")
    os.utime(target, ns=(1, 1))
    result = run_gen(open_workspace(root))
    assert result.applied
    assert target.read_bytes() == good


def test_a_saved_snapshot_reads_back_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from protokit.gen import fingerprint

    monkeypatch.setenv("PROTOKIT_CACHE_DIR", str(tmp_path / "cache"))
    root = workspace(tmp_path / "ws", FILES)
    ws = open_workspace(root)
    snapshot = fingerprint.Snapshot(
        fingerprint.Sources("facts", {"protos/a.proto": [1, 2]}),
        "folders",
        ["protos"],
        {"gen/python/a_pb2.py": [3, 4]},
        "6.33.0",
        ["a warning"],
        {"a.proto": "digest"},
    )
    fingerprint.save_snapshot(ws, "gen/python", snapshot)
    assert fingerprint.load_snapshot(ws, "gen/python") == snapshot
