"""protokit doctor: the real versions in use and the gencode/runtime check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from protokit.tools.toolchain import gencode_version, parse_version, runtime_problems
from tests.support import BIN, REPO

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


OLD_PROTOBUF = "7.34.0"


@pytest.fixture(scope="module")
def old_runtime_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment whose protobuf runtime is older than the gencode grpcio-tools
    emits: protobuf 7.34.0 from PyPI in its own site-packages, everything else (protokit,
    grpcio-tools, buf) from this test run's environment behind it."""
    root = tmp_path_factory.mktemp("old-runtime")
    venv = root / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    ours = sysconfig.get_path("purelib")
    Path(purelib, "zz_outer.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", purelib]
    subprocess.run(
        [*pip, f"protobuf=={OLD_PROTOBUF}"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return python


def test_doctor_flags_a_runtime_older_than_the_gencode(old_runtime_python: Path) -> None:
    env = {**os.environ, "PROTOKIT_BUF": str(BIN / "buf")}
    result = subprocess.run(
        [str(old_runtime_python), "-m", "protokit", "doctor"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 100, result.stdout + result.stderr
    assert f"protobuf runtime          {OLD_PROTOBUF}" in result.stdout
    assert f'fix: pip install "protobuf>={gencode_version()}"' in result.stderr
    # and the claim is true: the committed stubs refuse to import on that runtime
    probe = subprocess.run(
        [str(old_runtime_python), "-c", "import acme.inventory.v1.inventory_service_pb2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert probe.returncode != 0
    assert "Runtime version cannot be older than the linked gencode version" in probe.stderr


def test_gen_warns_when_the_runtime_is_older_than_the_gencode(old_runtime_python: Path) -> None:
    env = {**os.environ, "PROTOKIT_BUF": str(BIN / "buf")}
    result = subprocess.run(
        [str(old_runtime_python), "-m", "protokit", "gen", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "protokit: warning: grpcio-tools emits protobuf" in result.stderr
    assert f'pip install "protobuf>={gencode_version()}"' in result.stderr
