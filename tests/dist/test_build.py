"""`protokit build`: what the wheel holds, its metadata, and that it is reproducible."""

from __future__ import annotations

import ast
import re
import sys
import tarfile
import zipfile
from pathlib import Path

from protokit.dist.metadata import IMAGE_NAME

from .conftest import Repo, run, wheel_of, wheel_text


def _requires(wheel: Path) -> dict[str, str]:
    metadata = wheel_text(wheel, ".dist-info/METADATA")
    found: dict[str, str] = {}
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist:") and "extra ==" not in line:
            spec = line.split(":", 1)[1].strip()
            name = re.match(r"[A-Za-z0-9_.-]+", spec)
            assert name is not None
            found[name.group()] = spec[name.end() :]
    return found


def test_two_builds_of_one_commit_are_byte_identical_without_source_date_epoch(
    example: Repo, built: list[Path]
) -> None:
    again = example.build("--out", "dist-again")
    assert [p.name for p in again] == [p.name for p in built]
    for first, second in zip(built, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_build_leaves_no_output_in_the_source_tree(example: Repo, built: list[Path]) -> None:
    assert not (example.root / "gen/python/build").exists()
    assert not list((example.root / "gen/python").glob("*.egg-info"))
    assert example.git("status", "--porcelain", "--ignored", "--", "gen", "contracts") == ""


def test_wheel_ships_stubs_sources_image_readme_and_license_but_no_google(
    built: list[Path],
) -> None:
    with zipfile.ZipFile(wheel_of(built)) as archive:
        names = set(archive.namelist())
    for name in (
        "acme/inventory/v1/inventory_service_pb2.py",
        "acme/inventory/v1/inventory_service_pb2.pyi",
        "acme/inventory/v1/inventory_service_pb2_grpc.py",
        "acme/inventory/v1/inventory_service_pb2_grpc.pyi",
        "acme/inventory/v1/py.typed",
        "acme/inventory/v1/inventory_service.proto",
        f"acme_contracts/{IMAGE_NAME}",
        "acme_contracts-1.0.0.dist-info/licenses/LICENSE",
    ):
        assert name in names, name
    assert not [n for n in names if n.startswith("google/")]
    assert not [n for n in names if n.startswith("acme/__init__")]  # a namespace for others too
    readme = wheel_text(wheel_of(built), ".dist-info/METADATA")
    assert "| `GetProductAvailability` | unary |" in readme
    assert "| `ChatSupport` | bidirectional streaming |" in readme


def test_sdist_carries_the_built_version_and_builds_the_same_modules(built: list[Path]) -> None:
    sdist = next(p for p in built if p.name.endswith(".tar.gz"))
    with tarfile.open(sdist) as archive:
        pyproject = archive.extractfile("acme_contracts-1.0.0/pyproject.toml")
        assert pyproject is not None
        assert 'version = "1.0.0"' in pyproject.read().decode()
        members = {m.name for m in archive.getmembers()}
    assert "acme_contracts-1.0.0/acme/user/v1/user_pb2.py" in members


def test_twine_check_passes_on_the_built_files(built: list[Path]) -> None:
    proc = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, built)], Path.cwd())
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_runtime_floors_equal_what_the_generated_files_check(
    example: Repo, built: list[Path]
) -> None:
    gencode: set[str] = set()
    grpc: set[str] = set()
    for path in (example.root / "gen/python").rglob("*_pb2.py"):
        header = re.search(r"^# Protobuf Python Version: (\S+)$", path.read_text(), re.M)
        assert header is not None
        gencode.add(header.group(1))
    for path in (example.root / "gen/python").rglob("*_pb2_grpc.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == (
                "GRPC_GENERATED_VERSION"
            ):
                grpc.add(ast.literal_eval(node.value))
    assert len(gencode) == 1 and len(grpc) == 1
    protobuf_floor, grpc_floor = gencode.pop(), grpc.pop()
    requires = _requires(wheel_of(built))
    major = int(protobuf_floor.split(".")[0])
    assert set(requires["protobuf"].split(",")) == {f">={protobuf_floor}", f"<{major + 1}"}
    assert requires["grpcio"] == f">={grpc_floor}"


def test_a_build_after_deleting_a_contract_does_not_ship_its_modules(fresh_example: Repo) -> None:
    repo = fresh_example
    repo.git("rm", "-q", "-r", "contracts/acme/inventory")
    repo.ok("gen")
    repo.commit("drop inventory")
    wheel = wheel_of(repo.build("--version", "2.0.0.dev0"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert not [n for n in names if n.startswith("acme/inventory")]
    assert "acme/user/v1/user_pb2.py" in names


def test_build_refuses_stale_generated_stubs(fresh_example: Repo) -> None:
    proto = fresh_example.root / "contracts/acme/inventory/v1/inventory_service.proto"
    proto.write_text(proto.read_text().replace("  bool available = 2;", "  bool in_stock = 2;"))
    proc = fresh_example.protokit("build")
    assert proc.returncode == 1
    assert "stale" in proc.stderr and "run `protokit gen`" in proc.stderr
    assert not (fresh_example.root / "dist").exists()
