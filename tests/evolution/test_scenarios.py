"""Evolution scenarios, each a commit on a feature branch checked against `main`.

Every scenario is committed once and checked by the real `buf breaking`, `protokit diff` and
`protokit check --against main`; each test below asserts one behaviour for every scenario: buf's
verdict, protokit's own verdict (from descriptors, in `diff`) agreeing with it, the implied version
bump, the rule named, check's exit code, the fixture checks reporting exactly the wire and JSON
breaks (nothing for API-only ones), and the finding's location.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import SERVICE, SHOP, Repo, feature_branch


@dataclass(frozen=True)
class Scenario:
    change: Callable[[Repo], None]
    breaking: bool
    bump: str
    rule: str | None = None  # the buf rule that must be reported
    location: str | None = None  # "path:line" of the finding
    compat: frozenset[str] = frozenset()  # what the fixture checks report, without buf


def add_field(r: Repo) -> None:
    r.replace(
        SHOP, "  string display_name = 11;\n", "  string display_name = 11;\n  string sku = 12;\n"
    )


def add_rpc(r: Repo) -> None:
    r.replace(
        SERVICE,
        "  // WatchItems streams",
        "  // DeleteItem removes an item.\n"
        "  rpc DeleteItem(DeleteItemRequest) returns (DeleteItemResponse);\n"
        "  // WatchItems streams",
    )
    r.write(
        SERVICE,
        r.read(SERVICE)
        + "\n// DeleteItemRequest names an item.\n"
        + "message DeleteItemRequest {\n  string id = 1;\n}\n"
        + "\n// DeleteItemResponse is empty.\nmessage DeleteItemResponse {}\n",
    )


def add_message(r: Repo) -> None:
    r.write(SHOP, r.read(SHOP) + "\n// Tag labels items.\nmessage Tag {\n  string name = 1;\n}\n")


def add_enum_value(r: Repo) -> None:
    r.replace(SHOP, "  COLOR_GREEN = 2;\n", "  COLOR_GREEN = 2;\n  COLOR_BLUE = 3;\n")


def delete_field(r: Repo) -> None:
    r.replace(SHOP, "  int64 price = 2;\n", "")


def change_field_type(r: Repo) -> None:
    r.replace(SHOP, "  int64 price = 2;", "  string price = 2;")


def change_field_number(r: Repo) -> None:
    r.replace(SHOP, "  shop.v1.Color color = 3;", "  shop.v1.Color color = 13;")


def rename_json_name(r: Repo) -> None:
    r.replace(
        SHOP, "  string display_name = 11;", '  string display_name = 11 [json_name = "title"];'
    )


def unary_to_streaming(r: Repo) -> None:
    r.replace(SERVICE, "returns (GetItemResponse);", "returns (stream GetItemResponse);")


def delete_rpc(r: Repo) -> None:
    r.replace(
        SERVICE,
        "  // WatchItems streams item changes.\n"
        "  rpc WatchItems(WatchItemsRequest) returns (stream WatchItemsResponse);\n",
        "",
    )


def move_message(r: Repo) -> None:
    text = r.read(SHOP)
    node = text[text.index("// Node is a recursive tree.") :]
    r.write(SHOP, text.replace(node, "").rstrip() + "\n")
    r.replace(
        SHOP,
        'import "google/protobuf/timestamp.proto";',
        'import "google/protobuf/timestamp.proto";\nimport "shop/v1/node.proto";',
    )
    r.write("proto/shop/v1/node.proto", 'syntax = "proto3";\n\npackage shop.v1;\n\n' + node)


def comment_only(r: Repo) -> None:
    r.replace(
        SHOP, "// Item is one thing for sale.", "// Item is one thing for sale, priced in cents."
    )


def deprecate_field(r: Repo) -> None:
    r.replace(
        SHOP, "  string display_name = 11;", "  string display_name = 11 [deprecated = true];"
    )


def rename_field(r: Repo) -> None:
    r.replace(SHOP, "  string id = 1;", "  string item_id = 1;")


def rename_enum_value(r: Repo) -> None:
    r.replace(SHOP, "  COLOR_RED = 1;", "  COLOR_CRIMSON = 1;")


def change_request_type(r: Repo) -> None:
    r.replace(SERVICE, "rpc GetItem(GetItemRequest)", "rpc GetItem(WatchItemsRequest)")


def delete_field_reserved(r: Repo) -> None:
    r.replace(SHOP, "  int64 price = 2;\n", '  reserved 2;\n  reserved "price";\n')


def compat(*rules: str) -> frozenset[str]:
    return frozenset(rules)


SCENARIOS = {
    "add_field": Scenario(add_field, False, "minor"),
    "add_rpc": Scenario(add_rpc, False, "minor"),
    "add_message": Scenario(add_message, False, "minor"),
    "add_enum_value": Scenario(add_enum_value, False, "minor"),
    "delete_field_unreserved": Scenario(
        delete_field, True, "major", "FIELD_NO_DELETE", f"{SHOP}:15", compat("COMPAT_UNRESERVED")
    ),
    "change_field_type": Scenario(
        change_field_type,
        True,
        "major",
        "FIELD_SAME_TYPE",
        f"{SHOP}:17",
        compat("COMPAT_WIRE_TYPE", "COMPAT_JSON_VALUE"),
    ),
    "change_field_number": Scenario(
        change_field_number,
        True,
        "major",
        "FIELD_NO_DELETE",
        f"{SHOP}:15",
        compat("COMPAT_UNRESERVED", "COMPAT_JSON_VALUE"),
    ),
    "rename_json_name": Scenario(
        rename_json_name,
        True,
        "major",
        "FIELD_SAME_JSON_NAME",
        f"{SHOP}:28",
        compat("COMPAT_JSON_NAME"),
    ),
    "unary_to_streaming": Scenario(
        unary_to_streaming, True, "major", "RPC_SAME_SERVER_STREAMING", f"{SERVICE}:10"
    ),
    "delete_rpc": Scenario(delete_rpc, True, "major", "RPC_NO_DELETE", f"{SERVICE}:8"),
    "move_message_to_another_file": Scenario(
        move_message, True, "major", "MESSAGE_NO_DELETE", f"{SHOP}:1"
    ),
    "comment_only": Scenario(comment_only, False, "patch"),
    "deprecate_field": Scenario(deprecate_field, False, "minor"),
    "rename_field": Scenario(
        rename_field, True, "major", "FIELD_SAME_NAME", f"{SHOP}:16", compat("COMPAT_JSON_NAME")
    ),
    "rename_enum_value": Scenario(
        rename_enum_value,
        True,
        "major",
        "ENUM_VALUE_SAME_NAME",
        f"{SHOP}:10",
        compat("COMPAT_JSON_ENUM_NAME"),
    ),
    "change_request_type": Scenario(
        change_request_type, True, "major", "RPC_SAME_REQUEST_TYPE", f"{SERVICE}:10"
    ),
    "delete_field_reserved": Scenario(
        delete_field_reserved, True, "major", "FIELD_NO_DELETE", f"{SHOP}:15"
    ),
}


@dataclass(frozen=True)
class Outcome:
    """What buf, ``protokit diff`` and ``protokit check`` said about one scenario's commit."""

    name: str
    buf_breaking: bool
    buf_rules: frozenset[str]
    diff: dict[str, Any]
    check_code: int
    findings: list[dict[str, Any]]

    @property
    def scenario(self) -> Scenario:
        return SCENARIOS[self.name]

    @property
    def diff_rules(self) -> set[str]:
        return {r for c in self.diff["changes"] if c["kind"] == "breaking" for r in c["rules"]}


def run_scenario(pristine: Repo, name: str, dest: Path) -> Outcome:
    """Commit scenario ``name`` on a feature branch and ask buf, diff and check about it."""
    repo = feature_branch(pristine, dest)
    SCENARIOS[name].change(repo)
    repo.commit(name)

    buf = repo.buf("breaking", "--against", ".git#branch=main", "--error-format", "json")
    assert buf.returncode in (0, 100), buf.stderr
    diff = repo.diff_json("--against", "main")
    check = repo.protokit("check", "--against", "main", "--format", "json")
    assert check.returncode in (0, 100), check.stderr
    return Outcome(
        name=name,
        buf_breaking=buf.returncode == 100,
        buf_rules=frozenset(
            json.loads(line)["type"] for line in buf.stdout.splitlines() if line.strip()
        ),
        diff=diff,
        check_code=check.returncode,
        findings=json.loads(check.stdout),
    )


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def outcome(
    request: pytest.FixtureRequest, pristine: Repo, tmp_path_factory: pytest.TempPathFactory
) -> Outcome:
    """Each scenario is committed and checked once per run; its tests read the outcome. Under
    pytest-xdist the workers share it through a file in the run's common temporary folder."""
    name: str = request.param
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return run_scenario(pristine, name, tmp_path_factory.mktemp(name) / "repo")
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "run")  # this run's, never an earlier one's
    shared = tmp_path_factory.getbasetemp().parent / f"scenario-{run}-{name}"
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        saved = shared / "outcome.json"
        if saved.exists():
            data = json.loads(saved.read_text(encoding="utf-8"))
            return Outcome(**{**data, "buf_rules": frozenset(data["buf_rules"])})
        result = run_scenario(pristine, name, tmp_path_factory.mktemp(name) / "repo")
        data = {**asdict(result), "buf_rules": sorted(result.buf_rules)}
        saved.write_text(json.dumps(data), encoding="utf-8")
        return result


def test_buf_breaking_fails_exactly_the_breaking_scenarios(outcome: Outcome) -> None:
    assert outcome.buf_breaking is outcome.scenario.breaking, outcome.buf_rules


def test_diff_verdict_from_descriptors_agrees_with_buf(outcome: Outcome) -> None:
    assert outcome.diff["breaking"] is outcome.buf_breaking


def test_diff_implies_the_scenarios_version_bump(outcome: Outcome) -> None:
    assert outcome.diff["bump"] == outcome.scenario.bump


def test_diff_reports_exactly_the_breaking_rules_buf_reports(outcome: Outcome) -> None:
    assert outcome.diff_rules == outcome.buf_rules, (outcome.diff_rules, outcome.buf_rules)


def test_buf_and_diff_both_name_the_scenarios_rule(outcome: Outcome) -> None:
    rule = outcome.scenario.rule
    if rule is None:
        assert not outcome.buf_rules and not outcome.diff_rules
    else:
        assert rule in outcome.buf_rules
        assert rule in outcome.diff_rules


def test_check_exits_100_for_breaking_changes_and_0_otherwise(outcome: Outcome) -> None:
    assert outcome.check_code == (100 if outcome.scenario.breaking else 0), outcome.findings


def test_fixture_checks_report_exactly_the_wire_and_json_breaks(outcome: Outcome) -> None:
    reported = {r for f in outcome.findings for r in (f["rule"], *f["also"])}
    compat_rules = {r for r in reported if r.startswith("COMPAT_")}
    assert compat_rules == outcome.scenario.compat, outcome.findings


def test_check_locates_the_rule_at_the_changed_line(outcome: Outcome) -> None:
    rule = outcome.scenario.rule
    if rule is None:
        assert outcome.findings == []
    else:
        located = {
            f"{f['path']}:{f['line']}" for f in outcome.findings if rule in (f["rule"], *f["also"])
        }
        assert outcome.scenario.location in located, outcome.findings


def test_check_reports_each_change_once_at_its_proto_line(outcome: Outcome) -> None:
    evolution = [f for f in outcome.findings if f["source"] in ("buf breaking", "protokit compat")]
    places = [(f["path"], f["line"]) for f in evolution]
    assert len(places) == len(set(places)), evolution
    assert all(path.endswith(".proto") for path, _ in places), evolution
