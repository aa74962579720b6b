"""Fixtures for the big-tree tests: workspaces made of real wheel protos or synthesized ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.big_tree import real_tree, synthesize


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test's compiled-image cache lives in its own folder."""
    monkeypatch.setenv("PROTOKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def googleapis_ws(tmp_path: Path) -> Path:
    """A buf workspace of the .proto files googleapis-common-protos ships (google/api, rpc...)."""
    root = real_tree(tmp_path / "googleapis")
    if root is None:
        pytest.fail("googleapis-common-protos is not installed (grpcio-status depends on it)")
    return root


@pytest.fixture(scope="module")
def synthetic_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A synthetic tree of 300 files in 15 packages; tests must not modify it."""
    yield synthesize(tmp_path_factory.mktemp("synthetic") / "ws", 300)
