"""Suite-wide pytest options: ``--update-golden`` rewrites golden files instead of diffing."""

from __future__ import annotations

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
