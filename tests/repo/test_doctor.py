"""protokit doctor: the real versions in use and the gencode/runtime check."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import metadata
from subprocess import CompletedProcess

import pytest

from protokit.toolchain import gencode_version, parse_version, runtime_problems

from .conftest import REPO

Run = Callable[..., CompletedProcess[str]]


def test_doctor_reports_installed_versions(protokit: Run) -> None:
    result = protokit("doctor", "--format", "json", cwd=REPO)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["grpcio_tools"] == metadata.version("grpcio-tools")
    assert data["protobuf"] == metadata.version("protobuf")
    assert data["grpcio"] == metadata.version("grpcio")
    assert data["buf"] == metadata.version("buf-bin")
    assert data["gencode"] == gencode_version()
    assert data["problems"] == []


def test_gencode_version_is_read_from_real_output() -> None:
    version = parse_version(gencode_version())
    assert len(version) == 3
    # generated code imports on the installed runtime only if the runtime is not older
    assert parse_version(metadata.version("protobuf")) >= version


@pytest.mark.parametrize(
    ("gencode", "runtime", "fix"),
    [
        ("7.35.1", "7.34.0", 'pip install "protobuf>=7.35.1"'),
        ("7.35.1", "7.35.0", 'pip install "protobuf>=7.35.1"'),
        ("7.35.1", "6.33.5", 'pip install "protobuf>=7.35.1"'),
    ],
)
def test_runtime_problems_name_the_fix(gencode: str, runtime: str, fix: str) -> None:
    problems = runtime_problems(gencode, runtime)
    assert len(problems) == 1
    assert fix in problems[0]


@pytest.mark.parametrize(
    ("gencode", "runtime"), [("7.35.1", "7.35.1"), ("7.35.1", "7.36.2"), ("6.31.1", "7.36.2")]
)
def test_compatible_runtime_has_no_problem(gencode: str, runtime: str) -> None:
    assert runtime_problems(gencode, runtime) == []
