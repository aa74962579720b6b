"""A buf image file is a baseline (and ``gen --image`` input) in either form ``buf build -o``
writes: binary (``.binpb``) or JSON (``.json``); the same image gives the same verdict."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from .conftest import SHOP, Repo
from .test_bad_input import assert_one_line_error


def _findings(repo: Repo, *args: str) -> list[dict[str, Any]]:
    proc = repo.protokit("check", "--format", "json", *args)
    assert proc.returncode in (0, 100), proc.stderr
    found: list[dict[str, Any]] = json.loads(proc.stdout)
    return found


def test_a_json_image_is_the_same_baseline_as_the_binary_one(repo: Repo) -> None:
    for name in ("base.binpb", "base.json"):
        built = repo.buf("build", "-o", str(repo.root / name))
        assert built.returncode == 0, built.stderr
    assert (repo.root / "base.json").read_text().lstrip().startswith("{")
    repo.replace(SHOP, "  COLOR_GREEN = 2;\n", "")  # a break against both
    by_binary = _findings(repo, "--against", "base.binpb")
    by_json = _findings(repo, "--against", "base.json")
    assert any(f["source"] == "buf breaking" for f in by_json)
    named = json.dumps(by_binary).replace("image base.binpb", "image base.json")
    assert json.loads(named) == by_json  # the same findings, each naming its baseline
    assert (
        repo.diff_json("--against", "base.json")["changes"]
        == repo.diff_json("--against", "base.binpb")["changes"]
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"file": [{"name": 7}]}', "not a descriptor set or buf image (JSON)"),
        ('{"file": [', "not a descriptor set or buf image (JSON)"),
        ("{\xff}", "not a descriptor set or buf image (JSON)"),
    ],
)
def test_a_json_file_that_is_no_image_is_one_line_naming_it(
    repo: Repo, text: str, needle: str
) -> None:
    (repo.root / "bad.json").write_bytes(text.encode("latin-1"))
    assert_one_line_error(repo.protokit("diff", "--against", "bad.json"), "bad.json", needle)


def test_gen_reads_a_json_image_as_it_reads_the_binary_one(repo: Repo) -> None:
    for name in ("base.binpb", "base.json"):
        assert repo.buf("build", "-o", str(repo.root / name)).returncode == 0
    made = {}
    out = repo.root / "gen/python"
    for name in ("base.binpb", "base.json"):
        shutil.rmtree(out, ignore_errors=True)
        proc = repo.protokit("gen", "--image", name, "--no-services")
        assert proc.returncode == 0, proc.stderr
        made[name] = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
        }
    assert made["base.json"] == made["base.binpb"]
    assert any(rel.endswith("shop_pb2.py") for rel in made["base.json"])
