"""mypy-protobuf worker processes (``python -m protokit.gen.mypy_plugin --serve``), started
before their request exists.

Starting Python and loading protobuf and protokit's plugin takes a worker about 0.1 s before it
generates anything. ``gen`` starts one (``TYPED_WORKERS.ahead()``) as soon as it knows it will
render, before it loads its own stages and while buf and protoc compile; the first batch takes
it, every other batch starts its own. ``-P``: the folder a worker starts in is not on
``sys.path``, so nothing there can shadow the modules it imports.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from protokit.tools.process import Spares, Started, start_tool

__all__ = ["SERVE", "TYPED_WORKERS", "run_worker"]

SERVE = "--serve"
"""The worker's one argument: it loads, then reads its arguments from stdin (NUL-separated,
up to end of input); no input at all: nothing to do, exit 0."""


def _start() -> Started:
    argv = [sys.executable, "-P", "-m", "protokit.gen.mypy_plugin", SERVE]
    return start_tool("mypy-protobuf", argv, cwd=Path(tempfile.gettempdir()), stdin=True)


TYPED_WORKERS = Spares(_start)
"""Typed-stub workers (not ``stubs.WORKERS``, the number of batches run side by side)."""


def run_worker(request: Path, response: Path, strip: bool) -> subprocess.CompletedProcess[bytes]:
    """``REQUEST RESPONSE [--strip]`` done by a worker (one started ahead, if one waits)."""
    args = [str(request), str(response), *(["--strip"] if strip else [])]
    return TYPED_WORKERS.take().finish("\0".join(args).encode("utf-8", "surrogateescape"))
