"""Two versions of a module built with the real buf; buf breaking against protokit diff."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from protokit.core.descriptors import Image, load_image_file
from protokit.evolution.apidiff import ApiDiff, diff_images
from protokit.evolution.config import BreakingConfig
from protokit.evolution.rules import Category

BUF = str(Path(sys.executable).parent / "buf")
TIMEOUT = 120


@dataclass(frozen=True)
class BufFinding:
    rule: str
    path: str
    line: int
    column: int
    message: str


def write_module(root: Path, files: dict[str, str], category: Category | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    use = f"breaking:\n  use:\n    - {category.value}\n" if category else ""
    (root / "buf.yaml").write_text(f"version: v2\n{use}", encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def build(root: Path) -> Path:
    out = root.parent / f"{root.name}.binpb"
    proc = subprocess.run(
        [BUF, "build", str(root), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def buf_breaking(current: Path, previous_image: Path) -> list[BufFinding]:
    """buf breaking run inside ``current`` (paths come out relative to it)."""
    proc = subprocess.run(
        [BUF, "breaking", ".", "--against", str(previous_image), "--error-format", "json"],
        cwd=current,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert proc.returncode in (0, 100), proc.stderr
    found = []
    for line in proc.stdout.splitlines():
        if line.strip():
            item = json.loads(line)
            path = item.get("path", "")
            found.append(
                BufFinding(
                    item["type"],
                    path,
                    item.get("start_line", 0) if path else 0,
                    item.get("start_column", 0) if path else 0,
                    item["message"],
                )
            )
    return found


def load(image_path: Path) -> Image:
    return load_image_file(image_path)


def diff(previous: Path, current: Path, *categories: Category) -> ApiDiff:
    return diff_images(
        load(previous), load(current), "previous", None, BreakingConfig.of(*categories)
    )
