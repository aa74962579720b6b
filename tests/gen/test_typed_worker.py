"""The typed-stub worker gen starts ahead of its request (``protokit.gen.typed_worker``)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from protokit.core.errors import ProtokitError
from protokit.core.workspace import open_workspace
from protokit.gen.stubs import run_protoc_batches
from protokit.gen.typed_worker import TypedWorker
from protokit.tools.image import build_image
from tests.gen.helpers import copy_example


def test_a_worker_that_gets_no_request_exits_cleanly_at_end_of_input() -> None:
    with TypedWorker() as worker:
        started = worker.take()
        assert started is not None
        assert worker.take() is None  # handed out once
        done = started.finish(b"")
    assert (done.returncode, done.stderr) == (0, b"")


def test_closing_a_worker_nobody_took_stops_it_and_removes_its_folder() -> None:
    worker = TypedWorker()
    started = worker._started
    assert started is not None
    folder = Path(worker._folder.name)
    assert folder.is_dir()
    worker.close()
    assert started.proc.poll() is not None
    assert not folder.exists()


def test_stubs_from_a_worker_started_ahead_are_the_same_bytes(tmp_path: Path) -> None:
    image = build_image(open_workspace(copy_example(tmp_path / "ws")))
    plain = run_protoc_batches(image, image.targets)
    with TypedWorker() as worker:
        ahead = run_protoc_batches(image, image.targets, worker=worker)
        assert worker.take() is None  # the batch used it
    assert ahead.files == plain.files
    assert ahead.parsed == plain.parsed


def test_a_worker_killed_before_its_request_is_one_clear_error(tmp_path: Path) -> None:
    image = build_image(open_workspace(copy_example(tmp_path / "ws")))
    with TypedWorker() as worker:
        assert worker._started is not None
        os.killpg(worker._started.proc.pid, signal.SIGKILL)
        worker._started.proc.wait(timeout=10)
        with pytest.raises(ProtokitError) as caught:
            run_protoc_batches(image, image.targets, worker=worker)
    assert str(caught.value).startswith("mypy-protobuf was killed by SIGKILL (out of memory?)")
