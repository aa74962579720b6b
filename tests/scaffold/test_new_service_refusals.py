"""Bad names and conflicting invocations: one clear error line, exit 2 (the command line is
wrong) or 1 (the repository is in the way), and not one byte of the repository changed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from protokit.core.workspace import open_workspace
from protokit.gen.model import RpcKind
from protokit.scaffold.new_service import RpcSpec, run_new_service
from tests.scaffold.conftest import protokit, snapshot

SHIPPING = """syntax = "proto3";

package acme.shipping.v1;

// GetParcelRequest names a parcel (written by hand, not by new-service).
message GetParcelRequest {
  // The parcel's tracking code.
  string code = 1;
}
"""

USAGE, ERROR = 2, 1

CASES: list[tuple[str, list[str], int, str]] = [
    # service names
    ("empty-name", ["", "--unary", "A"], USAGE, "service name is empty"),
    ("capitalised", ["Billing", "--unary", "A"], USAGE, "did you mean 'billing'"),
    ("kebab", ["billing-api", "--unary", "A"], USAGE, "did you mean 'billing_api'"),
    ("slash", ["billing/api", "--unary", "A"], USAGE, "path separator"),
    ("backslash", ["billing\\api", "--unary", "A"], USAGE, "path separator"),
    ("dot-dot-prefix", ["../billing", "--unary", "A"], USAGE, "path separator or '..'"),
    ("dot-dot", ["..", "--unary", "A"], USAGE, "path separator or '..'"),
    ("dotted", ["bill.ing", "--unary", "A"], USAGE, "not lower_snake_case"),
    ("service-suffix", ["billing_service", "--unary", "A"], USAGE, "use 'billing'"),
    ("just-service", ["service", "--unary", "A"], USAGE, "is a Protobuf keyword"),
    ("python-keyword", ["class", "--unary", "A"], USAGE, "is a Python keyword"),
    ("python-soft-async", ["async", "--unary", "A"], USAGE, "is a Python keyword"),
    ("proto-keyword", ["message", "--unary", "A"], USAGE, "is a Protobuf keyword"),
    ("proto-scalar", ["int32", "--unary", "A"], USAGE, "is a Protobuf keyword"),
    ("leading-digit", ["1billing", "--unary", "A"], USAGE, "not lower_snake_case"),
    ("leading-underscore", ["_billing", "--unary", "A"], USAGE, "not lower_snake_case"),
    ("trailing-underscore", ["billing_", "--unary", "A"], USAGE, "not lower_snake_case"),
    ("double-underscore", ["bill__ing", "--unary", "A"], USAGE, "not lower_snake_case"),
    ("non-ascii", ["bíll", "--unary", "A"], USAGE, "not lower_snake_case"),
    ("space", ["billing ", "--unary", "A"], USAGE, "not lower_snake_case"),
    ("newline", ["bill\ning", "--unary", "A"], USAGE, "'bill\\ning'"),
    ("overlong", ["b" * 41, "--unary", "A"], USAGE, "41 characters long; at most 40"),
    # RPC names and flags
    ("rpc-camel", ["payments", "--unary", "getInvoice"], USAGE, "did you mean 'GetInvoice'"),
    ("rpc-snake", ["payments", "--unary", "get_invoice"], USAGE, "not PascalCase"),
    ("rpc-space", ["payments", "--bidi", "Get Invoice"], USAGE, "not PascalCase"),
    ("rpc-none", ["payments", "--unary", "None"], USAGE, "'None' is a Python keyword"),
    ("rpc-true", ["payments", "--bidi", "True"], USAGE, "'True' is a Python keyword"),
    ("rpc-empty", ["payments", "--unary", ""], USAGE, "RPC name is empty"),
    ("rpc-overlong", ["payments", "--unary", "A" * 65], USAGE, "at most 64"),
    ("rpc-slash", ["payments", "--server-stream", "Get/Invoice"], USAGE, "path separator"),
    ("rpc-dot-dot", ["payments", "--client-stream", "..Get"], USAGE, "path separator or '..'"),
    (
        "rpc-twice",
        ["payments", "--unary", "GetInvoice", "--bidi", "GetInvoice"],
        USAGE,
        "given more than once (--bidi and --unary)",
    ),
    (
        "rpc-same-python-name",
        ["payments", "--unary", "GetHTTPStatus", "--unary", "GetHttpStatus"],
        USAGE,
        "both become 'get_http_status'",
    ),
    (
        "version-number",
        ["payments", "--unary", "A", "--version", "1"],
        USAGE,
        "not a package version",
    ),
    (
        "version-zero",
        ["payments", "--unary", "A", "--version", "v0"],
        USAGE,
        "not a package version",
    ),
    (
        "version-upper",
        ["payments", "--unary", "A", "--version", "V1"],
        USAGE,
        "not a package version",
    ),
    (
        "version-path",
        ["payments", "--unary", "A", "--version", "v1/.."],
        USAGE,
        "not a package version",
    ),
    (
        "package-empty-part",
        ["payments", "--unary", "A", "--package", "acme..payments.v1"],
        USAGE,
        "the part is empty",
    ),
    (
        "package-case",
        ["payments", "--unary", "A", "--package", "Acme.payments.v1"],
        USAGE,
        "the part 'Acme' is not lower_snake_case; expected lowercase",
    ),
    (
        "package-no-version",
        ["payments", "--unary", "A", "--package", "acme.payments"],
        USAGE,
        "does not end in a version",
    ),
    (
        "package-other-name",
        ["payments", "--unary", "A", "--package", "acme.billing.v1"],
        USAGE,
        "'acme.payments.v1' or the service name 'billing'",
    ),
    (
        "package-keyword",
        ["payments", "--unary", "A", "--package", "class.payments.v1"],
        USAGE,
        "is a Python keyword",
    ),
    (
        "package-and-version",
        ["payments", "--unary", "A", "--package", "acme.payments.v1", "--version", "v2"],
        USAGE,
        "disagree",
    ),
    (
        "stdlib-top-level",
        ["json", "--unary", "A", "--package", "json.v1"],
        USAGE,
        "shadowing the standard library module 'json'",
    ),
    (
        "services-top-level",
        ["services", "--unary", "A", "--package", "services.v1"],
        USAGE,
        "shadowing the package 'services'",
    ),
    (
        "grpc-top-level",
        ["grpc", "--unary", "A", "--package", "grpc.v1"],
        USAGE,
        "shadowing the package 'grpc'",
    ),
    (
        "no-rpc-not-a-terminal",
        ["payments"],
        USAGE,
        "protokit asks for them only when stdin is a terminal",
    ),
    # the repository is in the way
    (
        "existing-service",
        ["billing", "--unary", "Other"],
        ERROR,
        "billing_service.proto: exists and differs",
    ),
    (
        "existing-service-forced-order",
        ["billing", "--bidi", "GetInvoice"],
        ERROR,
        "exists and differs",
    ),
    (
        "existing-example",
        ["inventory", "--unary", "GetProductAvailability"],
        ERROR,
        "inventory_service.proto: exists and differs",
    ),
    (
        "existing-package",
        ["user", "--unary", "GetUser", "--package", "acme.user.v1"],
        ERROR,
        "exists and differs",
    ),
    (
        "hand-written-package",
        ["shipping", "--unary", "Track"],
        ERROR,
        "already declares package acme.shipping.v1",
    ),
    (
        "message-name-taken",
        ["shipping", "--unary", "GetParcel", "--force"],
        ERROR,
        "does not compile",
    ),
    (
        "orphan-servicer-folder",
        ["ledger", "--unary", "Post"],
        ERROR,
        "services/ledger/: exists, but no contract does",
    ),
    (
        "orphan-starter-test",
        ["refunds", "--unary", "Refund"],
        ERROR,
        "test_refunds_service.py: exists, but no contract does",
    ),
    ("file-in-the-way", ["blocked", "--unary", "A"], ERROR, "a file is in the way"),
    ("corrupt-answers", ["broken"], ERROR, "unreadable new-service answers"),
    (
        "moves-another-servicer",
        ["user", "--unary", "A", "--package", "aaa.user.v1"],
        ERROR,
        "would move the servicer folder of acme.user.v1",
    ),
]


@pytest.fixture(scope="module")
def crowded(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The baseline plus things in the way: a scaffolded billing service, a hand-written
    package, a servicer folder and a starter test with no contract, a file where a package
    folder would go, and unreadable answers."""
    root = tmp_path_factory.mktemp("crowded") / "repo"
    shutil.copytree(baseline, root, symlinks=True)
    run_new_service(open_workspace(root), "billing", [RpcSpec("GetInvoice", RpcKind.UNARY_UNARY)])
    (root / "contracts/acme/shipping/v1").mkdir(parents=True)
    (root / "contracts/acme/shipping/v1/shipping.proto").write_text(SHIPPING)
    (root / "services/ledger").mkdir()
    (root / "services/ledger/NOTES.md").write_text("the ledger service, coming soon\n")
    (root / "tests/services/test_refunds_service.py").write_text("def test_later() -> None: ...\n")
    (root / "contracts/acme/blocked").write_text("not a folder\n")
    (root / "contracts/acme/broken/v1").mkdir(parents=True)
    (root / "contracts/acme/broken/v1/.protokit-answers.json").write_text("{not json")
    yield root


def test_there_are_at_least_thirty_refusals() -> None:
    assert len(CASES) >= 30
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("args", "code", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refused_with_one_clear_line_and_nothing_changed(
    crowded: Path, args: list[str], code: int, fragment: str
) -> None:
    before = snapshot(crowded)
    result = protokit(crowded, "new-service", *args)
    assert snapshot(crowded) == before
    assert result.exit_code == code, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("protokit: error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0] == result.stderr.splitlines()[-1]  # the error is the last word
    assert fragment in errors[0], errors[0]
    assert "Traceback" not in result.output
    assert not result.stdout


def test_every_refusal_also_holds_for_a_dry_run(crowded: Path) -> None:
    before = snapshot(crowded)
    for name, args, code, _ in CASES:
        result = protokit(crowded, "new-service", *args, "--dry-run")
        assert result.exit_code == code, (name, result.stderr)
    assert snapshot(crowded) == before
