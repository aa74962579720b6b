"""Evolution scenarios, each a commit on a feature branch checked against `main`.

For every scenario: `protokit check --against main` passes or fails with the right rule at the
right place, `protokit diff` classifies it (and implies the right version bump), protokit's own
breaking verdict (from descriptors, in `diff`) agrees with the real `buf breaking`, and the fixture
checks report exactly the wire and JSON breaks (and nothing for API-only ones).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from .conftest import SERVICE, SHOP, Repo


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


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_verdict_rule_location_and_bump_agree_with_buf(repo: Repo, name: str) -> None:
    scenario = SCENARIOS[name]
    scenario.change(repo)
    repo.commit(name)

    buf = repo.buf("breaking", "--against", ".git#branch=main", "--error-format", "json")
    assert buf.returncode in (0, 100), buf.stderr
    buf_rules = {json.loads(line)["type"] for line in buf.stdout.splitlines() if line.strip()}
    assert (buf.returncode == 100) is scenario.breaking, buf.stdout

    diff = repo.diff_json("--against", "main")
    assert diff["breaking"] is scenario.breaking  # protokit's own verdict agrees with buf's
    assert diff["bump"] == scenario.bump
    changes = diff["changes"]
    assert isinstance(changes, list)
    diff_rules = {r for c in changes if c["kind"] == "breaking" for r in c["rules"]}
    assert diff_rules == buf_rules, (diff_rules, buf_rules)

    check = repo.protokit("check", "--against", "main", "--format", "json")
    findings = json.loads(check.stdout)
    assert check.returncode == (100 if scenario.breaking else 0), check.stderr
    reported = {r for f in findings for r in (f["rule"], *f["also"])}
    compat_rules = {r for r in reported if r.startswith("COMPAT_")}
    assert compat_rules == scenario.compat, findings
    if scenario.rule is not None:
        assert scenario.rule in buf_rules
        assert scenario.rule in diff_rules
        located = {
            f"{f['path']}:{f['line']}" for f in findings if scenario.rule in (f["rule"], *f["also"])
        }
        assert scenario.location in located, findings
    else:
        assert findings == []
