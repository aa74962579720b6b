"""The typed stubs: a consumer using sync and asyncio stubs and servicers passes mypy --strict."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.gen.helpers import env_with

CONSUMER = Path(__file__).resolve().parent / "consumer" / "consumer.py"


def _mypy(folder: Path, stubs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "consumer.py"],
        cwd=folder,
        env=env_with({"MYPYPATH": str(stubs)}),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_a_consumer_of_the_typed_stubs_passes_mypy_strict(example_ws: Path, tmp_path: Path) -> None:
    shutil.copy(CONSUMER, tmp_path / "consumer.py")
    result = _mypy(tmp_path, example_ws / "gen/python")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_catches_a_wrong_type_through_the_stubs(
    example_ws: Path, tmp_path: Path
) -> None:
    # The check above can fail: the stubs really carry types.
    bad = CONSUMER.read_text() + (
        "\n\nasync def wrong(channel: grpc.aio.Channel) -> int:\n"
        "    stub = user_service_pb2_grpc.UserServiceStub(channel)\n"
        "    reply = await stub.GetUser(user_service_pb2.GetUserRequest(id=1))\n"
        "    return reply.user.name\n"
    )
    (tmp_path / "consumer.py").write_text(bad)
    result = _mypy(tmp_path, example_ws / "gen/python")
    assert result.returncode == 1
    assert 'Argument "id" to "GetUserRequest" has incompatible type "int"' in result.stdout
    assert 'Incompatible return value type (got "str", expected "int")' in result.stdout


def _google_rpc_config(root: Path) -> Path:
    config = root / "mypy-google-rpc.ini"
    config.write_text("[mypy]\n\n[mypy-google.rpc.*]\nfollow_untyped_imports = True\n")
    return config


def test_the_generated_skeletons_and_starter_tests_pass_mypy_strict(example_ws: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            "/dev/null",
            # googleapis-common-protos ships .pyi files for google.rpc but no py.typed marker.
            "--config-file",
            str(_google_rpc_config(example_ws)),
            "services",
            "tests/services",
        ],
        cwd=example_ws,
        env=env_with({"MYPYPATH": str(example_ws / "gen/python")}),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_generated_skeletons_are_ruff_clean(example_ws: Path) -> None:
    rules = ["--isolated", "--line-length", "100"]
    lint = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            *rules,
            "--select",
            "E,F,W,I,B,UP,SIM,RUF",
            "--config",
            'lint.isort.known-first-party = ["services"]',
            "services",
            "tests/services",
        ],
        cwd=example_ws,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *rules, "services", "tests/services"],
        cwd=example_ws,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
