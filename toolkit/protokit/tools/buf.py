"""Running the real ``buf`` binary, and what it answers about a workspace: its version, the
module folders and the files it lists (remembered while the binary and the configuration stay
the same). Reading what buf prints (errors, findings) is ``tools.buf_output``'s.

The binary comes from the ``buf-bin`` wheel, installed beside the Python interpreter, so a fresh
``pip install protokit`` has it. ``PROTOKIT_BUF`` points at another binary.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import sysconfig
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from protokit.core.atomic import write_atomic
from protokit.core.errors import ProtokitError, ToolMissingError
from protokit.core.naming import WELL_KNOWN_PREFIX
from protokit.core.paths import MAX_STATE_BYTES, cache_dir, read_record, read_regular, stat_stamp
from protokit.core.workspace import Workspace
from protokit.tools.buf_output import config_error
from protokit.tools.process import Started, command_text, json_lines, run_tool, start_tool

BUF_ENV = "PROTOKIT_BUF"
_INSTALL_HINT = "install it with `pip install buf-bin` or set PROTOKIT_BUF to the buf binary"


def find_buf() -> Path:
    """Locate the buf binary: $PROTOKIT_BUF, the interpreter's scripts folder, then PATH."""
    override = os.environ.get(BUF_ENV)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ToolMissingError(
                f"{BUF_ENV}={override} is not an executable file; {_INSTALL_HINT}"
            )
        return path
    exe = "buf.exe" if sys.platform == "win32" else "buf"
    candidates = [Path(sysconfig.get_path("scripts")) / exe, Path(sys.executable).parent / exe]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("buf")
    if found:
        return Path(found)
    raise ToolMissingError(f"the buf binary was not found; {_INSTALL_HINT}")


@dataclass(frozen=True)
class BufResult:
    returncode: int
    stdout: bytes
    stderr: str


def breaking_args(image_path: Path) -> list[str]:
    """``buf breaking``'s arguments for the workspace against the image file ``image_path``."""
    return ["breaking", "--against", f"{image_path}#format=binpb", "--error-format", "json"]


def buf_environment() -> dict[str, str]:
    """buf's environment: with no usable HOME (and no XDG_CACHE_HOME), buf would put its cache
    in the working directory; it gets a cache folder protokit owns instead."""
    env = dict(os.environ)
    if env.get("BUF_CACHE_DIR") or env.get("XDG_CACHE_HOME"):
        return env
    home = env.get("HOME", "")
    if home and Path(home).is_absolute() and Path(home).is_dir():
        return env
    env["BUF_CACHE_DIR"] = str(cache_dir() / "buf")
    return env


def run_buf(args: Sequence[str], cwd: Path, *, input_bytes: bytes | None = None) -> BufResult:
    """Run buf with ``args`` in ``cwd``; config and tool failures raise, other codes return."""
    return start_buf(args, cwd, stdin=input_bytes is not None).finish(input_bytes)


def start_buf(args: Sequence[str], cwd: Path, *, stdin: bool = False) -> StartedBuf:
    """``run_buf`` in two steps: buf starts now, ``StartedBuf.finish`` waits for it (a caller
    that starts buf before it has what it needs to read the result)."""
    buf = find_buf()
    try:
        started = start_tool(
            "buf",
            [str(buf), *args],
            cwd=cwd,
            stdin=stdin,
            env=buf_environment(),
            label=command_text("buf", args),
        )
    except ToolMissingError as exc:
        raise ToolMissingError(f"{exc.message}; {_INSTALL_HINT}") from exc
    return StartedBuf(list(args), cwd, started)


@dataclass(frozen=True)
class StartedBuf:
    """A buf process ``start_buf`` started."""

    args: list[str]
    cwd: Path
    started: Started

    def finish(self, input_bytes: bytes | None = None) -> BufResult:
        """buf's result (with the tool timeout counted from now); config and tool failures
        raise, as from ``run_buf``."""
        proc = self.started.finish(input_bytes)
        stderr = proc.stderr.decode("utf-8", "replace")
        if proc.returncode not in (0, 100):
            raise config_error(stderr, self.cwd, self.args)
        return BufResult(proc.returncode, proc.stdout, stderr)


T = TypeVar("T")

_VERSIONS: dict[str, str] = {}

_KNOWN_ANSWERS = 16
"""Answers kept per record in the cache folder (the latest ones)."""


def remembered(
    record: str,
    key: str,
    ask: Callable[[], T],
    decode: Callable[[object], T | None],
    encode: Callable[[T], object] = lambda answer: answer,
) -> T:
    """``ask()``'s answer for ``key``, remembered in the cache folder's ``tools/<record>`` (the
    latest answers, as JSON: ``encode`` makes an answer JSON-ready, ``decode`` takes it back,
    None for a stored value it cannot use). A damaged, unusable or unwritable record only
    means asking again."""
    path = cache_dir() / "tools" / record
    raw = read_record(path, limit=4 * 1024 * 1024)
    stored = {str(k): v for k, v in raw.items()} if isinstance(raw, dict) else {}
    if key in stored and (answer := decode(stored[key])) is not None:
        return answer
    answer = ask()
    stored.pop(key, None)
    kept = dict(list(stored.items())[-(_KNOWN_ANSWERS - 1) :])
    with contextlib.suppress(ProtokitError):
        write_atomic(path, json.dumps({**kept, key: encode(answer)}).encode(), sync=False)
    return answer


def binary_stamp() -> str | None:
    """The buf binary by its path and stat (size, mtime, ctime, inode): a binary replaced on
    disk is another one. None when it cannot be stat'ed (then only ``buf --version`` tells)."""
    buf = find_buf()
    stamp = stat_stamp(buf)
    return json.dumps([str(buf), stamp]) if stamp is not None else None


def config_key(ws: Workspace, folders: Sequence[str] = ("",)) -> str | None:
    """What an answer of buf about the configuration depends on: the binary (path and stat)
    and the bytes of ``buf.yaml`` and ``buf.work.yaml`` in each of ``folders`` (relative to the
    workspace); None when the binary cannot be stat'ed or a file is not a plain one (then buf
    is asked, and says what is wrong)."""
    binary = binary_stamp()
    if binary is None:
        return None
    digest = hashlib.sha256(json.dumps([str(ws.root), binary]).encode())
    for folder in folders:
        for name in _MODULE_CONFIG:
            path = ws.root / folder / name
            try:
                data: bytes | None = read_regular(path, limit=MAX_STATE_BYTES)
            except (FileNotFoundError, NotADirectoryError):
                data = None
            except (OSError, ProtokitError):
                return None
            digest.update(b"\0" + path.as_posix().encode() + b"\0")
            digest.update(b"-" if data is None else b"+" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def buf_version() -> str:
    """The version the buf binary reports about itself: asked once per binary, and remembered
    (in this process and in the cache folder) while the binary keeps its stat (path, size,
    mtime, ctime, inode); a binary replaced on disk is asked again."""
    buf = find_buf()
    stamp = binary_stamp()
    if stamp is None:
        return _ask_version(buf)
    if stamp not in _VERSIONS:
        _VERSIONS[stamp] = remembered(
            "buf-versions.json",
            stamp,
            lambda: _ask_version(buf),
            lambda v: v if isinstance(v, str) and v else None,
        )
    return _VERSIONS[stamp]


def _ask_version(buf: Path) -> str:
    try:
        proc = run_tool("buf", [str(buf), "--version"], cwd=Path.cwd(), env=buf_environment())
    except ToolMissingError as exc:
        raise ToolMissingError(f"{exc.message}; {_INSTALL_HINT}") from exc
    version = (proc.stdout or proc.stderr).decode("utf-8", "replace").strip()[:200]
    if proc.returncode != 0 or not version:
        raise ToolMissingError(f"{buf} --version failed; {_INSTALL_HINT}")
    return version


_MODULES: dict[str, list[str]] = {}
_MODULE_CONFIG = ("buf.yaml", "buf.work.yaml")
_MODULES_LOCK = threading.Lock()


def module_paths(ws: Workspace) -> list[str]:
    """The module folders buf.yaml declares, as buf itself reads them: asked once, and
    remembered (in this process and in the cache folder) while the binary keeps its stat and
    the configuration files their bytes (``config_key``)."""
    key = config_key(ws)
    if key is None:  # a binary or a configuration file protokit cannot read: buf says why
        return _ask_module_paths(ws)
    with _MODULES_LOCK:  # callers side by side wait for one answer
        if key not in _MODULES:
            ask = partial(_ask_module_paths, ws)
            _MODULES[key] = remembered("buf-modules.json", key, ask, _paths)
        return list(_MODULES[key])


def _paths(value: object) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _ask_module_paths(ws: Workspace) -> list[str]:
    result = run_buf(["config", "ls-modules", "--format", "json"], ws.root)
    paths: list[str] = []
    for item in json_lines(result.stdout, what="buf config ls-modules"):
        path = item.get("path")
        if not isinstance(path, str):
            raise ProtokitError(
                f"`buf config ls-modules` printed a module without a path: {str(item)[:200]}"
            )
        paths.append(path)
    return paths


@dataclass(frozen=True)
class Listing:
    targets: list[str]  # import paths of the module's own files
    disk: dict[str, str]  # import path -> workspace-relative path
    roots: list[str] | None  # the folders to give protoc as -I; None: protoc cannot stand in


def list_files(ws: Workspace, *, imports: bool) -> Listing:
    """The module's files as ``buf ls-files`` lists them (``imports``: and whether protoc can
    compile them: every import is one of the module's files or a well-known type)."""
    args = ["ls-files", "--format", "json", *(["--include-imports"] if imports else [])]
    listed = run_buf(args, ws.root)
    targets: list[str] = []
    disk: dict[str, str] = {}
    roots: list[str] | None = [] if imports else None
    for item in json_lines(listed.stdout, what="buf ls-files"):
        import_path, path = item.get("import_path"), item.get("path")
        if not isinstance(import_path, str) or not isinstance(path, str):
            raise ProtokitError(
                f"`buf ls-files` printed a file without import_path and path: {str(item)[:200]}"
            )
        if item.get("is_import"):
            if not import_path.startswith(WELL_KNOWN_PREFIX) or item.get("module"):
                roots = None  # a dependency only buf knows where to find
            continue
        targets.append(import_path)
        disk[import_path] = path
        root = path.removesuffix(import_path).rstrip("/") or "."
        if roots is not None and (not path.endswith(import_path) or root.startswith("/")):
            roots = None
        elif roots is not None and root not in roots:
            roots.append(root)
    return Listing(sorted(targets), disk, roots)
