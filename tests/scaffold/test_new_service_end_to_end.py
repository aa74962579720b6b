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
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", test],
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
        "services/billing/servicer.py",
        "services/billing/servicer_aio.py",
        "services/billing/__main__.py",
        "tests/services/test_billing_service.py",
    ):
        assert f"create    {path}" in lines, result.stderr
    # The example services' skeletons exist already: gen leaves them alone.
    assert not any(line.startswith("create    services/user/") for line in lines)

    buf_clean(repo)
    check = run([*PROTOKIT, "gen", "--check"], repo)
    assert check.returncode == 0, check.stdout + check.stderr  # gen planned on the same image
    gate = run([*PROTOKIT, "check"], repo)
    assert gate.returncode == 0, gate.stdout + gate.stderr  # the pull-request gate agrees
    out = _starter_test(repo, "tests/services/test_billing_service.py")
    for rpc in ("get_invoice", "cancel_invoice", "watch_invoices", "upload_invoices"):
        assert f"test_billingservice_{rpc}_is_unimplemented PASSED" in out
    assert "test_billingservice_sync_invoices_is_unimplemented PASSED" in out
    assert "test_every_rpc_is_unimplemented_over_asyncio PASSED" in out
    print(f"new-service billing (5 RPCs, 4 kinds) end to end: {elapsed:.2f}s")


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
    assert "create    services/user_v2/servicer.py" in result.stderr
    buf_clean(repo)
    out = _starter_test(repo, "tests/services/test_user_v2_service.py")
    assert "test_userservice_chat_support_is_unimplemented PASSED" in out


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
    assert (repo / "services/payments/servicer.py").is_file()
    assert (repo / "tests/services/test_payments_service.py").is_file()
