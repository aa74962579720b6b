"""Accepted breaks (`compat/accepted.toml`): honoured by check and diff, listed, expiring."""

from __future__ import annotations

from .conftest import SHOP, Repo

ACCEPTED = "compat/accepted.toml"


def accept(repo: Repo, expires: str = "") -> None:
    line = f"expires = {expires}\n" if expires else ""
    repo.write(
        ACCEPTED,
        '[[accepted]]\nelement = "shop.v1.Item.price"\nrule = "FIELD_NO_DELETE"\n'
        f'reason = "price moved to the pricing service"\n{line}',
    )


def delete_price(repo: Repo) -> None:
    repo.replace(SHOP, "  int64 price = 2;\n", "")
    repo.commit("delete price")


def test_an_accepted_break_passes_check_and_is_listed_as_a_note(repo: Repo) -> None:
    accept(repo)
    delete_price(repo)
    proc = repo.protokit("check", "--against", "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FIELD_NO_DELETE:" not in proc.stdout
    assert "ACCEPTED_BREAK: accepted break:" in proc.stdout
    assert "price moved to the pricing service" in proc.stdout
    assert "clean (1 note)" in proc.stderr


def test_an_accepted_break_is_not_breaking_for_diff(repo: Repo) -> None:
    accept(repo, "2999-01-01")
    delete_price(repo)
    assert repo.protokit("diff", "--against", "main", "--exit-code").returncode == 0
    assert repo.diff_json("--against", "main")["breaking"] is False


def test_an_expired_acceptance_is_a_finding_and_no_longer_honoured(repo: Repo) -> None:
    accept(repo, "2020-01-31")
    delete_price(repo)
    proc = repo.protokit("check", "--against", "main")
    assert proc.returncode == 100
    assert f"{ACCEPTED}: ACCEPTED_BREAK_EXPIRED: " in proc.stdout
    assert "expired on 2020-01-31" in proc.stdout
    assert "FIELD_NO_DELETE" in proc.stdout


def test_a_malformed_entry_is_one_error_line_naming_file_and_entry(repo: Repo) -> None:
    repo.write(ACCEPTED, '[[accepted]]\nelement = "shop.v1.Item"\nrule = "FIELD_NO_DELETE"\n')
    proc = repo.protokit("check", "--against", "main")
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if "error" in ln]
    assert len(lines) == 1 and lines[0].startswith("protokit: error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert ACCEPTED in lines[0] and "entry 1: reason must be a non-empty string" in lines[0]


def test_a_bad_expiry_date_is_named(repo: Repo) -> None:
    accept(repo, '"31.01.2027"')
    proc = repo.protokit("diff", "--against", "main")
    assert proc.returncode != 0
    assert "entry 1: expires '31.01.2027' is not a date YYYY-MM-DD" in proc.stderr


def test_an_accepted_break_clears_the_fixture_findings_against_a_release(repo: Repo) -> None:
    assert repo.protokit("release", "1.0.0").returncode == 0
    accept(repo)
    delete_price(repo)
    proc = repo.protokit("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "COMPAT_" not in proc.stdout
    assert "ACCEPTED_BREAK" in proc.stdout
