"""Class 5: nothing hangs. Only regular files are read (a FIFO at any path protokit reads is
named, not opened for a blocking read), and every tool runs under a timeout."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.hardening.conftest import (
    COMPAT_TESTS,
    MANIFEST,
    RELEASE_JSON,
    Case,
)

FIXTURE = "compat/releases/1.0.0/fixtures/shop.core.v1.PingRequest/values.json"
ANSWERS = "shop/billing/v1/.protokit-answers.json"
SHORT = {"PROTOKIT_TOOL_TIMEOUT": "2"}


@pytest.mark.parametrize(
    ("fifo", "args", "what"),
    [
        ("in.binpb", ("gen", "--image", "in.binpb"), "FIFO"),
        ("in.binpb", ("diff", "--against", "in.binpb"), "FIFO"),
        (MANIFEST, ("gen",), "FIFO"),
        (RELEASE_JSON, ("check",), "FIFO"),
        (RELEASE_JSON, ("diff",), "FIFO"),
        (FIXTURE, ("check",), "FIFO"),
        (ANSWERS, ("new-service", "billing"), "FIFO"),
        ("pyproject.toml", ("gen",), "FIFO"),
        (COMPAT_TESTS, ("compat-tests",), "FIFO"),
        ("gen/python/shop/core/v1/core_pb2.py", ("gen", "--force"), "FIFO"),
    ],
)
def test_a_fifo_where_protokit_reads_is_named_not_read(
    case: Case, fifo: str, args: tuple[str, ...], what: str
) -> None:
    case.fifo(fifo)
    case.freeze()

    case.refused(case.run(*args, env=SHORT), 1, fifo, what)


def test_a_fifo_in_the_image_cache_only_means_compiling_again(case: Case, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"PROTOKIT_CACHE_DIR": str(cache), **SHORT}
    assert case.run("gen", env=env).returncode == 0
    entries = sorted((cache / "images").iterdir())
    assert entries
    for entry in entries:
        entry.unlink()
        os.mkfifo(entry)
    case.freeze()

    proc = case.run("gen", "--force", env=env)

    assert proc.returncode == 0, proc.stderr
    case.unchanged()
    assert all(stat.S_ISREG(p.lstat().st_mode) for p in (cache / "images").iterdir())


@pytest.mark.parametrize("args", [("gen", "--force"), ("check",)])
def test_a_fifo_beside_buf_yaml_is_left_to_buf(case: Case, args: tuple[str, ...]) -> None:
    case.fifo("buf.work.yaml")  # read to know buf's modules: never opened for a blocking read

    proc = case.run(*args, env=SHORT)

    assert proc.returncode in (0, 100), proc.stderr
    assert "Traceback" not in proc.stderr


def test_fifos_in_the_source_snapshot_and_tool_records_only_mean_reading_again(
    case: Case, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    env = {"PROTOKIT_CACHE_DIR": str(cache), **SHORT}
    assert case.run("gen", env=env).returncode == 0
    (slot,) = {entry.name[:32] for entry in (cache / "images").iterdir()}  # one workspace
    (cache / "sources").mkdir(exist_ok=True)  # files this new are not recorded: make one
    records = [
        cache / "sources" / f"{slot}.json",
        *(cache / "gen").glob("*.json"),
        cache / "tools" / "buf-versions.json",
    ]
    assert len(records) == 3
    for record in records:
        record.unlink(missing_ok=True)
        os.mkfifo(record)
    case.freeze()

    proc = case.run("gen", env=env)

    assert proc.returncode == 0, proc.stderr
    case.unchanged()


def _script(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("args", [("gen", "--force"), ("check",), ("lint",), ("diff",)])
@pytest.mark.parametrize("how", ["exec sleep 300", "sleep 300 & wait"])
def test_a_buf_that_never_answers_is_stopped(
    case: Case, tmp_path: Path, args: tuple[str, ...], how: str
) -> None:
    buf = _script(tmp_path / "buf", f"#!/bin/sh\n{how}\n")

    case.refused(
        case.run(*args, env={"PROTOKIT_BUF": str(buf), **SHORT}), 1, "did not finish within 2 s"
    )


@pytest.mark.parametrize(
    ("package", "module"),
    [
        ("grpc_tools", "protoc"),  # protoc itself
        ("mypy_protobuf", "main"),  # a plugin protoc starts
    ],
)
def test_a_protoc_or_plugin_that_never_answers_is_stopped(
    case: Case, tmp_path: Path, package: str, module: str
) -> None:
    fake = tmp_path / "fake" / package
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("", encoding="utf-8")
    (fake / f"{module}.py").write_text(
        "import time\n\n\ndef main():\n    time.sleep(300)\n\n\ngrpc = main\n"
        # a caller that uses the module's internals instead of main() hangs there as well
        "def __getattr__(name):\n    time.sleep(300)\n\n\n"
        "if __name__ == '__main__':\n    main()\n",
        encoding="utf-8",
    )
    env = {"PYTHONPATH": str(tmp_path / "fake"), **SHORT}

    case.refused(case.run("gen", "--force", env=env), 1, "did not finish within 2 s")
