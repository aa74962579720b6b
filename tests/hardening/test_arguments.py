"""Class 8: arguments are validated before use; versions are ASCII MAJOR.MINOR.PATCH."""

from __future__ import annotations

import pytest

from tests.hardening.conftest import Case

LONG_REF = "a" * 100_000
DEEP_PACKAGE = ".".join(["a"] * 1000) + ".v1"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("release", "1.0.0\n"), "release version"),
        (("release", "1.1.0\n"), "release version"),
        (("release", "\u0661.1.0"), "release version"),
        (("release", "1.\uff11.0"), "release version"),
        (("release", "1.1." + "1" * 5000), "release version"),
        (("release", "v1.1.0"), "release version"),
        (("release", "1.1.0-rc1"), "release version"),
        (("check", "--against", LONG_REF), "--against"),
        (("diff", "--against", LONG_REF), "--against"),
        (("diff", "--against", "main\n"), "--against"),
        (("new-version", "shop.core.v1", "v2\n"), "v2"),
        (("new-version", "shop.core.v1", "v\u0662"), "package version"),
        (("new-version", "shop.core.v1", "v" + "9" * 5000), "package version"),
        (("new-version", DEEP_PACKAGE, "v2"), "protobuf package name"),
        (("new-service", "billing", "--unary", "Get", "--version", "v\u0661"), "--version"),
        (("new-service", "billing", "--unary", "Get", "--version", "v1\n"), "--version"),
        (("new-service", "billing", "--unary", "Get", "--package", DEEP_PACKAGE), "--package"),
        (("gen", "--out", "x" * 100_000), "stub folder"),
    ],
)
def test_a_bad_argument_is_refused_before_use(
    case: Case, args: tuple[str, ...], named: str
) -> None:
    case.refused(case.run(*args), 2, named)
