"""Which services get servicer skeletons in a tree that holds other people's APIs too."""

from __future__ import annotations

from pathlib import Path

from protokit.core.workspace import open_workspace
from protokit.gen.pipeline import run_gen
from tests.realtrees.trees import workspace


def _service(package: str, name: str) -> str:
    return (
        f'syntax = "proto3";\n\npackage {package};\n\n'
        f"// {name}Request asks.\nmessage {name}Request {{}}\n\n"
        f"// {name}Response answers.\nmessage {name}Response {{}}\n\n"
        f"// {name}Service serves.\nservice {name}Service {{\n"
        f"  // {name} does it.\n  rpc {name}({name}Request) returns ({name}Response);\n}}\n"
    )


FILES = {
    "acme/billing/v1/billing.proto": _service("acme.billing.v1", "Bill"),
    "google/longrun/v1/ops.proto": _service("google.longrun.v1", "Poll"),
}


def _skeletons(root: Path) -> list[str]:
    """The servicer folders gen created (``common`` is the shared serving module)."""
    return sorted(
        p.name for p in (root / "services").glob("*") if p.is_dir() and p.name != "common"
    )


def test_a_tree_of_several_orgs_gets_no_skeletons_and_says_which_setting_chooses(
    tmp_path: Path,
) -> None:
    root = workspace(tmp_path / "ws", FILES)
    result = run_gen(open_workspace(root))
    assert not (root / "services").exists()
    (warning,) = result.warnings
    assert "2 orgs (acme, google)" in warning
    assert "implement" in warning


def test_the_org_setting_gives_skeletons_to_its_own_packages_only(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", FILES, '[tool.protokit]\norg = "acme"\n')
    result = run_gen(open_workspace(root))
    assert _skeletons(root) == ["billing"]
    assert (root / "tests/services/test_billing_service.py").is_file()
    assert result.warnings == ()


def test_implement_names_the_packages_that_get_skeletons(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", FILES, '[tool.protokit]\nimplement = ["google.*"]\n')
    run_gen(open_workspace(root))
    assert _skeletons(root) == ["longrun"]


def test_a_tree_of_one_org_gets_skeletons_for_every_service(tmp_path: Path) -> None:
    root = workspace(
        tmp_path / "ws",
        {
            "acme/billing/v1/billing.proto": FILES["acme/billing/v1/billing.proto"],
            "acme/ledger/v1/ledger.proto": _service("acme.ledger.v1", "Post"),
        },
    )
    run_gen(open_workspace(root))
    assert _skeletons(root) == ["billing", "ledger"]
