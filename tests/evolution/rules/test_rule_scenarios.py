"""One scenario per diff rule, cross-checked against the real `buf breaking`.

Each row is a previous and a current version of a small module, judged in one buf category.
Breaking rules: buf reports the rule, protokit's diff reports it too, at the same file, line and
column. Additive and cosmetic rules: buf reports nothing, and diff names the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from protokit.evolution.rules import Category, Kind, all_rules, rule_by_id

from .agreement import buf_breaking, build, diff, write_module

FILE, PACKAGE, WIRE_JSON, WIRE = (
    Category.FILE,
    Category.PACKAGE,
    Category.WIRE_JSON,
    Category.WIRE,
)
A = "p/v1/a.proto"
B = "p/v1/b.proto"
P3 = 'syntax = "proto3";\n\npackage p.v1;\n\n'
P2 = 'syntax = "proto2";\n\npackage p.v1;\n\n'


@dataclass(frozen=True)
class Row:
    rule: str
    category: Category
    previous: dict[str, str]
    current: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)


def row(rule: str, category: Category, previous: str, current: str, header: str = P3) -> Row:
    return Row(rule, category, {A: header + previous}, {A: header + current})


MSG = "message M {\n  string s = 1;\n  int64 n = 2;\n}\n"
ENUM = "enum E {\n  E_UNSPECIFIED = 0;\n  E_ONE = 1;\n}\n"
ALIASED = (
    "enum E {\n  option allow_alias = true;\n  E_UNSPECIFIED = 0;\n  E_ONE = 1;\n  E_UNO = 1;\n}\n"
)
SVC = (
    "message Req {}\n\nmessage Res {}\n\nmessage Other {}\n\n"
    "service S {\n  rpc Get(Req) returns (Res);\n  rpc Put(Req) returns (Res);\n}\n"
)

STRINGS = (
    "message M {\n  optional string s = 1;\n  map<string, string> m = 2;\n"
    "  repeated string r = 3;\n  optional bytes b = 4;\n}\n"
)
"""String fields (a map's key and value included) and a bytes field, with the same presence in
proto2 and proto3."""
JSON_FORMATS = (
    "message W {\n  map<string, string> m = 1;\n}\n\n"
    "enum E {\n  E_UNSPECIFIED = 0;\n}\n\n"
    "message M {\n  optional string s = 1;\n\n  message N {\n    optional int32 x = 1;\n  }\n}\n"
)
"""Messages (a map's entry and a nested one included) and an enum: each loses full JSON
support when its file goes from proto3 to proto2."""
EXTENDED = (
    "message M {\n  optional string s = 1;\n  extensions 100 to 199;\n}\n\n"
    "extend M {\n  optional string tag = 100;\n}\n"
)
NESTED_EXTENSION = (
    "message M {\n  optional string s = 1;\n  extensions 100 to 199;\n}\n\n"
    "message Holder {\n  optional string h = 1;\n\n"
    "  extend M {\n    optional string tag = 101;\n  }\n}\n"
)

_OPTIONS = {
    "cc_enable_arenas": ("true", "false"),
    "cc_generic_services": ("false", "true"),
    "csharp_namespace": ('"P.V1"', '"Q.V1"'),
    "go_package": ('"example.com/p/v1"', '"example.com/q/v1"'),
    "java_generic_services": ("false", "true"),
    "java_multiple_files": ("false", "true"),
    "java_outer_classname": ('"AProto"', '"BProto"'),
    "java_package": ('"com.p.v1"', '"com.q.v1"'),
    "objc_class_prefix": ('"PXX"', '"QXX"'),
    "optimize_for": ("SPEED", "LITE_RUNTIME"),
    "php_class_prefix": ('"P"', '"Q"'),
    "php_metadata_namespace": ('"P\\\\V1"', '"Q\\\\V1"'),
    "php_namespace": ('"P\\\\V1"', '"Q\\\\V1"'),
    "py_generic_services": ("false", "true"),
    "ruby_package": ('"P::V1"', '"Q::V1"'),
    "swift_prefix": ('"P"', '"Q"'),
}


def _option_rows() -> list[Row]:
    rows = []
    for option, (before, after) in _OPTIONS.items():
        rows.append(
            row(
                f"FILE_SAME_{option.upper()}",
                FILE,
                f"option {option} = {before};\n\n{MSG}",
                f"option {option} = {after};\n\n{MSG}",
            )
        )
    return rows


ROWS = [
    Row("FILE_NO_DELETE", FILE, {A: P3 + MSG, B: P3 + "message N {}\n"}, {A: P3 + MSG}),
    Row(
        "PACKAGE_NO_DELETE",
        PACKAGE,
        {A: P3 + MSG, "q/v1/q.proto": 'syntax = "proto3";\n\npackage q.v1;\n\nmessage Q {}\n'},
        {A: P3 + MSG},
    ),
    row("PACKAGE_MESSAGE_NO_DELETE", PACKAGE, MSG + "\nmessage N {}\n", MSG),
    row("PACKAGE_SERVICE_NO_DELETE", PACKAGE, SVC, SVC.split("service")[0]),
    Row(
        "FILE_SAME_PACKAGE",
        WIRE,
        {A: P3 + MSG},
        {A: 'syntax = "proto3";\n\npackage p.v2;\n\n' + MSG},
    ),
    row("FILE_SAME_SYNTAX", FILE, "message M {}\n", "message M {}\n", P2).__class__(
        "FILE_SAME_SYNTAX", FILE, {A: P2 + "message M {}\n"}, {A: P3 + "message M {}\n"}
    ),
    *_option_rows(),
    row("MESSAGE_NO_DELETE", FILE, MSG + "\nmessage N {}\n", MSG),
    row(
        "MESSAGE_NO_DELETE",
        FILE,
        "message M {\n  map<string, int32> m = 1;\n}\n",
        "message M {\n  repeated int32 m = 1;\n}\n",
    ),
    row("ENUM_NO_DELETE", FILE, MSG + "\n" + ENUM, MSG),
    row("SERVICE_NO_DELETE", FILE, SVC, SVC.split("service")[0]),
    row("FIELD_NO_DELETE", FILE, MSG, "message M {\n  string s = 1;\n}\n"),
    row(
        "FIELD_NO_DELETE",
        FILE,
        MSG,
        'message M {\n  string s = 1;\n  reserved 2;\n  reserved "n";\n}\n',
    ),
    row("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", WIRE, MSG, "message M {\n  string s = 1;\n}\n"),
    row(
        "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
        WIRE_JSON,
        MSG,
        "message M {\n  string s = 1;\n  reserved 2;\n}\n",
    ),
    # a field renumbered: its old number is gone, and its name, though still in use, is not
    # reserved (buf reports it so)
    row(
        "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
        WIRE_JSON,
        MSG,
        "message M {\n  string s = 1;\n  int64 n = 3;\n}\n",
    ),
    row(
        "ONEOF_NO_DELETE",
        FILE,
        "message M {\n  oneof o {\n    string s = 1;\n  }\n}\n",
        "message M {\n  string s = 1;\n}\n",
    ),
    row(
        "RESERVED_MESSAGE_NO_DELETE",
        WIRE,
        "message M {\n  reserved 3 to 5;\n}\n",
        "message M {\n  reserved 3;\n}\n",
    ),
    Row(
        "MESSAGE_SAME_REQUIRED_FIELDS",
        WIRE,
        {A: P2 + "message M {\n  optional string s = 1;\n}\n"},
        {A: P2 + "message M {\n  required string s = 1;\n}\n"},
    ),
    row(
        "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR",
        FILE,
        "message M {}\n",
        "message M {\n  option no_standard_descriptor_accessor = true;\n}\n",
    ),
    row("FIELD_SAME_NAME", FILE, MSG, "message M {\n  string s = 1;\n  int64 count = 2;\n}\n"),
    row(
        "FIELD_SAME_JSON_NAME",
        WIRE_JSON,
        MSG,
        'message M {\n  string s = 1;\n  int64 n = 2 [json_name = "num"];\n}\n',
    ),
    row("FIELD_SAME_TYPE", FILE, MSG, "message M {\n  string s = 1;\n  int32 n = 2;\n}\n"),
    row(
        "FIELD_WIRE_COMPATIBLE_TYPE",
        WIRE,
        MSG,
        "message M {\n  string s = 1;\n  sint64 n = 2;\n}\n",
    ),
    row(
        "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
        WIRE_JSON,
        MSG,
        "message M {\n  string s = 1;\n  int32 n = 2;\n}\n",
    ),
    row(
        "FIELD_SAME_CARDINALITY",
        FILE,
        "message M {\n  N n = 1;\n}\n\nmessage N {}\n",
        "message M {\n  int32 n = 1;\n}\n\nmessage N {}\n",
    ),
    row(
        "FIELD_WIRE_COMPATIBLE_CARDINALITY",
        WIRE,
        MSG,
        "message M {\n  string s = 1;\n  repeated int64 n = 2;\n}\n",
    ),
    row(
        "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
        WIRE_JSON,
        "message M {\n  repeated N n = 1;\n}\n\nmessage N {}\n",
        "message M {\n  map<string, N> n = 1;\n}\n\nmessage N {}\n",
    ),
    row(
        "FIELD_SAME_ONEOF",
        WIRE,
        MSG,
        "message M {\n  oneof o {\n    string s = 1;\n  }\n  int64 n = 2;\n}\n",
    ),
    Row(
        "FIELD_SAME_DEFAULT",
        WIRE,
        {A: P2 + "message M {\n  optional int32 n = 1 [default = 1];\n}\n"},
        {A: P2 + "message M {\n  optional int32 n = 1 [default = 2];\n}\n"},
    ),
    row(
        "FIELD_SAME_JSTYPE",
        FILE,
        MSG,
        "message M {\n  string s = 1;\n  int64 n = 2 [jstype = JS_STRING];\n}\n",
    ),
    Row(
        "FIELD_SAME_CPP_STRING_TYPE",
        FILE,
        {A: P2 + "message M {\n  optional string s = 1;\n}\n"},
        {A: P2 + "message M {\n  optional string s = 1 [ctype = CORD];\n}\n"},
    ),
    row("EXTENSION_NO_DELETE", FILE, EXTENDED, EXTENDED.split("extend")[0], header=P2),
    row(
        "EXTENSION_NO_DELETE",
        FILE,
        NESTED_EXTENSION,
        NESTED_EXTENSION.split("  extend")[0] + "}\n",
        header=P2,
    ),
    row(
        "EXTENSION_MESSAGE_NO_DELETE",
        FILE,
        EXTENDED,
        EXTENDED.replace("extensions 100 to 199;", "extensions 100 to 149;"),
        header=P2,
    ),
    row(
        "EXTENSION_MESSAGE_NO_DELETE",
        PACKAGE,
        EXTENDED,
        EXTENDED.replace("  extensions 100 to 199;\n", "").replace(
            "extend M {\n  optional string tag = 100;\n}\n", ""
        ),
        header=P2,
    ),
    Row(
        "FIELD_SAME_UTF8_VALIDATION",
        FILE,
        {A: P2 + STRINGS},
        {A: P3 + STRINGS},
    ),
    Row(
        "FIELD_SAME_UTF8_VALIDATION",
        PACKAGE,
        {A: P2 + STRINGS},
        {A: P3 + STRINGS},
    ),
    Row(
        "FIELD_SAME_JAVA_UTF8_VALIDATION",
        FILE,
        {A: P2 + STRINGS},
        {A: P2 + "option java_string_check_utf8 = true;\n\n" + STRINGS},
    ),
    Row(
        "FIELD_SAME_JAVA_UTF8_VALIDATION",
        PACKAGE,
        {A: P2 + STRINGS},
        {A: P3 + STRINGS},
    ),
    Row("MESSAGE_SAME_JSON_FORMAT", WIRE_JSON, {A: P3 + JSON_FORMATS}, {A: P2 + JSON_FORMATS}),
    Row("ENUM_SAME_JSON_FORMAT", WIRE_JSON, {A: P3 + JSON_FORMATS}, {A: P2 + JSON_FORMATS}),
    row("ENUM_VALUE_NO_DELETE", FILE, ENUM, "enum E {\n  E_UNSPECIFIED = 0;\n}\n"),
    row(
        "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
        WIRE,
        ENUM,
        "enum E {\n  E_UNSPECIFIED = 0;\n}\n",
    ),
    row(
        "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
        WIRE_JSON,
        ENUM,
        "enum E {\n  E_UNSPECIFIED = 0;\n  reserved 1;\n}\n",
    ),
    row(
        "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
        WIRE_JSON,
        ENUM,
        "enum E {\n  E_UNSPECIFIED = 0;\n  E_ONE = 2;\n}\n",
    ),
    row("ENUM_VALUE_SAME_NAME", FILE, ENUM, "enum E {\n  E_UNSPECIFIED = 0;\n  E_UNO = 1;\n}\n"),
    row(
        "ENUM_VALUE_SAME_NAME",
        FILE,
        ALIASED,
        ENUM,
    ),
    row(
        "RESERVED_ENUM_NO_DELETE",
        WIRE,
        "enum E {\n  E_UNSPECIFIED = 0;\n  reserved 5;\n}\n",
        "enum E {\n  E_UNSPECIFIED = 0;\n}\n",
    ),
    Row(
        "ENUM_SAME_TYPE",
        FILE,
        {A: P2 + "enum E {\n  E_UNSPECIFIED = 0;\n}\n"},
        {A: P3 + "enum E {\n  E_UNSPECIFIED = 0;\n}\n"},
    ),
    row("RPC_NO_DELETE", FILE, SVC, SVC.replace("  rpc Put(Req) returns (Res);\n", "")),
    row("RPC_SAME_REQUEST_TYPE", WIRE, SVC, SVC.replace("rpc Get(Req)", "rpc Get(Other)")),
    row(
        "RPC_SAME_RESPONSE_TYPE",
        WIRE,
        SVC,
        SVC.replace("Get(Req) returns (Res)", "Get(Req) returns (Other)"),
    ),
    row("RPC_SAME_CLIENT_STREAMING", WIRE, SVC, SVC.replace("rpc Get(Req)", "rpc Get(stream Req)")),
    row(
        "RPC_SAME_SERVER_STREAMING",
        WIRE,
        SVC,
        SVC.replace("returns (Res);\n  rpc Put", "returns (stream Res);\n  rpc Put"),
    ),
    row(
        "RPC_SAME_IDEMPOTENCY_LEVEL",
        WIRE,
        SVC,
        SVC.replace(
            "rpc Get(Req) returns (Res);",
            "rpc Get(Req) returns (Res) {\n    option idempotency_level = NO_SIDE_EFFECTS;\n  }",
        ),
    ),
    # not breaking: buf reports nothing, diff names the change
    Row("FILE_ADDED", FILE, {A: P3 + MSG}, {A: P3 + MSG, B: P3 + "message N {}\n"}),
    row("ELEMENT_ADDED", FILE, MSG, MSG + "\nmessage N {}\n"),
    row("FIELD_ADDED", FILE, MSG, MSG.replace("}\n", "  bool b = 3;\n}\n")),
    row(
        "ENUM_VALUE_ADDED",
        FILE,
        ENUM,
        ENUM.replace("  E_ONE = 1;\n", "  E_ONE = 1;\n  E_TWO = 2;\n"),
    ),
    row(
        "ENUM_VALUE_ADDED",
        FILE,
        ENUM,
        ALIASED,
    ),
    row(
        "RPC_ADDED", FILE, SVC, SVC.replace("  rpc Put", "  rpc Del(Req) returns (Res);\n  rpc Put")
    ),
    row(
        "MESSAGE_DEPRECATION",
        FILE,
        MSG,
        MSG.replace("message M {\n", "message M {\n  option deprecated = true;\n"),
    ),
    row(
        "FIELD_DEPRECATION",
        FILE,
        MSG,
        MSG.replace("int64 n = 2;", "int64 n = 2 [deprecated = true];"),
    ),
    row(
        "ENUM_DEPRECATION", FILE, ENUM, ENUM.replace("E_ONE = 1;", "E_ONE = 1 [deprecated = true];")
    ),
    row(
        "SERVICE_DEPRECATION",
        FILE,
        SVC,
        SVC.replace("service S {\n", "service S {\n  option deprecated = true;\n"),
    ),
    row(
        "RPC_DEPRECATION",
        FILE,
        SVC,
        SVC.replace(
            "rpc Get(Req) returns (Res);",
            "rpc Get(Req) returns (Res) {\n    option deprecated = true;\n  }",
        ),
    ),
    row("MESSAGE_COMMENT_CHANGED", FILE, "// One.\n" + MSG, "// Two.\n" + MSG),
    row("FIELD_COMMENT_CHANGED", FILE, MSG, MSG.replace("  int64 n", "  // Count.\n  int64 n")),
    row("ENUM_COMMENT_CHANGED", FILE, ENUM, ENUM.replace("  E_ONE", "  // One.\n  E_ONE")),
    row("SERVICE_COMMENT_CHANGED", FILE, SVC, SVC.replace("service S", "// Serves.\nservice S")),
    row("RPC_COMMENT_CHANGED", FILE, SVC, SVC.replace("  rpc Get", "  // Gets.\n  rpc Get")),
]


def _id(r: Row) -> str:
    return f"{r.rule}-{r.category.value}"


@pytest.mark.parametrize("case", ROWS, ids=[_id(r) for r in ROWS])
def test_rule_scenario_agrees_with_buf(case: Row, tmp_path: Path) -> None:
    previous = build(write_module(tmp_path / "previous", case.previous))
    current = write_module(tmp_path / "current", case.current, case.category)
    found = buf_breaking(current, previous)
    api = diff(previous, build(current), case.category)
    rule = rule_by_id(case.rule)
    assert rule is not None
    changes = [c for c in api.changes if case.rule in c.rules]
    assert changes, api.changes
    if rule.kind is not Kind.BREAKING:
        assert found == []
        assert not api.breaking
        return
    buf_places = {(f.path, f.line, f.column) for f in found if f.rule == case.rule}
    assert buf_places, found
    assert {(c.path, c.line, c.column) for c in changes} == buf_places
    assert {r for c in api.changes for r in c.rules if rule_by_id(r).kind is Kind.BREAKING} == {  # type: ignore[union-attr]
        f.rule for f in found
    }


def test_every_rule_has_a_scenario() -> None:
    named = {r.rule for r in ROWS}
    assert [r.id for r in all_rules() if r.id not in named] == []
