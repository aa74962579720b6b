"""Fixtures for the gen tests: workspaces generated once per session, or per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gen.helpers import copy_case, copy_example, gen


@pytest.fixture(scope="session")
def example_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example contracts generated once (stubs and skeletons); tests must not modify it."""
    root = copy_example(tmp_path_factory.mktemp("example"))
    gen(root)
    yield root


@pytest.fixture(scope="session")
def edge_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The edge-case protos (golden case ``edge``) generated once; tests must not modify it."""
    root = copy_case("edge", tmp_path_factory.mktemp("edge") / "ws")
    gen(root)
    yield root


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private, generated copy of the example workspace a test may change."""
    root = copy_example(tmp_path / "ws")
    gen(root)
    return root
