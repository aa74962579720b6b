"""What new-service promises besides a working service: dry runs, re-runs from recorded
answers, --force with backups, template overrides checked by buf, the org, and prompting."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.new_service.conftest import TIMEOUT, buf_clean, env_with, protokit, snapshot

BILLING = ["billing", "--unary", "GetInvoice", "--server-stream", "WatchInvoices"]
CONTRACT = "contracts/acme/billing/v1/billing_service.proto"
ANSWERS = "contracts/acme/billing/v1/.protokit-answers.json"
OVERRIDE = "templates/new_service/service.proto.j2"


def _builtin_template() -> str:
    from protokit.core.templates import environment

    env = environment(None)
    assert env.loader is not None
    return env.loader.get_source(env, "new_service/service.proto.j2")[0]


def _files(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("protokit:")]


def test_a_dry_run_writes_nothing_and_prints_the_lines_the_real_run_prints(repo: Path) -> None:
    before = snapshot(repo)
    dry = protokit(repo, "new-service", *BILLING, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert snapshot(repo) == before
    assert "(dry run: nothing written)" in dry.stderr
    real = protokit(repo, "new-service", *BILLING)
    assert real.exit_code == 0, real.stderr
    assert _files(dry.stderr) == _files(real.stderr)
    assert f"create    {CONTRACT}" in _files(real.stderr)


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
    assert "create" not in " ".join(_files(again.stderr))


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


def test_force_replaces_the_contract_keeps_a_backup_and_never_touches_the_servicer(
    repo: Path,
) -> None:
    assert protokit(repo, "new-service", *BILLING).exit_code == 0
    old_contract = (repo / CONTRACT).read_bytes()
    servicer = repo / "services/billing/servicer.py"
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
    assert (repo / "services/ledger/servicer.py").is_file()
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


def test_a_repository_template_overrides_the_builtin_one(repo: Path) -> None:
    override = repo / OVERRIDE
    override.parent.mkdir(parents=True)
    override.write_text(
        _builtin_template().replace(
            'syntax = "proto3";\n', 'syntax = "proto3";\n\n// Owned by the payments team.\n', 1
        )
    )
    result = protokit(repo, "new-service", *BILLING)
    assert result.exit_code == 0, result.stderr
    assert "// Owned by the payments team." in (repo / CONTRACT).read_text()
    buf_clean(repo)


def test_a_template_that_buf_lint_rejects_writes_nothing(repo: Path) -> None:
    override = repo / OVERRIDE
    override.parent.mkdir(parents=True)
    builtin = _builtin_template()
    undocumented = builtin.replace(
        "{% for line in message.comment %}\n// {{ line }}\n{% endfor %}\n", ""
    )
    assert undocumented != builtin
    override.write_text(undocumented)
    before = snapshot(repo)
    result = protokit(repo, "new-service", *BILLING)
    assert result.exit_code == 1
    assert "fails buf lint (COMMENT_MESSAGE" in result.stderr
    assert snapshot(repo) == before


def test_a_template_that_buf_format_would_change_writes_nothing(repo: Path) -> None:
    override = repo / OVERRIDE
    override.parent.mkdir(parents=True)
    override.write_text(
        _builtin_template().replace("  rpc {{ rpc.name }}", "    rpc {{ rpc.name }}")
    )
    before = snapshot(repo)
    result = protokit(repo, "new-service", *BILLING)
    assert result.exit_code == 1
    assert "not formatted as `buf format` writes it" in result.stderr
    assert f"{CONTRACT}:9:" in result.stderr
    assert snapshot(repo) == before


def test_the_org_comes_from_the_setting_before_the_contracts(repo: Path) -> None:
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("[tool.protokit]\n", '[tool.protokit]\norg = "globex"\n', 1)
    )
    result = protokit(repo, "new-service", *BILLING, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "create    contracts/globex/billing/v1/billing_service.proto" in result.stderr


def test_contracts_with_several_orgs_need_the_package_spelled_out(repo: Path) -> None:
    other = repo / "contracts/globex/crm/v1/crm.proto"
    other.parent.mkdir(parents=True)
    other.write_text(
        'syntax = "proto3";\n\npackage globex.crm.v1;\n\n// Lead is a lead.\nmessage Lead {}\n'
    )
    before = snapshot(repo)
    result = protokit(repo, "new-service", *BILLING)
    assert result.exit_code == 2
    assert "use several orgs (acme, globex)" in result.stderr
    assert snapshot(repo) == before
    spelled = protokit(repo, "new-service", *BILLING, "--package", "globex.billing.v1", "--dry-run")
    assert spelled.exit_code == 0, spelled.stderr


def test_with_no_rpc_flags_it_asks_on_a_terminal(repo: Path) -> None:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "protokit", "new-service", "billing", "--dry-run"],
            cwd=repo,
            env=env_with(),
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(slave)
        slave = -1
        # A bad name is asked again; an empty name ends the list.
        os.write(master, b"get_invoice\nGetInvoice\nserver-stream\nSync\nbidi\n\n")
        try:
            _, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
    finally:
        os.close(master)
        if slave != -1:
            os.close(slave)
    assert proc.returncode == 0, err
    assert "did you mean 'GetInvoice'" in err
    assert f"create    {CONTRACT}" in err
    assert "BillingService (2 RPC(s))" in err
    assert not (repo / CONTRACT).exists()
