"""A conversation file that does not parse under the schema is one located error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from protokit.conversations.dump import dump_conversation
from protokit.conversations.model import MAX_BYTES
from protokit.conversations.parse import load_conversation
from protokit.core.errors import ProtokitError
from protokit.evolution.fixtures import DynamicSchema
from tests.conversations.conftest import CONVERSATIONS, recorded

GOOD: dict[str, Any] = {
    "rpc": "acme.inventory.v1.InventoryService/GetProductAvailability",
    "exchange": [{"send": {"productId": "sku-1001"}}, {"receive": {"productId": "sku-1001"}}],
}


def _error(schema: DynamicSchema, data: Any, raw: bytes | None = None) -> ProtokitError:
    text = raw if raw is not None else (json.dumps(data, indent=2) + "\n").encode()
    with pytest.raises(ProtokitError) as raised:
        load_conversation("c.json", text, schema)
    assert raised.value.path == "c.json"
    return raised.value


def test_every_shipped_conversation_round_trips_canonically(schema: DynamicSchema) -> None:
    for path in sorted(CONVERSATIONS.rglob("*.json")):
        rel = path.relative_to(CONVERSATIONS).as_posix()
        assert dump_conversation(recorded(schema, rel)) == path.read_text(encoding="utf-8"), rel


def test_an_unknown_rpc_is_one_error(schema: DynamicSchema) -> None:
    error = _error(schema, {**GOOD, "rpc": "acme.inventory.v1.InventoryService/GetStock"})
    assert "has no RPC 'GetStock' (it has: GetProductAvailability)" in error.message


def test_an_unknown_field_is_located_at_its_step(schema: DynamicSchema) -> None:
    data = {**GOOD, "exchange": [GOOD["exchange"][0], {"receive": {"productIdentifier": "x"}}]}
    error = _error(schema, data)
    assert (
        "receive #1 is not proto3 JSON of acme.inventory.v1.GetProductAvailabilityResponse"
        in error.message
    )
    assert "productIdentifier" in error.message
    assert error.line == 10


def test_json_that_is_not_proto3_json_is_one_error(schema: DynamicSchema) -> None:
    data = {**GOOD, "exchange": [{"send": {"productId": 7}}]}
    assert "send #1 is not proto3 JSON" in _error(schema, data).message


def test_text_that_is_not_json_is_located(schema: DynamicSchema) -> None:
    error = _error(schema, None, raw=b'{\n  "rpc": oops\n}\n')
    assert error.message.startswith("conversation: not JSON") and error.line == 2


def test_a_file_over_the_limit_is_refused(schema: DynamicSchema) -> None:
    error = _error(schema, None, raw=b" " * (MAX_BYTES + 1))
    assert "byte limit" in error.message


def test_a_unary_case_with_two_sends_is_refused(schema: DynamicSchema) -> None:
    data = {**GOOD, "exchange": [GOOD["exchange"][0], *GOOD["exchange"]]}
    assert "sends exactly one message; this case sends 2" in _error(schema, data).message


def test_an_unknown_status_code_is_refused(schema: DynamicSchema) -> None:
    assert (
        "unknown status code 'MISSING'"
        in _error(schema, {**GOOD, "status": {"code": "MISSING"}}).message
    )


def test_a_matcher_on_an_unknown_field_is_refused(schema: DynamicSchema) -> None:
    data = {**GOOD, "matchers": [{"path": "receive[*].stamp", "match": "present"}]}
    assert "has no field 'stamp'" in _error(schema, data).message


def test_a_credential_written_into_a_file_is_refused_without_echoing_it(
    schema: DynamicSchema,
) -> None:
    data = {**GOOD, "request_metadata": {"authorization": "Bearer hunter2"}}
    error = _error(schema, data)
    assert "'authorization' holds a credential" in error.message
    assert "'Bearer ${SERVICES_TOKEN}'" in error.message
    assert "hunter2" not in error.message


def test_a_credential_placeholder_is_accepted(schema: DynamicSchema) -> None:
    data = {**GOOD, "request_metadata": {"authorization": "Bearer ${SERVICES_TOKEN}"}}
    loaded = load_conversation("c.json", json.dumps(data).encode(), schema)
    assert loaded.request_metadata == (("authorization", "Bearer ${SERVICES_TOKEN}"),)


FAN_OUT = (
    CONVERSATIONS / "acme.analytics.v1/AnalyticsService/SubscribeMetrics/fan-out-and-dropped.json"
)


def _fan_out() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FAN_OUT.read_text())
    return data


def _line_of(data: dict[str, Any], needle: str, occurrence: int = 1) -> int:
    """The line of ``needle``'s n-th occurrence in ``data`` as written for the test."""
    lines = (json.dumps(data, indent=2) + "\n").splitlines()
    found = [i + 1 for i, text in enumerate(lines) if needle in text]
    return found[occurrence - 1]


def test_a_step_naming_an_undeclared_call_is_located_at_that_step(schema: DynamicSchema) -> None:
    data = _fan_out()
    data["exchange"][2]["call"] = "slwo"
    error = _error(schema, data)
    assert error.message == (
        "conversation: exchange step 3 names call 'slwo', which \"calls\" does not declare "
        "(it declares: fast, slow, report)"
    )
    assert error.line == _line_of(data, '"call": "slwo"')


def test_a_call_naming_an_unknown_rpc_is_located_at_the_call(schema: DynamicSchema) -> None:
    data = _fan_out()
    data["calls"]["report"]["rpc"] = "acme.analytics.v1.AnalyticsService/ReportEvents"
    error = _error(schema, data)
    assert "call 'report': acme.analytics.v1.AnalyticsService has no RPC 'ReportEvents'" in (
        error.message
    )
    assert error.line == _line_of(data, '"report": {')


def test_a_declared_call_without_steps_is_refused(schema: DynamicSchema) -> None:
    data = _fan_out()
    data["calls"]["idle"] = {"rpc": "acme.analytics.v1.AnalyticsService/ReportEvent"}
    error = _error(schema, data)
    assert error.message == "conversation: call 'idle': no step of \"exchange\" names it"
    assert error.line == _line_of(data, '"idle": {')


def test_a_multi_call_step_without_its_call_is_refused(schema: DynamicSchema) -> None:
    data = _fan_out()
    del data["exchange"][0]["call"]
    assert 'exchange step 1 must name its call ("call": NAME)' in _error(schema, data).message


def test_rpc_and_calls_together_are_refused(schema: DynamicSchema) -> None:
    data = {**_fan_out(), "rpc": GOOD["rpc"]}
    assert 'has "rpc" (one call) or "calls" (several), not both' in _error(schema, data).message


def test_calls_of_two_packages_are_refused(schema: DynamicSchema) -> None:
    data = _fan_out()
    data["calls"]["report"]["rpc"] = GOOD["rpc"]
    assert "one package's server; these name acme.analytics.v1, acme.inventory.v1" in (
        _error(schema, data).message
    )


def test_per_call_rules_name_the_call(schema: DynamicSchema) -> None:
    data = _fan_out()
    data["calls"]["fast"]["status"] = {"code": "OK"}
    assert (
        _error(schema, data).message
        == "conversation: call 'fast': a case that cancels ends with status CANCELLED"
    )


def test_a_single_call_file_is_still_written_in_its_own_form(schema: DynamicSchema) -> None:
    loaded = load_conversation("c.json", json.dumps(GOOD).encode(), schema)
    assert not loaded.multi
    assert '"call"' not in dump_conversation(loaded)
    assert json.loads(dump_conversation(loaded))["rpc"] == GOOD["rpc"]
