"""buf's breaking configuration is asked once per buf binary and configuration: the answer is
remembered in protokit's cache folder, and asked again when buf.yaml changes or the record is
damaged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from protokit.core.paths import cache_dir
from protokit.core.workspace import open_workspace
from protokit.evolution import config
from protokit.evolution.rules import Category
from protokit.tools.buf import BufResult

BUF_YAML = "version: v2\nbreaking:\n  use:\n    - {category}\n"


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The buf runs breaking_config makes (still run, and counted)."""
    calls: list[list[str]] = []
    real = config.run_buf

    def counting(args: list[str], cwd: Path, **kwargs: Any) -> BufResult:
        calls.append(list(args))
        return real(args, cwd, **kwargs)

    monkeypatch.setattr(config, "run_buf", counting)
    return calls


def test_the_configuration_is_asked_once_and_remembered(
    tiny_ws: Callable[..., Path], asked: list[list[str]]
) -> None:
    ws = open_workspace(tiny_ws({"buf.yaml": BUF_YAML.format(category="WIRE")}))
    first = config.breaking_config(ws)
    assert first.category is Category.WIRE
    assert len(asked) == 1
    assert config.breaking_config(ws) == first
    assert len(asked) == 1


def test_a_changed_buf_yaml_is_asked_again(
    tiny_ws: Callable[..., Path], asked: list[list[str]]
) -> None:
    root = tiny_ws({"buf.yaml": BUF_YAML.format(category="WIRE")})
    assert config.breaking_config(open_workspace(root)).category is Category.WIRE
    (root / "buf.yaml").write_text(BUF_YAML.format(category="FILE"))
    assert config.breaking_config(open_workspace(root)).category is Category.FILE
    assert len(asked) == 2


def test_a_damaged_record_is_asked_again(
    tiny_ws: Callable[..., Path], asked: list[list[str]]
) -> None:
    ws = open_workspace(tiny_ws({"buf.yaml": BUF_YAML.format(category="WIRE")}))
    config.breaking_config(ws)
    (cache_dir() / "tools" / "breaking-rules.json").write_text('{"x": [["", 1]], ')
    assert config.breaking_config(ws).category is Category.WIRE
    assert len(asked) == 2
    assert config.breaking_config(ws).category is Category.WIRE
    assert len(asked) == 2
