"""Distribution layout: one wheel per domain with dependencies from imports, googleapis imports
as a dependency, and a wheel as a `check --against` baseline."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import google.api
import pytest

from .conftest import CONSTRAINTS, Repo, edit, one_error_line, run, wheel_of, wheel_text

DOMAINS = (
    'distributions = { "acme-user-contracts" = ["acme.user.*"], '
    '"acme-analytics-contracts" = ["acme.analytics.v1"], '
    '"acme-inventory-contracts" = ["acme.inventory.*"] }'
)


def install_alone(wheel: Path, find_links: Path, target: Path) -> None:
    """pip installs the wheel with its dependencies into an empty folder."""
    proc = run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            "--find-links",
            str(find_links),
            "-c",
            str(CONSTRAINTS),
            str(wheel),
        ],
        target.parent,
    )
    assert proc.returncode == 0, proc.stderr


def import_alone(target: Path, module: str) -> subprocess.CompletedProcess[str]:
    """Import ``module`` with nothing but the standard library and ``target`` on the path."""
    return run(
        [sys.executable, "-S", "-c", f"import {module}"], target.parent, PYTHONPATH=str(target)
    )


def requires(wheel: Path) -> list[str]:
    metadata = wheel_text(wheel, ".dist-info/METADATA")
    return [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]


@pytest.fixture(scope="module")
def domains(example: Repo, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The example built as one distribution per domain (built once for this module)."""
    dest = tmp_path_factory.mktemp("domains") / "repo"
    shutil.copytree(
        example.root, dest, symlinks=True, ignore=shutil.ignore_patterns("dist*", "*.lock")
    )
    repo = Repo(dest)
    repo.settings(DOMAINS)
    return repo.build()


def test_per_domain_distributions_depend_on_each_other_by_imports(domains: list[Path]) -> None:
    wheels = {p.name.split("-")[0]: p for p in domains if p.suffix == ".whl"}
    assert sorted(wheels) == [
        "acme_analytics_contracts",
        "acme_inventory_contracts",
        "acme_user_contracts",
    ]
    assert "acme-user-contracts>=1.0.0" in requires(wheels["acme_analytics_contracts"])
    assert not [r for r in requires(wheels["acme_user_contracts"]) if "contracts" in r]
    with zipfile.ZipFile(wheels["acme_analytics_contracts"]) as archive:
        names = archive.namelist()
    assert not [n for n in names if n.startswith("acme/user/")]
    assert "acme_analytics_contracts/image.binpb" in names


def test_a_domain_wheel_installs_with_its_dependency_and_imports_alone(
    domains: list[Path], tmp_path: Path
) -> None:
    files = domains
    dist = files[0].parent
    for wheel, module in (
        ("acme_analytics_contracts", "acme.analytics.v1.analytics_service_pb2_grpc"),
        ("acme_inventory_contracts", "acme.inventory.v1.inventory_service_pb2_grpc"),
    ):
        target = tmp_path / wheel
        install_alone(next(p for p in files if p.name.startswith(wheel + "-")), dist, target)
        proc = import_alone(target, module)
        assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "acme_inventory_contracts" / "acme" / "user").exists()
    assert (
        tmp_path / "acme_analytics_contracts" / "acme" / "user" / "v1" / "user_pb2.py"
    ).is_file()


def test_an_unmapped_package_is_one_clear_line(fresh_example: Repo) -> None:
    fresh_example.settings('distributions = { "acme-user-contracts" = ["acme.user.*"] }')
    line = one_error_line(fresh_example.protokit("build"))
    assert "proto package acme.analytics.v1" in line and "is in no distribution" in line


def _googleapis_repo(shop: Repo) -> None:
    source = Path(next(iter(google.api.__path__)))
    for name in ("annotations.proto", "http.proto"):
        (shop.root / "third_party/google/api").mkdir(parents=True, exist_ok=True)
        shutil.copy(source / name, shop.root / "third_party/google/api" / name)
    buf_yaml = shop.root / "buf.yaml"
    buf_yaml.write_text(
        buf_yaml.read_text().replace(
            "  - path: proto\n", "  - path: proto\n  - path: third_party\n"
        )
    )
    edit(shop, "package shop.v1;\n", 'package shop.v1;\n\nimport "google/api/annotations.proto";\n')
    edit(
        shop,
        "  rpc GetItem(GetItemRequest) returns (GetItemResponse);",
        "  rpc GetItem(GetItemRequest) returns (GetItemResponse) {\n"
        '    option (google.api.http) = {get: "/v1/items/{id}"};\n  }',
    )
    shop.ok("gen")
    shop.commit("an HTTP annotation")


def test_a_google_api_import_becomes_a_googleapis_dependency_that_imports_beside_it(
    shop: Repo, tmp_path: Path
) -> None:
    _googleapis_repo(shop)
    wheel = wheel_of(shop.build())
    assert any(r.startswith("googleapis-common-protos") for r in requires(wheel))
    with zipfile.ZipFile(wheel) as archive:
        assert not [n for n in archive.namelist() if n.startswith("google/")]
    target = tmp_path / "site"
    install_alone(wheel, shop.root / "dist", target)
    proc = import_alone(target, "shop.v1.shop_pb2, google.api.annotations_pb2")
    assert proc.returncode == 0, proc.stderr


def _check_against(repo: Repo, wheel: Path) -> tuple[int, set[str]]:
    proc = repo.protokit("check", "--against", str(wheel), "--format", "json")
    rules = {f["rule"] for f in json.loads(proc.stdout or "[]") if f["severity"] != "note"}
    return proc.returncode, rules


def test_check_against_a_wheel_passes_an_additive_change_and_reports_a_breaking_one(
    released: Repo,
) -> None:
    wheel = wheel_of(released.build())
    kept = released.root.parent / wheel.name
    shutil.copy(wheel, kept)
    edit(released, "  int64 price = 2;\n", "  int64 price = 2;\n  string title = 3;\n")
    released.ok("gen")
    assert _check_against(released, kept) == (0, set())
    edit(released, "  int64 price = 2;\n", "  string price = 2;\n")
    released.ok("gen")
    code, rules = _check_against(released, kept)
    assert code == 100 and "FIELD_SAME_TYPE" in rules
    assert (code, rules) == _check_against(released, Path("1.0.0"))


def test_a_wheel_baseline_without_descriptors_is_one_clear_line(shop: Repo, tmp_path: Path) -> None:
    bogus = tmp_path / "other-1.0-py3-none-any.whl"
    with zipfile.ZipFile(bogus, "w") as archive:
        archive.writestr("other/__init__.py", "")
    line = one_error_line(shop.protokit("check", "--against", str(bogus)))
    assert "carries no descriptor image" in line
    text = tmp_path / "notes-1.0-py3-none-any.whl"
    text.write_text("not a zip")
    line = one_error_line(shop.protokit("diff", "--against", str(text)))
    assert "not a wheel (zip) file" in line
