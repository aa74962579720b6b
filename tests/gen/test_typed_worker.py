"""Processes gen starts ahead of their work: the typed-stub worker (``protokit.gen.typed_worker``)
and protoc (``toolchain.PROTOC``), both ``process.Spares``."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from protokit.core.errors import ProtokitError
from protokit.core.workspace import open_workspace
from protokit.gen.stubs import run_protoc_batches
from protokit.gen.typed_worker import TYPED_WORKERS
from protokit.tools import toolchain
from protokit.tools.image import build_image
from tests.gen.helpers import copy_example


def test_a_worker_that_gets_no_request_exits_cleanly_at_end_of_input() -> None:
    with TYPED_WORKERS.ahead():
        started = TYPED_WORKERS.take()
        assert TYPED_WORKERS.waiting == []  # handed out once
        done = started.finish(b"")
    assert (done.returncode, done.stderr) == (0, b"")


def test_a_worker_nobody_took_is_stopped_when_its_block_ends() -> None:
    with TYPED_WORKERS.ahead():
        (started,) = TYPED_WORKERS.waiting
    assert started.proc.poll() is not None
    assert TYPED_WORKERS.waiting == []


def test_stubs_from_a_worker_started_ahead_are_the_same_bytes(tmp_path: Path) -> None:
    image = build_image(open_workspace(copy_example(tmp_path / "ws")))
    plain = run_protoc_batches(image, image.targets)
    with TYPED_WORKERS.ahead():
        ahead = run_protoc_batches(image, image.targets)
        assert TYPED_WORKERS.waiting == []  # the batch used it
    assert ahead.files == plain.files
    assert ahead.parsed == plain.parsed


def test_a_worker_killed_before_its_request_is_one_clear_error(tmp_path: Path) -> None:
    image = build_image(open_workspace(copy_example(tmp_path / "ws")))
    with TYPED_WORKERS.ahead():
        (started,) = TYPED_WORKERS.waiting
        os.killpg(started.proc.pid, signal.SIGKILL)
        started.proc.wait(timeout=10)
        with pytest.raises(ProtokitError) as caught:
            run_protoc_batches(image, image.targets)
    assert str(caught.value).startswith("mypy-protobuf was killed by SIGKILL (out of memory?)")


def test_protoc_started_ahead_runs_in_the_folder_it_is_given_and_spares_are_stopped(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.proto").write_text('syntax = "proto3";\npackage a;\nmessage A {}\n')
    with toolchain.PROTOC.ahead(2):
        spares = toolchain.PROTOC.waiting
        assert len(spares) == 2
        proc = toolchain.run_protoc(["-I.", "--python_out=.", "a.proto"], tmp_path)
        assert toolchain.PROTOC.waiting == spares[1:]  # the first one ran it
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a_pb2.py").is_file()  # relative paths, from the folder given
    assert toolchain.PROTOC.waiting == []
    assert spares[1].proc.poll() is not None  # the one not needed was stopped


def test_protoc_started_on_demand_includes_the_well_known_types(tmp_path: Path) -> None:
    (tmp_path / "b.proto").write_text(
        'syntax = "proto3";\npackage b;\nimport "google/protobuf/timestamp.proto";\n'
        "message B { google.protobuf.Timestamp at = 1; }\n"
    )
    proc = toolchain.run_protoc(["-I.", "--python_out=.", "b.proto"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "timestamp_pb2" in (tmp_path / "b_pb2.py").read_text()
