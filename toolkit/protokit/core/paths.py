"""Paths protokit writes, deletes or reads, checked in one place.

Every path protokit writes or deletes is resolved first (symbolic links included) and must stay
inside the workspace; a write target that is itself a symbolic link is refused, never followed.
Every state file protokit reads must be a regular file of bounded size: a FIFO, a device or a
folder in its place is named, not read (reading a FIFO would block forever).
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from protokit.core.errors import ProtokitError, UsageError

__all__ = [
    "MAX_STATE_BYTES",
    "cache_dir",
    "check_write_target",
    "files_under",
    "load_json",
    "read_record",
    "read_regular",
    "resolve_inside",
    "stat_stamp",
    "workspace_relative",
]

MAX_STATE_BYTES = 64 * 1024 * 1024
"""The largest state file (manifest, answers, release metadata, image) protokit reads."""


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def workspace_relative(
    root: Path | None, value: str, *, what: str, allow_root: bool = False
) -> str:
    """``value`` (a folder or file a user named) as a POSIX path relative to the workspace.

    An absolute path inside ``root`` is accepted; ``..`` out of it, another absolute path and
    (unless ``allow_root``) the root itself are refused with a ``UsageError`` naming ``what``.
    """
    text = value.strip().replace("\\", "/")
    if "\0" in text:
        raise UsageError(f"{what} {value!r} holds a NUL character")
    if len(text) > 4096:
        raise UsageError(f"{what} is {len(text)} characters long; pass a path inside the workspace")
    pure = PurePosixPath(text)
    if pure.is_absolute():
        if root is None:
            raise UsageError(f"{what} {value!r} must be a path relative to the workspace")
        try:
            pure = PurePosixPath(Path(text).resolve().relative_to(root.resolve()).as_posix())
        except (ValueError, OSError):
            raise UsageError(
                f"{what} {value!r} is outside the workspace {root}; pass a path inside it"
            ) from None
    normal = posixpath.normpath(pure.as_posix()) if pure.as_posix() else "."
    if normal.split("/")[0] == "..":
        raise UsageError(f"{what} {value!r} leaves the workspace; pass a path inside it")
    if normal == "." and not allow_root:
        raise UsageError(f"{what} {value!r} is the workspace root; give it a folder of its own")
    if root is not None and normal != ".":
        resolve_inside(root, normal, what=what)
    return normal


def resolve_inside(root: Path, rel: str, *, what: str = "") -> Path:
    """``root/rel`` with every symbolic link resolved; refused when that leaves ``root``."""
    real_root = root.resolve()
    try:
        real = (root / rel).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
        raise ProtokitError(
            f"{what + ' ' if what else ''}cannot be resolved ({exc}); refusing to use it",
            path=rel,
        ) from exc
    if real != real_root and real_root not in real.parents:
        raise ProtokitError(
            f"{what + ' ' if what else ''}leads outside the workspace through a symbolic link "
            f"(to {real}); protokit writes only inside the workspace",
            path=rel,
        )
    return real


def check_write_target(root: Path, rel: str, *, checked: set[str] | None = None) -> Path:
    """Where writing (or deleting) ``rel`` lands: its folder resolves inside ``root`` and the file
    itself is not a symbolic link (a link is never written through, in or out).

    ``checked``: folders already resolved by the caller in this pass (many files share one);
    a folder is added once it has been checked."""
    target = root / rel
    folder = posixpath.dirname(rel) or "."
    if checked is None or folder not in checked:
        resolve_inside(root, folder)
        if checked is not None:
            checked.add(folder)
    if target.is_symlink():
        raise ProtokitError(
            "is a symbolic link; protokit never writes through links (replace it with a "
            "regular file or remove it)",
            path=rel,
        )
    return target


def read_regular(
    path: Path, *, shown: str | None = None, what: str = "file", limit: int = MAX_STATE_BYTES
) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    Opened non-blocking and checked with ``fstat`` before reading, so a FIFO, a device
    (``/dev/zero``), a socket or a folder is named instead of read.
    """
    name = shown if shown is not None else str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise  # absent: the caller decides what that means
    except IsADirectoryError as exc:
        raise ProtokitError(f"{what} is a folder, not a file", path=name) from exc
    except OSError as exc:
        raise ProtokitError(f"cannot read {what}: {exc.strerror or exc}", path=name) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ProtokitError(f"{what} is {_kind(info.st_mode)}, not a regular file", path=name)
        if info.st_size > limit:
            raise ProtokitError(
                f"{what} is {info.st_size} bytes, more than the {limit} protokit reads",
                path=name,
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise ProtokitError(f"{what} grew past the {limit} bytes protokit reads", path=name)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise ProtokitError(f"cannot read {what}: {exc.strerror or exc}", path=name) from exc
    finally:
        os.close(fd)


def stat_stamp(path: Path | str) -> tuple[int, int, int, int] | None:
    """``(size, mtime_ns, ctime_ns, inode)`` of ``path`` (links followed), or None when it
    cannot be read: what tells that a file was not changed or replaced since it was last seen
    (ctime and inode also catch an edit that restores size and mtime)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def load_json(data: bytes, *, shown: str, what: str) -> Any:
    """Parse a JSON state file's bytes: UTF-8 and valid (nesting too deep for the parser is
    damage, reported like any other)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtokitError(f"{what} is not UTF-8 text", path=shown) from exc
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtokitError(f"{what} is not valid JSON ({exc})", path=shown) from exc


def read_record(path: Path, *, limit: int = MAX_STATE_BYTES) -> Any:
    """The JSON of one of protokit's own cache records, or None when it is absent or damaged
    (not a regular file, too big, not UTF-8 JSON): a record only ever saves work."""
    try:
        return load_json(read_regular(path, limit=limit), shown=str(path), what="record")
    except (OSError, ProtokitError):
        return None


def cache_dir() -> Path:
    """protokit's own cache folder: ``$PROTOKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/protokit``,
    else ``~/.cache/protokit``; with no usable home, a per-user folder in the temp folder."""
    override = os.environ.get("PROTOKIT_CACHE_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "protokit"
    try:
        home = Path.home()
    except (RuntimeError, KeyError, OSError):
        home = None
    if home is not None and home.is_absolute() and home.is_dir():
        return home / ".cache" / "protokit"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"protokit-cache-{uid}"


def files_under(base: Path, suffix: str) -> list[Path]:
    """Regular files named ``*suffix`` under ``base``, sorted; walked with a stack (a tree
    thousands of folders deep is no recursion), each real folder once (no symlink loops)."""
    found: list[str] = []
    seen: set[tuple[int, int]] = set()
    stack = [str(base)]
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)  # the folder a link leads to: each is walked once
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            entries = list(os.scandir(folder))
        except (OSError, RuntimeError):
            continue
        for entry in entries:
            try:
                if entry.is_dir():
                    stack.append(entry.path)
                elif entry.name.endswith(suffix) and entry.is_file():
                    found.append(entry.path)
            except OSError:
                continue
    # Sorted part by part, as paths compare (``a/b`` before ``a-c``).
    return [Path(path) for path in sorted(found, key=lambda path: path.split(os.sep))]
