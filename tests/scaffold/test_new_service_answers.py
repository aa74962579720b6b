"""new-service re-runs: a dry run prints what the real run does, the answers are recorded
beside the contract, and a re-run reads them back."""

from __future__ import annotations

import json
from pathlib import Path

from tests.scaffold.conftest import (
    ANSWERS,
    BILLING,
    CONTRACT,
    listed_files,
    protokit,
    snapshot,
)


def test_a_dry_run_writes_nothing_and_prints_the_lines_the_real_run_prints(repo: Path) -> None:
    before = snapshot(repo)
    dry = protokit(repo, "new-service", *BILLING, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert snapshot(repo) == before
    assert "(dry run: nothing written)" in dry.stderr
    real = protokit(repo, "new-service", *BILLING)
    assert real.exit_code == 0, real.stderr
    assert listed_files(dry.stderr) == listed_files(real.stderr)
    assert f"create    {CONTRACT}" in listed_files(real.stderr)


def test_the_answers_are_recorded_beside_the_contract(repo: Path) -> None:
    assert protokit(repo, "new-service", *BILLING).exit_code == 0
    answers = json.loads((repo / ANSWERS).read_text())
    assert answers["name"] == "billing"
    assert answers["package"] == "acme.billing.v1"
    assert answers["rpcs"] == [
        {"name": "GetInvoice", "kind": "unary"},
        {"name": "WatchInvoices", "kind": "server_stream"},
    ]


def test_a_bare_rerun_reads_the_answers_and_changes_nothing(repo: Path) -> None:
    assert protokit(repo, "new-service", *BILLING).exit_code == 0
    before = snapshot(repo)
    again = protokit(repo, "new-service", "billing")
    assert again.exit_code == 0, again.stderr
    assert snapshot(repo) == before
    assert f"identical {CONTRACT}" in again.stderr
    assert f"re-ran the answers recorded in {ANSWERS}" in again.stderr
    assert "create" not in " ".join(listed_files(again.stderr))


def test_a_rerun_accepts_files_the_user_added_to_the_package(repo: Path) -> None:
    assert protokit(repo, "new-service", *BILLING).exit_code == 0
    (repo / "contracts/acme/billing/v1/invoice.proto").write_text(
        'syntax = "proto3";\n\npackage acme.billing.v1;\n\n// Invoice is a bill.\n'
        "message Invoice {}\n"
    )
    again = protokit(repo, "new-service", "billing")
    assert again.exit_code == 0, again.stderr
    assert f"identical {CONTRACT}" in again.stderr
    assert "create    gen/python/acme/billing/v1/invoice_pb2.py" in again.stderr


def test_a_rerun_never_leaves_a_deleted_skeleton_missing_silently(repo: Path) -> None:
    assert protokit(repo, "new-service", *BILLING).exit_code == 0
    aio = repo / "services/billing/servicer_aio.py"
    aio.unlink()
    again = protokit(repo, "new-service", "billing")
    assert again.exit_code == 0, again.stderr
    # gen either creates it again or (keeping deletions) names it and the way to get it back.
    assert aio.is_file() or (
        "gen did not create services/billing/servicer_aio.py" in again.stderr
        and "protokit gen --force" in again.stderr
    )


def test_a_rerun_finds_the_answers_of_another_version(repo: Path) -> None:
    assert protokit(repo, "new-service", *BILLING, "--version", "v2").exit_code == 0
    again = protokit(repo, "new-service", "billing", "--dry-run")
    assert again.exit_code == 0, again.stderr
    assert "identical contracts/acme/billing/v2/billing_service.proto" in again.stderr


def test_the_same_flags_in_any_order_give_the_same_contract(repo: Path, tmp_path: Path) -> None:
    flags = ["--bidi", "Sync", "--unary", "Get", "--client-stream", "Put", "--unary", "Add"]
    assert protokit(repo, "new-service", "billing", *flags).exit_code == 0
    reordered = ["--unary", "Get", "--client-stream", "Put", "--unary", "Add", "--bidi", "Sync"]
    again = protokit(repo, "new-service", "billing", *reordered)
    assert again.exit_code == 0, again.stderr
    assert f"identical {CONTRACT}" in again.stderr
    text = (repo / CONTRACT).read_text()
    order = [text.index(f"rpc {name}(") for name in ("Get", "Add", "Put", "Sync")]
    assert order == sorted(order)  # unary, then server, client, bidi: each in the given order


def test_the_flavour_is_recorded_and_older_answers_mean_both(repo: Path) -> None:
    from protokit.gen.skeletons import Flavour
    from protokit.scaffold.answers import Answers

    assert protokit(repo, "new-service", *BILLING, "--flavour", "sync").exit_code == 0
    assert json.loads((repo / ANSWERS).read_text())["flavour"] == "sync"
    older = json.loads((repo / ANSWERS).read_text())
    del older["flavour"]
    parsed = Answers.loads(json.dumps(older).encode(), path=ANSWERS)
    assert parsed.flavour is Flavour.BOTH
