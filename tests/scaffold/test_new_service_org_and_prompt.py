"""new-service picks the org from the settings or the contracts, and asks for RPCs on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.scaffold.conftest import (
    BILLING,
    CONTRACT,
    TIMEOUT,
    env_with,
    protokit,
    snapshot,
)


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
