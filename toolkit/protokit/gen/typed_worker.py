"""mypy-protobuf worker processes (``python -m protokit.gen.mypy_plugin --serve``), started
before their request exists.

Starting Python and loading protobuf and protokit's plugin takes a worker about 0.1 s before it
generates anything. ``gen`` starts one as soon as it knows it will render (before it loads its
own stages, and while buf and protoc compile), and hands it the first batch; every other batch
starts its own. The worker runs in a folder of its own, so nothing in the workspace can shadow
the modules it imports.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType

from protokit.tools.process import Started, start_tool

__all__ = ["SERVE", "TypedWorker", "run_worker"]

SERVE = "--serve"
"""The worker's one argument: it loads, then reads its arguments from stdin (NUL-separated,
up to end of input); no input at all: nothing to do, exit 0."""


def _start(cwd: Path) -> Started:
    argv = [sys.executable, "-m", "protokit.gen.mypy_plugin", SERVE]
    return start_tool("mypy-protobuf", argv, cwd=cwd, stdin=True)


class TypedWorker:
    """One worker process; ``run`` gives it its arguments, once. ``close`` (or leaving the
    ``with`` block) stops it if it was never used and removes its folder."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="protokit-typed-")
        self._started: Started | None = _start(Path(self._folder.name))
        self._lock = threading.Lock()

    def take(self) -> Started | None:
        """The started process, to the first caller only (None after that)."""
        with self._lock:
            started, self._started = self._started, None
        return started

    def close(self) -> None:
        started = self.take()
        if started is not None:
            started.stop()
        self._folder.cleanup()

    def __enter__(self) -> TypedWorker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def run_worker(
    started: Started | None, request: Path, response: Path, strip: bool, cwd: Path
) -> subprocess.CompletedProcess[bytes]:
    """``REQUEST RESPONSE [--strip]`` done by ``started`` (a worker started ahead), or by a
    worker started now in ``cwd``."""
    if started is None:
        started = _start(cwd)
    args = [str(request), str(response), *(["--strip"] if strip else [])]
    return started.finish("\0".join(args).encode("utf-8", "surrogateescape"))
