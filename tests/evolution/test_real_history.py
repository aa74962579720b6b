"""Agreement with buf on a real release history: the .proto files googleapis-common-protos ships
in its published versions, pair by pair, in the FILE and WIRE_JSON categories.

For each pair: check's breaking verdict (buf breaking plus the fixture checks) is buf's, diff's
breaking rules are buf's, and the implied bump is right (major exactly when buf reports a break,
at least minor when elements were added). The wheels come from the package index through pip and
are cached in ~/.cache/protokit-tests (``PROTOKIT_TEST_CACHE`` moves it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from protokit.core.workspace import Settings, Workspace
from protokit.evolution.apidiff import diff_images
from protokit.evolution.checks import run_evolution_checks
from protokit.evolution.config import breaking_config
from protokit.evolution.rules import Category, Kind
from protokit.evolution.rules.schema import Schema

from .rules.agreement import buf_breaking, build, load, write_module

DIST = "googleapis-common-protos"
# Consecutive versions that ship their protos (1.67.0 to 1.69.0 shipped none): a go_package
# change (1.59.0), deleted files (1.69.1), additions, a comment-only and an identical release.
PAIRS = [
    ("1.58.0", "1.59.0"),
    ("1.61.0", "1.62.0"),
    ("1.62.0", "1.63.0"),
    ("1.63.0", "1.63.1"),
    ("1.63.1", "1.63.2"),
    ("1.66.0", "1.69.1"),
    ("1.69.2", "1.70.0"),
    ("1.71.0", "1.72.0"),
    ("1.74.0", "1.75.0"),
    ("1.75.0", "1.76.0"),
]
CATEGORIES = (Category.FILE, Category.WIRE_JSON)
_OFFLINE = (
    "Network is unreachable",
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Max retries exceeded",
    "Connection refused",
    "timed out",
)


def _cache() -> Path:
    default = Path.home() / ".cache" / "protokit-tests"
    return Path(os.environ.get("PROTOKIT_TEST_CACHE", default)) / DIST


def _fetch(version: str) -> Path:
    folder = _cache() / version
    wheels = sorted(folder.glob("*.whl"))
    if wheels:
        return wheels[0]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "-q",
            f"{DIST}=={version}",
            "-d",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if proc.returncode != 0:
        if any(sign in proc.stderr for sign in _OFFLINE):
            pytest.skip(f"the package index is unreachable: {proc.stderr.strip()[-200:]}")
        raise AssertionError(proc.stderr)
    return sorted(folder.glob("*.whl"))[0]


def _protos(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith(".proto") and not name.startswith("google/protobuf/")
        }


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Every version's module folder and its image built by buf, fetched and built concurrently."""
    versions = sorted({v for pair in PAIRS for v in pair})
    root = tmp_path_factory.mktemp("history")
    with ThreadPoolExecutor(4) as pool:
        wheels = dict(zip(versions, pool.map(_fetch, versions), strict=True))

    def prepare(version: str) -> tuple[Path, Path]:
        module = write_module(root / version, _protos(wheels[version]))
        return module, build(module)

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(versions, pool.map(prepare, versions), strict=True))


def _names(schema: Schema) -> set[str]:
    names = set(schema.messages) | set(schema.enums) | set(schema.services)
    names |= {f"{m}.{f.number}" for m, msg in schema.messages.items() for f in msg.field}
    names |= {f"{e}.{v.name}" for e, enum in schema.enums.items() for v in enum.value}
    return names | {f"{s}.{m.name}" for s, svc in schema.services.items() for m in svc.method}


@pytest.mark.parametrize("category", CATEGORIES, ids=[c.value for c in CATEGORIES])
@pytest.mark.parametrize("pair", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_check_and_diff_agree_with_buf_on_a_published_release(
    history: dict[str, tuple[Path, Path]],
    pair: tuple[str, str],
    category: Category,
    tmp_path: Path,
) -> None:
    previous = history[pair[0]][1]
    module = tmp_path / "current"
    shutil.copytree(history[pair[1]][0], module)
    write_module(module, {}, category)  # the buf.yaml of this category
    buf_rules = sorted({f.rule for f in buf_breaking(module, previous)})

    ws = Workspace(module, Settings())
    old, new = load(previous), load(history[pair[1]][1])
    findings = run_evolution_checks(ws, str(previous), False, lambda _: None, new)
    assert bool(findings) == bool(buf_rules), [f.location() + " " + f.rule for f in findings]

    api = diff_images(old, new, pair[0], pair[0], breaking_config(ws))
    assert sorted({r for c in api.changes if c.kind is Kind.BREAKING for r in c.rules}) == buf_rules
    added = _names(Schema(new)) - _names(Schema(old))
    assert (api.bump == "major") == bool(buf_rules)
    if added and not buf_rules:
        assert api.bump == "minor", sorted(added)[:5]
