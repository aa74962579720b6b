"""Releases freeze conversations; ``check`` locates one the schema no longer reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from protokit.check.run import conversation_staleness
from protokit.conversations.harness import ConversationSuite
from protokit.core.workspace import open_workspace
from protokit.evolution.release import freeze_release, load_release
from tests.conversations.conftest import ROOT

CASE = "acme.inventory.v1/InventoryService/GetProductAvailability/in-stock.json"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for name in ("buf.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "contracts", tmp_path / "contracts")
    target = tmp_path / "compat/conversations" / CASE
    target.parent.mkdir(parents=True)
    shutil.copy(ROOT / "compat/conversations" / CASE, target)
    return tmp_path


def test_a_release_freezes_the_conversations(repo: Path) -> None:
    ws = open_workspace(repo)
    folder = freeze_release(ws, "1.0.0")
    frozen = folder / "conversations" / CASE
    assert frozen.read_bytes() == (repo / "compat/conversations" / CASE).read_bytes()
    load_release(ws, "1.0.0")  # its hashes cover the frozen conversation


def test_the_conversations_frozen_at_1_0_0_are_replayed_on_main() -> None:
    cases = [c for c in ConversationSuite(ROOT).cases() if c.source == "1.0.0"]
    assert {c.path.split("/conversations/")[1].split("/")[1] for c in cases} == {
        "InventoryService",
        "UserService",
        "AnalyticsService",
    }


def test_a_conversation_the_schema_no_longer_reads_is_found_at_file_and_rpc(repo: Path) -> None:
    ws = open_workspace(repo)
    freeze_release(ws, "1.0.0")
    proto = repo / "contracts/acme/inventory/v1/inventory_service.proto"
    proto.write_text(proto.read_text().replace("uint32 quantity = 3;", "uint32 units = 3;"))
    findings = conversation_staleness(ws)
    where = {(f.path, f.line) for f in findings}
    assert ("compat/conversations/" + CASE, 11) in where
    assert ("compat/releases/1.0.0/conversations/" + CASE, 11) in where
    rpc_lines = [f for f in findings if f.path.endswith("inventory_service.proto")]
    assert rpc_lines and all(f.line > 1 for f in rpc_lines)
    assert (
        "GetProductAvailability no longer matches its recorded conversation" in rpc_lines[0].message
    )


FAN_OUT = "acme.analytics.v1/AnalyticsService/SubscribeMetrics/fan-out-and-dropped.json"


def test_a_release_freezes_a_multi_call_case_and_check_locates_its_errors(repo: Path) -> None:
    target = repo / "compat/conversations" / FAN_OUT
    target.parent.mkdir(parents=True)
    shutil.copy(ROOT / "compat/conversations" / FAN_OUT, target)
    ws = open_workspace(repo)
    folder = freeze_release(ws, "1.0.0")
    assert (folder / "conversations" / FAN_OUT).read_bytes() == target.read_bytes()
    load_release(ws, "1.0.0")
    proto = repo / "contracts/acme/analytics/v1/analytics_service.proto"
    proto.write_text(proto.read_text().replace("uint64 dropped = 2;", "uint64 skipped = 2;"))
    findings = [f for f in conversation_staleness(ws) if f.path.endswith(FAN_OUT)]
    assert {f.path.split("/conversations/")[0] for f in findings} == {
        "compat",
        "compat/releases/1.0.0",
    }
    assert all("call 'slow': receive #2 is not proto3 JSON" in f.message for f in findings)
    assert all(f.line > 1 for f in findings)
