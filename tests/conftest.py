"""Suite-wide options and fixtures: ``--update-golden`` rewrites golden files instead of diffing;
``protokit`` runs the real console script; ``tiny_ws`` makes a one-proto buf workspace."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import PING_PROTO, run_protokit, write_tree

# Golden cases hold generated code (starter tests included) to diff against, not to collect.
collect_ignore_glob = ["gen/cases/*"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the golden files under tests/gen/cases/ from the current output.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was started with ``--update-golden``."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session", autouse=True)
def _private_image_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """protokit caches compiled images under ~/.cache; the suite's many temporary workspaces
    use a cache of their own instead (every protokit subprocess inherits it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PROTOKIT_CACHE_DIR", str(tmp_path_factory.mktemp("protokit-cache")))
        yield


@pytest.fixture
def protokit() -> Callable[..., subprocess.CompletedProcess[str]]:
    """The installed ``protokit`` script: ``protokit(*args, cwd=..., env=...)``."""
    return run_protokit


@pytest.fixture
def tiny_ws(tmp_path: Path) -> Callable[..., Path]:
    """A buf v2 workspace with one lint-clean proto, plus any extra ``{path: text|bytes}``."""

    def make(extra: dict[str, str | bytes] | None = None) -> Path:
        files: dict[str, str | bytes] = {
            "buf.yaml": "version: v2\n",
            "shop/core/v1/core.proto": PING_PROTO,
            **(extra or {}),
        }
        return write_tree(tmp_path / "ws", files)

    return make
