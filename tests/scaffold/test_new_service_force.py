"""new-service --force: the contract replaced with a backup, user code never touched."""

from __future__ import annotations

from pathlib import Path

from tests.scaffold.conftest import (
    BILLING,
    CONTRACT,
    buf_clean,
    protokit,
)


def test_force_replaces_the_contract_keeps_a_backup_and_never_touches_the_servicer(
    repo: Path,
) -> None:
    assert protokit(repo, "new-service", *BILLING).exit_code == 0
    old_contract = (repo / CONTRACT).read_bytes()
    servicer = repo / "services/billing/servicer_aio.py"
    servicer.write_text(servicer.read_text() + "\n# implemented by hand\n")
    mine = servicer.read_bytes()

    refused = protokit(repo, "new-service", "billing", "--unary", "GetInvoice", "--bidi", "Sync")
    assert refused.exit_code == 1
    assert f"conflict  {CONTRACT}" in refused.stderr

    forced = protokit(
        repo, "new-service", "billing", "--unary", "GetInvoice", "--bidi", "Sync", "--force"
    )
    assert forced.exit_code == 0, forced.stderr
    assert "rpc Sync(stream SyncRequest)" in (repo / CONTRACT).read_text()
    backups = sorted((repo / ".protokit/backups").glob(f"*/{CONTRACT}"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == old_contract
    assert f"the previous file is in {backups[0].relative_to(repo).as_posix()}" in forced.stderr
    assert servicer.read_bytes() == mine
    assert "RPC_NOT_IMPLEMENTED: BillingService lacks Sync" in forced.stderr
    buf_clean(repo)  # the backup sits outside the buf module


def test_force_scaffolds_around_a_servicer_folder_it_does_not_own(repo: Path) -> None:
    notes = repo / "services/ledger/NOTES.md"
    notes.parent.mkdir()
    notes.write_text("ledger: to do\n")
    assert protokit(repo, "new-service", "ledger", "--unary", "Post").exit_code == 1
    forced = protokit(repo, "new-service", "ledger", "--unary", "Post", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert notes.read_text() == "ledger: to do\n"
    assert (repo / "services/ledger/servicer_aio.py").is_file()
    assert not (repo / ".protokit").exists()  # nothing was replaced, so nothing backed up


def test_force_adds_the_service_to_a_hand_written_package(repo: Path) -> None:
    types = repo / "contracts/acme/shipping/v1/parcel.proto"
    types.parent.mkdir(parents=True)
    types.write_text(
        'syntax = "proto3";\n\npackage acme.shipping.v1;\n\n// Parcel is a box.\n'
        "message Parcel {}\n"
    )
    refused = protokit(repo, "new-service", "shipping", "--unary", "Track")
    assert refused.exit_code == 1
    assert "parcel.proto: already declares package acme.shipping.v1" in refused.stderr
    forced = protokit(repo, "new-service", "shipping", "--unary", "Track", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert types.read_text().endswith("message Parcel {}\n")
    assert (repo / "contracts/acme/shipping/v1/shipping_service.proto").is_file()
    buf_clean(repo)
