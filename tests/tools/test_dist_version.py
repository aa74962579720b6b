"""``dist_version``: the version ``importlib.metadata`` gives, read from the ``.dist-info``
folder's name without loading ``importlib.metadata`` where that name says it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from protokit.tools import toolchain
from protokit.tools.toolchain import dist_version


def test_every_installed_distribution_has_the_version_importlib_metadata_gives() -> None:
    names = {d.metadata["Name"] for d in metadata.distributions()}
    assert {"grpcio-tools", "mypy-protobuf", "protobuf", "grpcio"} <= names
    assert {n: dist_version(n) for n in names} == {n: metadata.version(n) for n in names}


def test_an_absent_distribution_has_no_version() -> None:
    assert dist_version("protokit-no-such-distribution") is None


@pytest.fixture
def fresh_listing() -> Iterator[None]:
    toolchain._dist_info_versions.cache_clear()
    yield
    toolchain._dist_info_versions.cache_clear()  # the real sys.path's, for the next test


def _dist(folder: Path, project: str, version: str, *, egg: bool = False) -> None:
    info = folder / (f"{project}.egg-info" if egg else f"{project}-{version}.dist-info")
    info.mkdir(parents=True)
    name = "PKG-INFO" if egg else "METADATA"
    (info / name).write_text(f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n")


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("one", "1.2.0"),
        ("first-folder-wins", "2.0.0"),
        ("egg-info-first", "3.0.0"),  # its version is inside it: importlib.metadata reads it
        ("two-in-one-folder", None),  # as importlib.metadata decides
    ],
)
@pytest.mark.usefixtures("fresh_listing")
def test_the_folder_name_stands_only_where_it_is_unambiguous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str, expected: str | None
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    if layout == "one":
        _dist(second, "demo_dist", "1.2.0")
    elif layout == "first-folder-wins":
        _dist(first, "Demo.Dist", "2.0.0")
        _dist(second, "demo_dist", "1.2.0")
    elif layout == "egg-info-first":
        _dist(first, "demo_dist", "3.0.0", egg=True)
        _dist(second, "demo_dist", "1.2.0")
    else:
        _dist(first, "demo_dist", "1.0.0")
        _dist(first, "demo_dist", "1.1.0")
    monkeypatch.setattr(sys, "path", [str(first), str(second)])
    by_metadata = metadata.version("demo-dist")
    assert dist_version("demo-dist") == by_metadata
    if expected is not None:
        assert by_metadata == expected


def test_the_tools_versions_come_without_loading_importlib_metadata() -> None:
    script = (
        "import sys\n"
        "from protokit.tools.toolchain import dist_version\n"
        "dist_version('grpcio-tools'); dist_version('protobuf')\n"
        "print('importlib.metadata' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == "False"
