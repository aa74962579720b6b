"""Fixtures for the lint, format and check tests: small buf workspaces with a ``proto/`` module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import write_tree

BUF_YAML = "version: v2\nmodules:\n  - path: proto\nlint:\n  use:\n    - STANDARD\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """A small buf v2 workspace in tmp_path built from ``{relative path: text}``."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "ws"
        root.mkdir(exist_ok=True)
        return write_tree(root, {"buf.yaml": BUF_YAML, **files})

    return make
