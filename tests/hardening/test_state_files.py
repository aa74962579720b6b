"""Class 7: state files are checked for type, size and shape before use.

The manifest, new-service answers, release metadata, fixtures and pyproject.toml are each
tried as deeply nested JSON, a huge file, a folder, a device, non-UTF-8 bytes and JSON of the
wrong shape: one error naming the file, nothing changed. A damaged image cache entry is
compiled again, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hardening.conftest import MANIFEST, RELEASE_JSON, Case

ANSWERS = "shop/billing/v1/.protokit-answers.json"
FIXTURE_JSON = "compat/releases/1.0.0/fixtures/shop.core.v1.PingRequest/values.json"


def _nested(case: Case, rel: str) -> None:
    case.write(rel, "[" * 200_000 + "]" * 200_000)


def _huge(case: Case, rel: str) -> None:
    path = case.write(rel, b"")
    os.truncate(path, 80 * 1024 * 1024)  # sparse: costs no disk


def _folder(case: Case, rel: str) -> None:
    path = case.root / rel
    if path.exists():
        path.unlink()
    (path / "inner").mkdir(parents=True)


def _dev_zero(case: Case, rel: str) -> None:
    case.link(rel, "/dev/zero")


def _not_utf8(case: Case, rel: str) -> None:
    case.write(rel, b'{"version": 1, "name": "\xff\xfe"}')


def _wrong_shape(case: Case, rel: str) -> None:
    case.write(rel, json.dumps({"version": 1, "files": [1], "rpcs": "x", "sha256": [1]}))


def _a_list(case: Case, rel: str) -> None:
    case.write(rel, "[1, 2, 3]")


DAMAGE: dict[str, Callable[[Case, str], None]] = {
    "nested": _nested,
    "huge": _huge,
    "folder": _folder,
    "dev-zero": _dev_zero,
    "not-utf8": _not_utf8,
    "wrong-shape": _wrong_shape,
    "a-list": _a_list,
}
STATE_FILES = {
    MANIFEST: ("gen",),
    ANSWERS: ("new-service", "billing"),
    RELEASE_JSON: ("check",),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("rel", sorted(STATE_FILES))
def test_a_damaged_state_file_is_one_error_naming_it(case: Case, rel: str, damage: str) -> None:
    DAMAGE[damage](case, rel)
    case.freeze()

    case.refused(case.run(*STATE_FILES[rel]), 1, rel)


@pytest.mark.parametrize("damage", ["folder", "dev-zero", "huge"])
def test_a_pyproject_that_is_no_file_is_one_error(case: Case, damage: str) -> None:
    DAMAGE[damage](case, "pyproject.toml")
    case.freeze()

    case.refused(case.run("gen"), 1, "pyproject.toml")


def test_a_non_utf8_fixture_with_a_matching_hash_is_one_error(case: Case) -> None:
    data = b'{"id": "\xff\xfe"}'
    case.write(FIXTURE_JSON, data)
    meta_path = case.root / RELEASE_JSON
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["sha256"][FIXTURE_JSON.split("1.0.0/", 1)[1]] = hashlib.sha256(data).hexdigest()
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    case.freeze()

    case.refused(case.run("check"), 1, FIXTURE_JSON, "not UTF-8")


@pytest.mark.parametrize(
    "damage",
    ["flip-image", "truncate-image", "edit-targets", "meta-garbage", "swap-images"],
)
def test_a_damaged_cache_entry_is_compiled_again(case: Case, tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    env = {"PROTOKIT_CACHE_DIR": str(cache)}
    assert case.run("gen", env=env).returncode == 0
    meta = next((cache / "images").glob("*.json"))
    image = meta.with_suffix(".binpb")
    if damage == "flip-image":
        data = bytearray(image.read_bytes())
        data[len(data) // 2] ^= 0x01
        image.write_bytes(bytes(data))
    elif damage == "truncate-image":
        image.write_bytes(image.read_bytes()[:100])
    elif damage == "edit-targets":
        entry = json.loads(meta.read_text(encoding="utf-8"))
        entry["targets"] = []
        meta.write_text(json.dumps(entry), encoding="utf-8")
    elif damage == "meta-garbage":
        meta.write_bytes(b"\xff" * 10)
    else:  # another (valid) image in its place, its sha256 fixed up in the entry
        other = case.root / "compat/releases/1.0.0/image.binpb"
        shutil.copyfile(other, image)
        entry = json.loads(meta.read_text(encoding="utf-8"))
        entry["sha256"] = hashlib.sha256(other.read_bytes()).hexdigest()
        meta.write_text(json.dumps(entry), encoding="utf-8")
    case.freeze()

    proc = case.run("gen", "--force", env=env)

    assert proc.returncode == 0, proc.stderr
    case.unchanged()
