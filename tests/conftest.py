"""Suite-wide pytest options: ``--update-golden`` rewrites golden files instead of diffing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Golden trees hold generated code (starter tests included) to diff against, not to collect.
collect_ignore_glob = ["golden/*"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the golden files under tests/golden/ from the current output.",
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
