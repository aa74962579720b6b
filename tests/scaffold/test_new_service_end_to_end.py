"""new-service end to end, as a user runs it: a real process, then buf lint, buf format, buf
breaking against the baseline commit, ``protokit gen --check``, and the service's own starter
test over real gRPC (a server on 127.0.0.1, port 0)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.scaffold.conftest import buf_clean, run

PROTOKIT = [sys.executable, "-m", "protokit"]


def _starter_test(root: Path, test: str) -> str:
    result = run(
        [sys.executable, "-m", "pytest", "-v", "-rs", "-p", "no:cacheprovider", test],
        root,
        PYTHONPATH=str(root / "gen" / "python"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_service_with_every_rpc_kind_is_lint_clean_additive_and_its_starter_test_passes(
    repo: Path,
) -> None:
    started = time.monotonic()
    result = run(
        [
            *PROTOKIT,
            "new-service",
            "billing",
            "--unary",
            "GetInvoice",
            "--server-stream",
            "WatchInvoices",
            "--client-stream",
            "UploadInvoices",
            "--bidi",
            "SyncInvoices",
            "--unary",
            "CancelInvoice",
        ],
        repo,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    for path in (
        "contracts/acme/billing/v1/billing_service.proto",
        "contracts/acme/billing/v1/.protokit-answers.json",
        "gen/python/acme/billing/v1/billing_service_pb2_grpc.py",
        "services/billing/servicer_aio.py",
        "services/billing/__main__.py",
        "tests/services/test_billing_service.py",
    ):
        assert f"create    {path}" in lines, result.stderr
    assert (repo / "services/common/server_aio.py").is_file()  # the shared serving module
    # asyncio is the default flavour: no sync servicer to leave answering UNIMPLEMENTED.
    assert not (repo / "services/billing/servicer.py").exists()
    # The example services' skeletons exist already: gen leaves them alone.
    assert not any(line.startswith("create    services/user/") for line in lines)

    buf_clean(repo)
    check = run([*PROTOKIT, "gen", "--check"], repo)
    assert check.returncode == 0, check.stdout + check.stderr  # gen planned on the same image
    gate = run([*PROTOKIT, "check"], repo)
    assert gate.returncode == 0, gate.stdout + gate.stderr  # the pull-request gate agrees
    again = run([*PROTOKIT, "gen"], repo)
    assert again.returncode == 0, again.stderr
    assert not (repo / "services/billing/servicer.py").exists()  # gen keeps the flavour chosen
    out = _starter_test(repo, "tests/services/test_billing_service.py")
    for rpc in ("GetInvoice", "CancelInvoice", "WatchInvoices", "UploadInvoices", "SyncInvoices"):
        assert f"deliberately_over_asyncio[BillingService.{rpc}] SKIPPED" in out
    assert "not implemented yet" in out and "5 skipped" in out
    # Health and reflection are checked on the asyncio server, the only one this flavour has.
    assert "test_health_reports_serving_over_asyncio PASSED" in out
    assert "test_reflection_lists_the_services_over_asyncio PASSED" in out
    assert "2 passed, 5 skipped" in out
    print(f"new-service billing (5 RPCs, 4 kinds) end to end: {elapsed:.2f}s")


IMPLEMENTED = """\
    async def GetInvoice(
        self,
        request: billing_service_pb2.GetInvoiceRequest,
        context: grpc.aio.ServicerContext[
            billing_service_pb2.GetInvoiceRequest, billing_service_pb2.GetInvoiceResponse
        ],
    ) -> billing_service_pb2.GetInvoiceResponse:
        \"\"\"GetInvoice, implemented.\"\"\"
        return billing_service_pb2.GetInvoiceResponse()
"""


def test_after_implementing_one_rpc_its_starter_test_passes_and_the_rest_skip(repo: Path) -> None:
    flags = ["--unary", "GetInvoice", "--unary", "CancelInvoice", "--server-stream", "Watch"]
    result = run([*PROTOKIT, "new-service", "billing", *flags], repo)
    assert result.returncode == 0, result.stderr
    servicer = repo / "services/billing/servicer_aio.py"
    text = servicer.read_text()
    start = text.index("    async def GetInvoice(")
    end = text.index("    async def CancelInvoice(")
    servicer.write_text(text[:start] + IMPLEMENTED + "\n" + text[end:])
    out = _starter_test(repo, "tests/services/test_billing_service.py")
    assert "[BillingService.GetInvoice] PASSED" in out
    assert "3 passed, 2 skipped" in out  # GetInvoice, health and reflection over asyncio


def test_flavour_both_scaffolds_both_servicers_and_tests_both(repo: Path) -> None:
    result = run(
        [*PROTOKIT, "new-service", "billing", "--unary", "GetInvoice", "--flavour", "both"], repo
    )
    assert result.returncode == 0, result.stderr
    assert (repo / "services/billing/servicer.py").is_file()
    out = _starter_test(repo, "tests/services/test_billing_service.py")
    assert (
        "test_rpc_answers_a_sample_request_deliberately[BillingService.GetInvoice] SKIPPED" in out
    )
    for test in ("test_health_reports_serving", "test_reflection_lists_the_services"):
        assert f"{test} PASSED" in out  # the sync server
        assert f"{test}_over_asyncio PASSED" in out  # and the asyncio one
    assert "4 passed, 2 skipped" in out


def test_a_second_version_of_an_existing_domain_gets_its_own_servicer_and_test(
    repo: Path,
) -> None:
    result = run(
        [
            *PROTOKIT,
            "new-service",
            "user",
            "--version",
            "v2",
            "--server-stream",
            "ListUsers",
            "--bidi",
            "ChatSupport",
        ],
        repo,
    )
    assert result.returncode == 0, result.stderr
    assert "create    contracts/acme/user/v2/user_service.proto" in result.stderr
    assert "create    services/user_v2/servicer_aio.py" in result.stderr
    buf_clean(repo)
    out = _starter_test(repo, "tests/services/test_user_v2_service.py")
    assert "[UserService.ChatSupport] SKIPPED" in out and "not implemented yet" in out


@pytest.mark.parametrize(
    "flags",
    [
        ["--unary", "GetInvoice"],
        ["--server-stream", "WatchInvoices"],
        ["--client-stream", "UploadInvoices"],
        ["--bidi", "SyncInvoices"],
        ["--bidi", "B", "--bidi", "A", "--client-stream", "C", "--server-stream", "S"],
    ],
    ids=["unary", "server-stream", "client-stream", "bidi", "streams-only"],
)
def test_each_rpc_kind_gives_a_contract_buf_accepts(repo: Path, flags: list[str]) -> None:
    result = run([*PROTOKIT, "new-service", "payments", *flags], repo)
    assert result.returncode == 0, result.stderr
    buf_clean(repo)
    assert (repo / "services/payments/servicer_aio.py").is_file()
    assert (repo / "tests/services/test_payments_service.py").is_file()


def test_add_rpc_extends_the_contract_servicer_and_starter_test(repo: Path) -> None:
    first = run([*PROTOKIT, "new-service", "billing", "--unary", "GetInvoice"], repo)
    assert first.returncode == 0, first.stderr
    servicer = repo / "services/billing/servicer_aio.py"
    mine = servicer.read_text().replace('"""Servicers for', '"""Mine. Servicers for')
    servicer.write_text(mine)
    added = run(
        [*PROTOKIT, "new-service", "billing", "--add-rpc", "--server-stream", "WatchInvoices"],
        repo,
    )
    assert added.returncode == 0, added.stderr
    assert "added WatchInvoices to acme.billing.v1" in added.stderr
    contract = (repo / "contracts/acme/billing/v1/billing_service.proto").read_text()
    assert "rpc WatchInvoices(WatchInvoicesRequest) returns (stream WatchInvoicesResponse);" in (
        contract
    )
    text = servicer.read_text()
    assert text.startswith('"""Mine.') and "async def WatchInvoices(" in text
    buf_clean(repo)
    check = run([*PROTOKIT, "gen", "--check"], repo)
    assert check.returncode == 0, check.stdout + check.stderr
    out = _starter_test(repo, "tests/services/test_billing_service.py")
    assert "[BillingService.WatchInvoices] SKIPPED" in out and "2 skipped" in out


def test_add_rpc_refuses_an_rpc_the_service_has(repo: Path) -> None:
    first = run([*PROTOKIT, "new-service", "billing", "--unary", "GetInvoice"], repo)
    assert first.returncode == 0, first.stderr
    again = run([*PROTOKIT, "new-service", "billing", "--add-rpc", "--unary", "GetInvoice"], repo)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        "protokit: error: BillingService already has RPC GetInvoice"
    ]


@pytest.mark.parametrize(
    "broken", ["services/billing/servicer_aio.py", "tests/services/test_billing_service.py"]
)
def test_add_rpc_to_a_file_that_does_not_parse_is_one_error_naming_it(
    repo: Path, broken: str
) -> None:
    first = run([*PROTOKIT, "new-service", "billing", "--unary", "GetInvoice"], repo)
    assert first.returncode == 0, first.stderr
    contract = repo / "contracts/acme/billing/v1/billing_service.proto"
    before = contract.read_bytes()
    (repo / broken).write_text((repo / broken).read_text() + "\ndef half_written(:\n")
    added = run([*PROTOKIT, "new-service", "billing", "--add-rpc", "--unary", "Refund"], repo)
    assert added.returncode == 1
    (line,) = added.stderr.strip().splitlines()
    assert line.startswith(f"protokit: error: {broken}:") and "is not valid Python" in line
    assert contract.read_bytes() == before  # nothing was written
